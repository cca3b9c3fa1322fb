// Package ir decodes and encodes consumer infrared remote frames (NEC, Samsung32, RC-5, RC-6 mode 0 and MCE, Sony SIRC) from mark/space pulse durations.
//
// Decoders are pure state machines over [Pulse] values: feed them the
// durations an edge source measured and they return a [Frame] when one is
// complete. Scancodes follow Linux rc-core, so a keymap written for
// ir-keytable reads the same. Timings are accepted if they match either the
// kernel's margin or LIRC's relative rule (30 % or 100 us), which survives both
// receiver jitter and a constant mark/space bias.
//
// Frames are decided as soon as they are decidable: NEC and Samsung32 on
// the trailing mark, RC-5 and RC-6 on their last mark (their bit count is
// fixed), Sony a moment into the space after its last mark (see [Early]),
// so a key need not wait for the line to go idle.
//
// Nothing here blocks or allocates per pulse; decoders are not safe for
// concurrent use.
package ir
