// Package towers holds the test that keeps the repository's three towers
// apart: the daemon (appliance/), the TV (ui/) and the remote library
// (gpio/). It has no code of its own.
package towers
