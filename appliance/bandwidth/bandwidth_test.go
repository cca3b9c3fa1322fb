package bandwidth

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
	_ "time/tzdata" // the schedule tests need Europe/Berlin whatever the machine has

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"
)

var (
	dayCaps   = Caps{Upload: 1 << 20, Download: 4 << 20}
	nightCaps = Caps{Upload: 0, Download: 8 << 20}
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func at(t *testing.T, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05.999", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestScheduleSwitchesAtBoundaries(t *testing.T) {
	type step struct {
		at        string // local time in the row's location
		wantNight bool
	}
	tests := []struct {
		reason string
		loc    string
		window Window
		start  string
		steps  []step
	}{
		{
			reason: "every night 22:00-06:00: switches exactly at 22:00 and 06:00, across midnight",
			loc:    "Europe/Berlin",
			window: Window{Enabled: true, StartMinute: 22 * 60, EndMinute: 6 * 60},
			start:  "2026-11-23 12:00:00",
			steps: []step{
				{"2026-11-23 21:59:59.999", false},
				{"2026-11-23 22:00:00", true},
				{"2026-11-23 23:59:59.999", true},
				{"2026-11-24 00:00:00", true},
				{"2026-11-24 05:59:59.999", true},
				{"2026-11-24 06:00:00", false},
				{"2026-11-24 21:59:00", false},
				{"2026-11-24 22:00:00", true},
			},
		},
		{
			reason: "Fridays only: Friday's window runs into Saturday morning; Saturday evening stays daytime until next Friday",
			loc:    "Europe/Berlin",
			window: Window{Enabled: true, Days: []time.Weekday{time.Friday}, StartMinute: 22 * 60, EndMinute: 6 * 60},
			start:  "2026-11-27 12:00:00",
			steps: []step{
				{"2026-11-27 21:59:59.999", false},
				{"2026-11-27 22:00:00", true},
				{"2026-11-28 05:59:59.999", true},
				{"2026-11-28 06:00:00", false},
				{"2026-11-28 22:00:00", false},
				{"2026-12-04 21:59:59.999", false},
				{"2026-12-04 22:00:00", true},
			},
		},
		{
			reason: "daytime window 09:00-17:00 on weekdays does not cross midnight",
			loc:    "UTC",
			window: Window{Enabled: true, Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, StartMinute: 9 * 60, EndMinute: 17 * 60},
			start:  "2026-11-27 08:00:00",
			steps: []step{
				{"2026-11-27 08:59:59.999", false},
				{"2026-11-27 09:00:00", true},
				{"2026-11-27 16:59:59.999", true},
				{"2026-11-27 17:00:00", false},
				{"2026-11-28 09:00:00", false}, // Saturday
				{"2026-11-30 09:00:00", true},  // Monday
			},
		},
		{
			reason: "spring forward (Berlin, 29 March 2026, 02:00 becomes 03:00): 01:00-06:00 ends at 06:00 local, 04:00 UTC",
			loc:    "Europe/Berlin",
			window: Window{Enabled: true, StartMinute: 1 * 60, EndMinute: 6 * 60},
			start:  "2026-03-28 23:00:00",
			steps: []step{
				{"2026-03-29 00:59:59.999", false},
				{"2026-03-29 01:00:00", true},
				{"2026-03-29 05:59:59.999", true},
				{"2026-03-29 06:00:00", false},
			},
		},
		{
			reason: "a window starting in the skipped hour (02:30 on the spring-forward night) starts when the clock jumps to 03:00",
			loc:    "Europe/Berlin",
			window: Window{Enabled: true, StartMinute: 2*60 + 30, EndMinute: 5 * 60},
			start:  "2026-03-29 00:30:00",
			steps: []step{
				{"2026-03-29 01:59:59.999", false},
				{"2026-03-29 03:00:00", true},
				{"2026-03-29 04:59:59.999", true},
				{"2026-03-29 05:00:00", false},
			},
		},
		{
			reason: "fall back (Berlin, 25 October 2026, 03:00 becomes 02:00): 22:00-06:00 ends at 06:00 local, 05:00 UTC, after a 9-hour night",
			loc:    "Europe/Berlin",
			window: Window{Enabled: true, StartMinute: 22 * 60, EndMinute: 6 * 60},
			start:  "2026-10-24 21:00:00",
			steps: []step{
				{"2026-10-24 22:00:00", true},
				{"2026-10-25 05:59:59.999", true},
				{"2026-10-25 06:00:00", false},
			},
		},
		{
			reason: "a disabled window never applies",
			loc:    "UTC",
			window: Window{Enabled: false, StartMinute: 22 * 60, EndMinute: 6 * 60},
			start:  "2026-11-23 12:00:00",
			steps: []step{
				{"2026-11-23 22:00:00", false},
				{"2026-11-24 03:00:00", false},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			loc := mustLoc(t, tt.loc)
			clock := newFakeClock(at(t, loc, tt.start))
			up, down := rate.NewLimiter(rate.Inf, 0), rate.NewLimiter(rate.Inf, 0)
			w := tt.window
			w.Caps = nightCaps
			s, err := New(up, down, "", Options{Clock: clock, Location: loc})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SetSettings(Settings{Day: dayCaps, Night: w}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx) }()
			defer func() {
				cancel()
				if err := <-done; err != context.Canceled {
					t.Errorf("Run returned %v, want context.Canceled", err)
				}
			}()
			if err := clock.WaitTimers(ctx, 1); err != nil {
				t.Fatalf("scheduler never armed its timer: %v", err)
			}
			for _, st := range tt.steps {
				clock.Set(at(t, loc, st.at))
				if err := clock.WaitTimers(ctx, 1); err != nil {
					t.Fatalf("at %s: scheduler did not re-arm: %v", st.at, err)
				}
				want := LimitsFor(Settings{Day: dayCaps, Night: w}, st.wantNight, false)
				if diff := cmp.Diff(want, s.Limits()); diff != "" {
					t.Errorf("at %s (%s): limits (-want +got)\n%s", st.at, clock.Now().UTC().Format(time.RFC3339Nano), diff)
				}
				if got, want := up.Limit(), limitOf(want.Upload); got != want {
					t.Errorf("at %s: upload limiter %v, want %v", st.at, got, want)
				}
				if got, want := down.Limit(), limitOf(want.Download); got != want {
					t.Errorf("at %s: download limiter %v, want %v", st.at, got, want)
				}
			}
		})
	}
}

func limitOf(bytesPerSec int64) rate.Limit {
	if bytesPerSec == 0 {
		return rate.Inf
	}
	return rate.Limit(bytesPerSec)
}

func TestLimitsFor(t *testing.T) {
	tests := []struct {
		reason          string
		s               Settings
		night, watching bool
		want            Limits
	}{
		{reason: "no caps configured: unlimited", s: Settings{}, want: Limits{}},
		{reason: "daytime caps apply outside the window", s: Settings{Day: dayCaps, Night: Window{Caps: nightCaps}}, want: Limits{Upload: 1 << 20, Download: 4 << 20}},
		{reason: "overnight caps apply inside the window", s: Settings{Day: dayCaps, Night: Window{Caps: nightCaps}}, night: true, want: Limits{Upload: 0, Download: 8 << 20, Night: true}},
		{reason: "watching: upload drops to the default three quarters of the cap, download cap lifted so the stream is not throttled",
			s: Settings{Day: dayCaps}, watching: true, want: Limits{Upload: 768 << 10, Download: 0, Watching: true}},
		{reason: "watching with a configured share", s: Settings{Day: dayCaps, WatchingUploadShare: 0.5}, watching: true, want: Limits{Upload: 512 << 10, Watching: true}},
		{reason: "watching overnight with unlimited upload: share of the known uplink",
			s: Settings{Night: Window{Caps: nightCaps}, UplinkBytesPerSec: 2 << 20, WatchingUploadShare: 0.5}, night: true, watching: true, want: Limits{Upload: 1 << 20, Night: true, Watching: true}},
		{reason: "watching with no cap and unknown uplink: a conservative fixed cap", s: Settings{}, watching: true, want: Limits{Upload: DefaultWatchingUpload, Watching: true}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, LimitsFor(tt.s, tt.night, tt.watching)); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tt.reason, diff)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		reason  string
		s       Settings
		wantErr bool
	}{
		{reason: "zero settings are valid (no caps)", s: Settings{}},
		{reason: "a normal overnight schedule", s: Settings{Day: dayCaps, Night: Window{Enabled: true, Days: []time.Weekday{time.Saturday}, StartMinute: 60, EndMinute: 420}}},
		{reason: "negative cap", s: Settings{Day: Caps{Upload: -1}}, wantErr: true},
		{reason: "minute past the end of the day", s: Settings{Night: Window{Enabled: true, StartMinute: 1440, EndMinute: 10}}, wantErr: true},
		{reason: "empty enabled window", s: Settings{Night: Window{Enabled: true, StartMinute: 10, EndMinute: 10}}, wantErr: true},
		{reason: "day of the week out of range", s: Settings{Night: Window{Days: []time.Weekday{7}}}, wantErr: true},
		{reason: "share above one", s: Settings{WatchingUploadShare: 1.5}, wantErr: true},
	}
	for _, tt := range tests {
		err := tt.s.Validate()
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: Validate() = %v, want error %v", tt.reason, err, tt.wantErr)
		}
	}
}

func TestSettingsPersistAndApplyAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bandwidth.json")
	clock := newFakeClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	up, down := rate.NewLimiter(rate.Inf, 0), rate.NewLimiter(rate.Inf, 0)
	s, err := New(up, down, path, Options{Clock: clock, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if got := up.Limit(); got != rate.Inf {
		t.Errorf("no settings file: upload limit %v, want unlimited", got)
	}
	want := Settings{Day: dayCaps, Night: Window{Enabled: true, Days: []time.Weekday{time.Sunday}, StartMinute: 60, EndMinute: 300, Caps: nightCaps}, WatchingUploadShare: 0.5}
	if err := s.SetSettings(want); err != nil {
		t.Fatal(err)
	}
	if got := up.Limit(); got != rate.Limit(dayCaps.Upload) {
		t.Errorf("after SetSettings (no Run loop needed): upload limit %v, want %v", got, dayCaps.Upload)
	}
	if up.Burst() < 16<<10 {
		t.Errorf("upload burst %d is smaller than a 16 KiB chunk: anacrolix would panic", up.Burst())
	}
	s.Watching(true)
	if got := up.Limit(); got != rate.Limit(dayCaps.Upload/2) {
		t.Errorf("watching: upload limit %v, want %v", got, dayCaps.Upload/2)
	}
	if got := down.Limit(); got != rate.Inf {
		t.Errorf("watching: download limit %v, want unlimited", got)
	}
	s.Watching(false)
	if got := down.Limit(); got != rate.Limit(dayCaps.Download) {
		t.Errorf("stopped watching: download limit %v, want %v", got, dayCaps.Download)
	}

	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetSettings(Settings{Day: Caps{Upload: -5}}); err == nil {
		t.Error("SetSettings accepted a negative cap")
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Errorf("a refused change rewrote the file:\n%s\n->\n%s", before, after)
	}

	s2, err := New(rate.NewLimiter(rate.Inf, 0), rate.NewLimiter(rate.Inf, 0), path, Options{Clock: clock, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, s2.Settings()); diff != "" {
		t.Errorf("settings after reload (-want +got)\n%s", diff)
	}

	if err := os.WriteFile(path, []byte(`{"day": {"upload": 12`), 0o644); err != nil {
		t.Fatal(err)
	}
	s3, err := New(rate.NewLimiter(rate.Inf, 0), rate.NewLimiter(rate.Inf, 0), path, Options{Clock: clock, Location: time.UTC})
	if err != nil {
		t.Fatalf("corrupt settings file must start fresh, got %v", err)
	}
	if diff := cmp.Diff(Settings{}, s3.Settings()); diff != "" {
		t.Errorf("settings from a corrupt file (-want +got)\n%s", diff)
	}
}

// The household picks its time zone after the box came up in UTC: at 21:30
// UTC the 22:00-06:00 window is closed in UTC but open in Berlin (22:30),
// and SetLocation applies that at once, without waiting for Run.
func TestSetLocationMovesTheWindowAtOnce(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 23, 21, 30, 0, 0, time.UTC))
	up, down := rate.NewLimiter(rate.Inf, 0), rate.NewLimiter(rate.Inf, 0)
	s, err := New(up, down, "", Options{Clock: clock, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetSettings(Settings{Day: dayCaps, Night: Window{Enabled: true, StartMinute: 22 * 60, EndMinute: 6 * 60, Caps: nightCaps}}); err != nil {
		t.Fatal(err)
	}
	if got := down.Limit(); got != rate.Limit(dayCaps.Download) {
		t.Fatalf("21:30 UTC: download limit %v, want the day cap %v", got, dayCaps.Download)
	}
	s.SetLocation(mustLoc(t, "Europe/Berlin"))
	if got := down.Limit(); got != rate.Limit(nightCaps.Download) {
		t.Fatalf("22:30 in Berlin: download limit %v, want the night cap %v", got, nightCaps.Download)
	}
}

// FuzzLoadSettings: whatever the settings file holds, New starts (a
// corrupt or invalid file means no caps) with settings that validate.
// Seeds: testdata/fuzz/FuzzLoadSettings.
func FuzzLoadSettings(f *testing.F) {
	f.Add([]byte(`{"day":{"upload":1048576,"download":4194304},"night":{"enabled":true,"days":[5],"startMinute":1320,"endMinute":360,"caps":{"upload":0,"download":8388608}},"watchingUploadShare":0.5}`))
	f.Add([]byte(`{"day":{"upload":-5}}`))
	f.Add([]byte(`{"night":{"enabled":true,"startMinute":99999}}`))
	f.Add([]byte(`{"day":`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "bandwidth.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := New(rate.NewLimiter(rate.Inf, 0), rate.NewLimiter(rate.Inf, 0), path, Options{Clock: newFakeClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)), Location: time.UTC, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatalf("New on a fuzzed file: %v", err)
		}
		if err := s.Settings().Validate(); err != nil {
			t.Fatalf("loaded settings do not validate: %v", err)
		}
	})
}
