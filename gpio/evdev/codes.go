package evdev

import "periph.io/x/conn/v3/ir"

// Linux input key codes (<linux/input-event-codes.h>) of the keys the UI
// supports plus common media-keyboard and remote equivalents. The test
// checks every entry against the system's header.
var codeNames = map[uint16]ir.Key{
	1: ir.KEY_ESC, 2: ir.KEY_1, 3: ir.KEY_2, 4: ir.KEY_3, 5: ir.KEY_4, 6: ir.KEY_5, 7: ir.KEY_6,
	8: ir.KEY_7, 9: ir.KEY_8, 10: ir.KEY_9, 11: ir.KEY_0, 14: ir.KEY_BACKSPACE, 28: ir.KEY_ENTER,
	57: ir.KEY_SPACE,
	71: ir.KEY_KP7, 72: ir.KEY_KP8, 73: ir.KEY_KP9, 75: ir.KEY_KP4, 76: ir.KEY_KP5, 77: ir.KEY_KP6,
	79: ir.KEY_KP1, 80: ir.KEY_KP2, 81: ir.KEY_KP3, 82: ir.KEY_KP0, 96: ir.KEY_KPENTER,
	102: ir.KEY_HOME, 103: ir.KEY_UP, 105: ir.KEY_LEFT, 106: ir.KEY_RIGHT, 108: ir.KEY_DOWN,
	113: ir.KEY_MUTE, 114: ir.KEY_VOLUMEDOWN, 115: ir.KEY_VOLUMEUP, 116: ir.KEY_POWER,
	119: ir.KEY_PAUSE, 128: ir.KEY_STOP, 139: ir.KEY_MENU, 158: ir.KEY_BACK,
	163: ir.KEY_NEXTSONG, 164: ir.KEY_PLAYPAUSE, 165: ir.KEY_PREVIOUSSONG, 166: ir.KEY_STOPCD,
	167: ir.KEY_RECORD, 168: ir.KEY_REWIND, 172: ir.KEY_HOMEPAGE, 174: ir.KEY_EXIT,
	200: ir.KEY_PLAYCD, 201: ir.KEY_PAUSECD, 207: ir.KEY_PLAY, 208: ir.KEY_FASTFORWARD,
	0x160: ir.KEY_OK, 0x161: ir.KEY_SELECT, 0x166: ir.KEY_INFO, 0x16d: ir.KEY_EPG,
	0x18e: ir.KEY_RED, 0x18f: ir.KEY_GREEN, 0x190: ir.KEY_YELLOW, 0x191: ir.KEY_BLUE,
	0x192: ir.KEY_CHANNELUP, 0x193: ir.KEY_CHANNELDOWN, 0x197: ir.KEY_NEXT, 0x19c: ir.KEY_PREVIOUS,
	0x1b6: ir.KEY_CONTEXT_MENU,
	0x200: ir.KEY_NUMERIC_0, 0x201: ir.KEY_NUMERIC_1, 0x202: ir.KEY_NUMERIC_2, 0x203: ir.KEY_NUMERIC_3,
	0x204: ir.KEY_NUMERIC_4, 0x205: ir.KEY_NUMERIC_5, 0x206: ir.KEY_NUMERIC_6, 0x207: ir.KEY_NUMERIC_7,
	0x208: ir.KEY_NUMERIC_8, 0x209: ir.KEY_NUMERIC_9,
}

// aliases turn keys the UI does not know into the one it does.
var aliases = map[ir.Key]ir.Key{
	ir.KEY_KP0: ir.KEY_0, ir.KEY_KP1: ir.KEY_1, ir.KEY_KP2: ir.KEY_2, ir.KEY_KP3: ir.KEY_3, ir.KEY_KP4: ir.KEY_4,
	ir.KEY_KP5: ir.KEY_5, ir.KEY_KP6: ir.KEY_6, ir.KEY_KP7: ir.KEY_7, ir.KEY_KP8: ir.KEY_8, ir.KEY_KP9: ir.KEY_9,
	ir.KEY_NUMERIC_0: ir.KEY_0, ir.KEY_NUMERIC_1: ir.KEY_1, ir.KEY_NUMERIC_2: ir.KEY_2, ir.KEY_NUMERIC_3: ir.KEY_3,
	ir.KEY_NUMERIC_4: ir.KEY_4, ir.KEY_NUMERIC_5: ir.KEY_5, ir.KEY_NUMERIC_6: ir.KEY_6, ir.KEY_NUMERIC_7: ir.KEY_7,
	ir.KEY_NUMERIC_8: ir.KEY_8, ir.KEY_NUMERIC_9: ir.KEY_9,
	ir.KEY_KPENTER: ir.KEY_ENTER, ir.KEY_HOMEPAGE: ir.KEY_HOME, ir.KEY_CONTEXT_MENU: ir.KEY_MENU,
	ir.KEY_PLAYCD: ir.KEY_PLAY, ir.KEY_PAUSECD: ir.KEY_PAUSE, ir.KEY_STOPCD: ir.KEY_STOP,
	ir.KEY_NEXTSONG: ir.KEY_NEXT, ir.KEY_PREVIOUSSONG: ir.KEY_PREVIOUS, ir.KEY_EPG: ir.KEY_MENU,
}

// KeyName returns the Linux name of an input key code, if this package
// knows it.
func KeyName(code uint16) (ir.Key, bool) {
	k, ok := codeNames[code]
	return k, ok
}

// UIKey returns the key the UI acts on for an input key code: the code's
// own name, or its equivalent (KEY_PLAYCD is KEY_PLAY, KEY_KP5 is KEY_5).
// It reports false for codes without a supported key (letters, mouse
// buttons).
func UIKey(code uint16, supported map[ir.Key]bool) (ir.Key, bool) {
	k, ok := codeNames[code]
	if !ok {
		return "", false
	}
	if a, ok := aliases[k]; ok {
		k = a
	}
	return k, supported[k]
}

// navCodes are the codes a device must offer to be read: keyboards and
// remotes have them; mice, power buttons and lid switches do not.
var navCodes = []uint16{103, 108, 105, 106, 28, 0x160, 0x161, 164, 207}
