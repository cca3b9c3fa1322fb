// Package faketv is a TV on the box's HDMI-CEC link, for tests of the box
// and of the UI: its remote presses buttons, and it records whether the box
// asked it to switch to the box's input.
package faketv

import (
	"fmt"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/remotes"
	"github.com/atomicnetwork/atomicbox/gpio/cec"
	"github.com/atomicnetwork/atomicbox/gpio/cec/cectest"
)

// TV is the fake TV. Its methods are for one test goroutine.
type TV struct {
	link *cectest.Device
}

// New returns a TV whose link puts the box at playback 1, HDMI port 1.
func New() *TV {
	return &TV{link: cectest.NewDevice(cec.AddrPlayback1, 0x1000, nil)}
}

// Remote returns the box's remote configuration with this TV as its CEC
// adapter (named /dev/cec0).
func (tv *TV) Remote() *remotes.Config {
	return &remotes.Config{
		CECDevice: "/dev/cec0",
		OpenCEC:   func(string) (cec.Device, error) { return tv.link, nil },
	}
}

// WaitConnected blocks until the box has configured its CEC adapter (it
// does so when its remotes start), failing t after cectest.Wait.
func (tv *TV) WaitConnected(t testing.TB) { tv.link.WaitConfigured(t) }

// Press sends User Control Pressed with CEC UI command code uiCode (0x01 is
// Up, 0x00 Select: HDMI 1.4b CEC table 30), as the TV does when a button of
// its remote goes down.
func (tv *TV) Press(t testing.TB, uiCode byte) {
	tv.link.Inject(cectest.MustHex(t, fmt.Sprintf("04:44:%02x", uiCode)))
}

// Release sends User Control Released.
func (tv *TV) Release(t testing.TB) { tv.link.Inject(cectest.MustHex(t, "04:45")) }

// WaitActiveSource waits up to within for the box to announce itself as
// the active source (switching the TV to its input), failing t otherwise.
// Frames the box sent before are consumed.
func (tv *TV) WaitActiveSource(t testing.TB, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case tx := <-tv.link.Transmits():
			if tx.Msg.Opcode == cec.OpActiveSource {
				return
			}
		case <-deadline:
			t.Fatalf("faketv: the box did not ask the TV to switch input (no CEC Active Source) within %v", within)
		}
	}
}
