package bench

import (
	"flag"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLinks(t *testing.T) {
	got, err := ParseLinks("16/2, 50/5,100/20")
	if err != nil {
		t.Fatal(err)
	}
	want := []Link{{Down: 16e6, Up: 2e6}, {Down: 50e6, Up: 5e6}, {Down: 100e6, Up: 20e6}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "50", "50/", "/10", "50/0", "-5/10", "50/x", "NaN/5", "50/10001", "50/10,"} {
		if l, err := ParseLinks(bad); err == nil {
			t.Errorf("ParseLinks(%q) = %v, want an error", bad, l)
		}
	}
}

// TestScenariosCanBeServed: every preset, applied through atomicbench's
// own flags, keeps supply at 1.15x demand or more, as the benchmark's
// targets assume; explicit flags win over a preset's.
func TestScenariosCanBeServed(t *testing.T) {
	for _, name := range ScenarioNames() {
		var f FlashCrowd
		fs := flag.NewFlagSet("atomicbench", flag.ContinueOnError)
		finish := f.Flags(fs)
		args := []string{"-scenario", name}
		if err := ApplyScenario(fs, args); err != nil {
			t.Fatal(err)
		}
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		if err := finish(); err != nil {
			t.Fatal(err)
		}
		if r := f.SupplyRatio(); r < 1.15 {
			t.Errorf("%s: supply ratio %.2f, under 1.15", name, r)
		} else {
			t.Logf("%s: %d boxes, supply ratio %.2f", name, f.Boxes, r)
		}
	}
	var f FlashCrowd
	fs := flag.NewFlagSet("atomicbench", flag.ContinueOnError)
	finish := f.Flags(fs)
	args := []string{"-scenario=4k", "-boxes", "4"}
	if err := ApplyScenario(fs, args); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse(args); err != nil || finish() != nil {
		t.Fatal(err)
	}
	if f.Boxes != 4 || f.BitsPerSec != 25e6 || f.Scenario != "4k" {
		t.Errorf("-scenario=4k -boxes 4: boxes %d, bit rate %v, scenario %q; want 4, 25e6, 4k", f.Boxes, f.BitsPerSec, f.Scenario)
	}
}

func FuzzParseLinks(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		ls, err := ParseLinks(s)
		if err != nil {
			return
		}
		for _, l := range ls {
			if l.Down <= 0 || l.Up <= 0 {
				t.Fatalf("ParseLinks(%q) gave %+v", s, l)
			}
		}
	})
}
