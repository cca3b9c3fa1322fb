package mpv

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func openHeadless(t *testing.T) *Player {
	t.Helper()
	dir := t.TempDir()
	if err := PrepareConfigDir(dir, "/usr/share/fonts/truetype/dejavu"); err != nil {
		t.Fatal(err)
	}
	opts, err := Options(Env{Profile: Headless, ConfigDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(context.Background(), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return p
}

// waitFor reads events until match returns true or the deadline passes.
func waitFor(t *testing.T, p *Player, d time.Duration, match func(Event) bool) Event {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-p.Events():
			if !ok {
				t.Fatal("event channel closed")
			}
			if match(ev) {
				return ev
			}
		case <-timer.C:
			t.Fatalf("no matching event within %v", d)
		}
	}
}

// TestKeypressBecomesClientMessage checks the window keyboard path: a key
// mpv sees (simulated with the keypress command) arrives as a client
// message carrying the Linux key name, through the generated input.conf.
func TestKeypressBecomesClientMessage(t *testing.T) {
	p := openHeadless(t)
	for _, key := range []string{"RIGHT", "KP_ENTER", "BS"} {
		if err := p.Command("keypress", key); err != nil {
			t.Fatal(err)
		}
		ev := waitFor(t, p, 5*time.Second, func(ev Event) bool { return ev.Kind == KindClientMessage })
		want := []string{KeyMessage, string(KeyBindings[key])}
		if diff := cmp.Diff(want, ev.Args); diff != "" {
			t.Errorf("keypress %s: client message args (-want +got):\n%s", key, diff)
		}
	}
}

// TestQuoteSurvivesMpvParsing sends awkward strings through a command and
// reads them back as a property change.
func TestQuoteSurvivesMpvParsing(t *testing.T) {
	p := openHeadless(t)
	if err := p.Observe("title", ValueString); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`plain`, `with "quotes" and \backslash`, "{\\an7}<b>&amp;\nnewline ${path} é ✓"} {
		if err := p.Command("set", "title", s); err != nil {
			t.Fatal(err)
		}
		ev := waitFor(t, p, 5*time.Second, func(ev Event) bool {
			return ev.Kind == KindPropertyChange && ev.Name == "title" && ev.Value == s
		})
		if ev.Value != s {
			t.Errorf("got %q, want %q", ev.Value, s)
		}
	}
}
