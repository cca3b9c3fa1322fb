// Package edge reads an IR receiver on a GPIO line through the Linux GPIO character device (kernel-timestamped edges) and runs the pulses through the IR decoders and the key tracker.
//
// periph's gpio.PinIn cannot time IR pulses (no timestamps, one event per
// call, a 16-event kernel buffer); this package requests the line itself with
// the v2 ioctls: both edges, pull-up, a 1024-event kernel buffer, many events
// per read(), kernel timestamps, and sequence numbers checked for drops.
// periph is still used for buttons (WatchButton) and its fakes.
package edge
