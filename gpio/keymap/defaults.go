package keymap

import (
	"github.com/atomicnetwork/atomicbox/gpio/ir"
	pir "periph.io/x/conn/v3/ir"
)

// RC6MCE is rc-core's "rc-6-mce" protocol (RC-6 mode 6A, 32-bit scancodes
// 0x800fXXXX with the toggle bit 0x8000 masked out), which gpio/ir decodes
// as ir.RC6_MCE.
const RC6MCE = ir.RC6_MCE

// Defaults are the built-in keymaps, consulted after the user's maps. Keys
// are the UI's names (keys.Supported); where a source names another key
// (KEY_NUMERIC_1, KEY_FORWARD) the UI's equivalent is used and the source's
// name is kept in a comment.
func Defaults() []Map {
	return []Map{carMP3(), rc6MCE(), samsungTV()}
}

func entries(p ir.Protocol, base uint32, codes map[uint32]pir.Key) []Entry {
	out := make([]Entry, 0, len(codes))
	for c, k := range codes {
		out = append(out, Entry{Protocol: p, Scancode: Scancode(base | c), Key: k})
	}
	sortEntries(out)
	return out
}

// carMP3 is the 21-key "Car MP3" NEC remote sold with IR receiver kits
// (address 0x00). Commands from public Arduino sources that list it:
// github.com/JulianNicholls/Prev-Arduino IR-Ring/car_remote.h (IRremote
// raw values such as 0xFFA25D = address 0x00, command 0xA2 MSB first =
// 0x45 LSB first) and github.com/simeon-s/LineFollower
// Bolid/nec_ir_commands.h (the same commands LSB first; its 9 = 0x41 is a
// typo for 0x4A, which 0xFF52AD gives). rc-core NEC scancode: address<<8 |
// command. The remote has no arrows or OK, so its keys are given the roles
// a TV UI needs: the transport row and the EQ/+/- row navigate.
func carMP3() Map {
	return Map{Name: "car-mp3-nec", Entries: entries(ir.NEC, 0x0000, map[uint32]pir.Key{
		0x45: pir.KEY_BACK,        // CH-
		0x46: pir.KEY_HOME,        // CH
		0x47: pir.KEY_MENU,        // CH+
		0x44: pir.KEY_LEFT,        // |<< (prev)
		0x40: pir.KEY_RIGHT,       // >>| (next)
		0x43: pir.KEY_OK,          // >|| (play/pause)
		0x07: pir.KEY_DOWN,        // VOL-
		0x15: pir.KEY_UP,          // VOL+
		0x09: pir.KEY_PLAYPAUSE,   // EQ
		0x16: pir.KEY_0,           // 0
		0x19: pir.KEY_CHANNELDOWN, // 100+
		0x0d: pir.KEY_CHANNELUP,   // 200+
		0x0c: pir.KEY_1,
		0x18: pir.KEY_2,
		0x5e: pir.KEY_3,
		0x08: pir.KEY_4,
		0x1c: pir.KEY_5,
		0x5a: pir.KEY_6,
		0x42: pir.KEY_7,
		0x52: pir.KEY_8,
		0x4a: pir.KEY_9,
	})}
}

// rc6MCE is the Windows Media Center remote, from the Linux kernel's
// drivers/media/rc/keymaps/rc-rc6-mce.c (Jarod Wilson, 2010), keys the UI
// supports only.
func rc6MCE() Map {
	return Map{Name: "rc6-mce", Entries: entries(RC6MCE, 0x800f0400, map[uint32]pir.Key{
		0x00: pir.KEY_0, 0x01: pir.KEY_1, 0x02: pir.KEY_2, 0x03: pir.KEY_3, 0x04: pir.KEY_4, // KEY_NUMERIC_n
		0x05: pir.KEY_5, 0x06: pir.KEY_6, 0x07: pir.KEY_7, 0x08: pir.KEY_8, 0x09: pir.KEY_9,
		0x0b: pir.KEY_ENTER,
		0x0c: pir.KEY_POWER, // KEY_SLEEP in newer kernels ("formerly PC power")
		0x0d: pir.KEY_HOME,  // Windows MCE button (KEY_MEDIA)
		0x0e: pir.KEY_MUTE,
		0x0f: pir.KEY_INFO,
		0x10: pir.KEY_VOLUMEUP,
		0x11: pir.KEY_VOLUMEDOWN,
		0x12: pir.KEY_CHANNELUP,
		0x13: pir.KEY_CHANNELDOWN,
		0x14: pir.KEY_FASTFORWARD,
		0x15: pir.KEY_REWIND,
		0x16: pir.KEY_PLAY,
		0x18: pir.KEY_PAUSE,
		0x19: pir.KEY_STOP,
		0x1a: pir.KEY_NEXT,
		0x1b: pir.KEY_PREVIOUS,
		0x1e: pir.KEY_UP,
		0x1f: pir.KEY_DOWN,
		0x20: pir.KEY_LEFT,
		0x21: pir.KEY_RIGHT,
		0x22: pir.KEY_OK,
		0x23: pir.KEY_BACK, // KEY_EXIT ("Back" on the remote)
		0x26: pir.KEY_MENU, // Guide (KEY_EPG)
		0x5b: pir.KEY_RED,
		0x5c: pir.KEY_GREEN,
		0x5d: pir.KEY_YELLOW,
		0x5e: pir.KEY_BLUE,
		0x6e: pir.KEY_PLAYPAUSE,
		0x81: pir.KEY_PLAYPAUSE,
	})}
}

// samsungTV is a Samsung TV remote (AA59 family, custom code 0x07), from
// the Linux kernel's drivers/media/rc/keymaps/rc-samsung.c (samsung_necx:
// NECX scancodes 0x0707cc). gpio/ir decodes these frames (4.5 ms header)
// as samsung32 with scancode address<<8 | command, so 0x0707cc becomes
// 0x07cc here.
func samsungTV() Map {
	return Map{Name: "samsung-tv", Entries: entries(ir.Samsung32, 0x0700, map[uint32]pir.Key{
		0x02: pir.KEY_POWER,
		0x0f: pir.KEY_MUTE,
		0x04: pir.KEY_1, 0x05: pir.KEY_2, 0x06: pir.KEY_3, 0x08: pir.KEY_4, 0x09: pir.KEY_5,
		0x0a: pir.KEY_6, 0x0c: pir.KEY_7, 0x0d: pir.KEY_8, 0x0e: pir.KEY_9, 0x11: pir.KEY_0,
		0x12: pir.KEY_CHANNELUP,
		0x10: pir.KEY_CHANNELDOWN,
		0x07: pir.KEY_VOLUMEUP,
		0x0b: pir.KEY_VOLUMEDOWN,
		0x60: pir.KEY_UP,
		0x61: pir.KEY_DOWN,
		0x65: pir.KEY_LEFT,
		0x62: pir.KEY_RIGHT,
		0x68: pir.KEY_OK, // KEY_ENTER: the centre button
		0x2d: pir.KEY_EXIT,
		0x47: pir.KEY_PLAY,
		0x46: pir.KEY_STOP,
		0x45: pir.KEY_REWIND,
		0x48: pir.KEY_FASTFORWARD, // KEY_FORWARD
		0x4a: pir.KEY_PAUSE,
		0x6c: pir.KEY_RED,
		0x14: pir.KEY_GREEN,
		0x15: pir.KEY_YELLOW,
		0x16: pir.KEY_BLUE,
		0x58: pir.KEY_BACK, // Return
		0x1a: pir.KEY_MENU,
		0x1f: pir.KEY_INFO,
	})}
}
