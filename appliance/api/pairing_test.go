package api_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

// TestPairingGuessesAreHopeless plays a patient attacker on the household's
// network for a simulated year at the fastest rate the pairer allows: it
// asks for a code whenever none is showing and tries a code it has not
// tried on that code yet as soon as it may. Its chance of pairing is at
// most its number of guesses over the million codes; the figure must stay
// under 0.2% a year. Two devices of the household pair meanwhile, one after
// mistyping twice: the attacker cannot lock them out.
func TestPairingGuessesAreHopeless(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p, err := api.NewPairer(t.TempDir(), func() time.Time { return now }, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	const attacker = "192.0.2.66"
	end := now.AddDate(1, 0, 0)
	guesses, next := 0, 0
	var showing string
	for now.Before(end) {
		code, _, err := p.Request()
		if err != nil {
			t.Fatal(err)
		}
		if code != showing {
			showing, next = code, 0
		}
		guess := fmt.Sprintf("%06d", next)
		if guess == code { // the attacker does not know it: count it as a miss it would be
			next++
			guess = fmt.Sprintf("%06d", next)
		}
		_, _, _, err = p.Pair(attacker, guess)
		switch {
		case err == nil:
			t.Fatal("the attacker paired")
		case errors.Is(err, api.ErrWrongCode), errors.Is(err, api.ErrTooMany):
			guesses++
			next++
		case errors.Is(err, api.ErrSlowDown), errors.Is(err, api.ErrSpent), errors.Is(err, api.ErrCodeStale):
		default:
			t.Fatalf("Pair: %v", err)
		}
		now = now.Add(time.Second)
		if guesses > 0 && errors.Is(err, api.ErrSlowDown) {
			now = now.Add(time.Minute) // nothing to do but wait; keeps the loop short
		}
	}
	chance := float64(guesses) / 1e6
	t.Logf("a patient attacker got %d guesses in a year: chance of pairing %.4f%% (before: one try a second, 31.5 million guesses)", guesses, 100*chance)
	if chance > 0.002 {
		t.Errorf("%d guesses a year: %.3f%% chance, want under 0.2%%", guesses, 100*chance)
	}

	// Meanwhile the household: a phone that mistypes twice pairs within
	// seconds, and so does a tablet, whatever the attacker did.
	for _, dev := range []struct {
		source string
		typos  int
	}{{"192.168.1.30", 2}, {"192.168.1.31", 0}} {
		code, _, err := p.Request()
		if err != nil {
			t.Fatal(err)
		}
		typo := "000000"
		if code == typo {
			typo = "000001"
		}
		for range dev.typos {
			if _, _, _, err := p.Pair(dev.source, typo); !errors.Is(err, api.ErrWrongCode) {
				t.Fatalf("%s typo: %v", dev.source, err)
			}
			now = now.Add(4 * time.Second)
		}
		if _, _, _, err := p.Pair(dev.source, code); err != nil {
			t.Errorf("%s pairing after %d typos: %v", dev.source, dev.typos, err)
		}
	}
}

// pairWith pairs a device through p (a code is asked for and typed).
func pairWith(t *testing.T, p *api.Pairer, source, name string) string {
	t.Helper()
	code, _, err := p.Request()
	if err != nil {
		t.Fatal(err)
	}
	tok, _, _, err := p.PairDevice(source, code, name)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestPairedDevicesExpireAndUnpair: a paired device is listed with what it
// said it was, can be removed (its token stops working at once), and a
// token unused for PairedIdleLifetime stops working while one in use lives
// on; the list survives a restart.
func TestPairedDevicesExpireAndUnpair(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	p, err := api.NewPairer(dir, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	phone := pairWith(t, p, "192.168.1.30", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0)")
	tablet := pairWith(t, p, "192.168.1.31", "Mozilla/5.0 (Linux; Android 15; Tablet)")
	list := p.Devices(phone)
	if len(list) != 2 || !strings.Contains(list[0].Name, "Tablet") || list[0].This || !list[1].This || !strings.Contains(list[1].Name, "iPhone") {
		t.Fatalf("devices %+v, want the tablet then this phone", list)
	}
	if err := p.Unpair(list[0].ID); err != nil {
		t.Fatal(err)
	}
	if p.Valid(tablet) {
		t.Error("a removed device's token still works")
	}
	if err := p.Unpair(list[0].ID); !errors.Is(err, api.ErrNoDevice) {
		t.Errorf("removing it again: %v, want ErrNoDevice", err)
	}

	// The phone is used every 100 days: it lives on. A laptop paired the
	// same day and never used again dies after 180 days.
	laptop := pairWith(t, p, "192.168.1.32", "laptop")
	for range 3 {
		now = now.Add(100 * 24 * time.Hour)
		if !p.Valid(phone) {
			t.Fatalf("the phone, used every 100 days, stopped working at %v", now)
		}
	}
	if p.Valid(laptop) {
		t.Error("a token unused for 300 days still works")
	}
	p2, err := api.NewPairer(dir, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if got := p2.Devices(""); len(got) != 1 || !strings.Contains(got[0].Name, "iPhone") || !p2.Valid(phone) {
		t.Errorf("after a restart: %+v, want the phone alone, still working", got)
	}
}

// TestDeviceLabel: the paired-device list names devices the way a
// household knows them, from User-Agents cut to 80 bytes as the box keeps
// them.
func TestDeviceLabel(t *testing.T) {
	tests := []struct {
		ua, want, reason string
	}{
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "iPhone", "Safari on an iPhone"},
		{"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15", "iPad", "an iPad"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36", "Android phone (Pixel 7)", "Chrome on a Pixel names its model"},
		{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36", "Android phone", "Chrome's reduced User-Agent hides the model behind K"},
		{"Mozilla/5.0 (Linux; Android 13; SM-X700 Build/TP1A.220624.014) AppleWebKit/537.36 Chrome/119 Safari/537.36", "Android tablet (SM-X700)", "no Mobile token: a tablet; the build id is dropped"},
		{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Ch"[:80], "Android phone (SM-S918B)", "cut at 80 bytes before Mobile: still counted as a phone"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15", "Mac", "a Mac"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36", "Windows PC", "a Windows PC"},
		{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36", "Chromebook", "ChromeOS says X11 too"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Linux computer", "Firefox on Linux"},
		{"curl/8.5.0", "curl/8.5.0", "a tool: its product token"},
		{"", "Unknown device", "no User-Agent at all"},
	}
	for _, tt := range tests {
		if got := api.DeviceLabel(tt.ua); got != tt.want {
			t.Errorf("DeviceLabel(%q) = %q, want %q (%s)", tt.ua, got, tt.want, tt.reason)
		}
	}
}
