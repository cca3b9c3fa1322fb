package evdev

import (
	"periph.io/x/conn/v3/ir"

	"github.com/atomicnetwork/atomicbox/gpio/keys"
)

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

// UIKey returns the key the UI acts on for an input key code: the code's
// own name, or its equivalent (KEY_PLAYCD is KEY_PLAY, KEY_KP5 is KEY_5).
// It reports false for codes without a key in supported (letters, mouse
// buttons); a nil supported takes every key the keys package knows.
func UIKey(code uint16, supported map[ir.Key]bool) (ir.Key, bool) {
	k, ok := keys.Name(code)
	if !ok {
		return "", false
	}
	if a, ok := aliases[k]; ok {
		k = a
	}
	return k, supported == nil || supported[k]
}

// navCodes are the codes a device must offer to be read: keyboards and
// remotes have them; mice, power buttons and lid switches do not.
var navCodes = []uint16{103, 108, 105, 106, 28, 0x160, 0x161, 164, 207}
