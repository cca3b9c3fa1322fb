package keys

import "periph.io/x/conn/v3/ir"

// Linux input key codes (<linux/input-event-codes.h>) of the navigation,
// media, colour and digit keys a TV remote or keyboard sends, plus common
// media-keyboard and remote equivalents. A test checks every entry against
// the system's header.
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

// known is codeNames inverted.
var known = func() map[ir.Key]uint16 {
	m := make(map[ir.Key]uint16, len(codeNames))
	for c, k := range codeNames {
		m[k] = c
	}
	return m
}()

// Name returns the Linux name of an input key code, if this package knows it.
func Name(code uint16) (ir.Key, bool) {
	k, ok := codeNames[code]
	return k, ok
}

// Known reports whether k is a key of this vocabulary: one whose Linux
// input code this package knows. Keymaps may name only known keys, so a
// typo (KEY_UPP) shows up when the keymap is read.
func Known(k ir.Key) bool {
	_, ok := known[k]
	return ok
}
