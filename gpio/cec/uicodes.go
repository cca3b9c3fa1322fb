package cec

import "periph.io/x/conn/v3/ir"

// uiKeys maps CEC "UI command" codes (the operand of User Control Pressed,
// HDMI 1.4b CEC table 30; CEC 2.0 renames 0x0d "Back") to the key names the
// UI understands. Codes that are absent are ignored (logged at debug level).
// Every value is a known key (keys.Known, checked by a test).
var uiKeys = map[byte]ir.Key{
	0x00: ir.KEY_OK, // Select
	0x01: ir.KEY_UP,
	0x02: ir.KEY_DOWN,
	0x03: ir.KEY_LEFT,
	0x04: ir.KEY_RIGHT,
	0x09: ir.KEY_HOME, // Root Menu
	0x0a: ir.KEY_MENU, // Setup Menu
	0x0b: ir.KEY_MENU, // Contents Menu
	0x0d: ir.KEY_BACK, // Exit (1.4) / Back (2.0)
	0x11: ir.KEY_MENU, // Media Context-sensitive Menu
	0x20: ir.KEY_0,
	0x21: ir.KEY_1,
	0x22: ir.KEY_2,
	0x23: ir.KEY_3,
	0x24: ir.KEY_4,
	0x25: ir.KEY_5,
	0x26: ir.KEY_6,
	0x27: ir.KEY_7,
	0x28: ir.KEY_8,
	0x29: ir.KEY_9,
	0x2b: ir.KEY_ENTER,
	0x30: ir.KEY_CHANNELUP,
	0x31: ir.KEY_CHANNELDOWN,
	0x35: ir.KEY_INFO, // Display Information
	0x40: ir.KEY_POWER,
	0x41: ir.KEY_VOLUMEUP,
	0x42: ir.KEY_VOLUMEDOWN,
	0x43: ir.KEY_MUTE,
	0x44: ir.KEY_PLAY,
	0x45: ir.KEY_STOP,
	0x46: ir.KEY_PAUSE,
	0x48: ir.KEY_REWIND,
	0x49: ir.KEY_FASTFORWARD,
	0x4b: ir.KEY_NEXT,      // Forward
	0x4c: ir.KEY_PREVIOUS,  // Backward
	0x60: ir.KEY_PLAY,      // Play Function
	0x61: ir.KEY_PLAYPAUSE, // Pause-Play Function
	0x64: ir.KEY_STOP,      // Stop Function
	0x65: ir.KEY_MUTE,      // Mute Function
	0x71: ir.KEY_BLUE,      // F1
	0x72: ir.KEY_RED,       // F2
	0x73: ir.KEY_GREEN,     // F3
	0x74: ir.KEY_YELLOW,    // F4
}

// UIKey returns the key for a CEC UI command code and whether there is one.
func UIKey(code byte) (ir.Key, bool) {
	k, ok := uiKeys[code]
	return k, ok
}
