package library

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

var now = time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)

func daysAgo(d int) time.Time { return now.Add(-time.Duration(d) * 24 * time.Hour) }

const mib = 1 << 20

func TestEvictionOrder(t *testing.T) {
	tests := []struct {
		reason    string
		items     []Item
		toFree    int64
		want      []string // episodes in eviction order
		wantFreed int64
	}{
		{
			reason: "watched and well seeded goes before watched and rare, even when watched more recently",
			items: []Item{
				{Episode: "rare", Held: 100 * mib, Watched: true, LastWatched: daysAgo(60), Copies: 1},
				{Episode: "seeded", Held: 100 * mib, Watched: true, LastWatched: daysAgo(2), Copies: 12},
			},
			toFree: 150 * mib, want: []string{"seeded", "rare"}, wantFreed: 200 * mib,
		},
		{
			reason: "among watched, well seeded episodes the one watched longest ago goes first",
			items: []Item{
				{Episode: "last-week", Held: 100 * mib, Watched: true, LastWatched: daysAgo(7), Copies: 5},
				{Episode: "last-year", Held: 100 * mib, Watched: true, LastWatched: daysAgo(300), Copies: 5},
				{Episode: "last-month", Held: 100 * mib, Watched: true, LastWatched: daysAgo(30), Copies: 5},
			},
			toFree: 300 * mib, want: []string{"last-year", "last-month", "last-week"}, wantFreed: 300 * mib,
		},
		{
			reason: "stops as soon as enough is freed",
			items: []Item{
				{Episode: "a", Held: 100 * mib, Watched: true, LastWatched: daysAgo(90), Copies: 5},
				{Episode: "b", Held: 100 * mib, Watched: true, LastWatched: daysAgo(80), Copies: 5},
			},
			toFree: 50 * mib, want: []string{"a"}, wantFreed: 100 * mib,
		},
		{
			reason: "pinned and playing episodes are never evicted, even when the budget cannot be met",
			items: []Item{
				{Episode: "pinned", Held: 500 * mib, Watched: true, LastWatched: daysAgo(400), Copies: 50, Pinned: true},
				{Episode: "playing", Held: 500 * mib, Watched: true, LastWatched: daysAgo(400), Copies: 50, Playing: true},
				{Episode: "new", Held: 100 * mib, Followed: true, Released: daysAgo(1)},
			},
			toFree: 1000 * mib, want: []string{"new"}, wantFreed: 100 * mib,
		},
		{
			reason: "an unwatched new release of a followed show is the last resort, after rare content and older followed episodes",
			items: []Item{
				{Episode: "new-release", Held: 100 * mib, Followed: true, Released: daysAgo(3), Copies: 40},
				{Episode: "followed-old", Held: 100 * mib, Followed: true, Released: daysAgo(100), Copies: 40},
				{Episode: "watched-rare", Held: 100 * mib, Watched: true, LastWatched: daysAgo(1), Copies: 0},
				{Episode: "stock-rare", Held: 100 * mib, Released: daysAgo(3), Copies: 0},
			},
			toFree: 400 * mib, want: []string{"watched-rare", "stock-rare", "followed-old", "new-release"}, wantFreed: 400 * mib,
		},
		{
			reason: "pre-fetched episodes of shows nobody here follows, well seeded, go before watched but rare ones",
			items: []Item{
				{Episode: "watched-rare", Held: 100 * mib, Watched: true, LastWatched: daysAgo(200), Copies: 2},
				{Episode: "stock-seeded", Held: 100 * mib, Released: daysAgo(1), Copies: 9},
			},
			toFree: 100 * mib, want: []string{"stock-seeded"}, wantFreed: 100 * mib,
		},
		{
			reason: "a started, unfinished episode is kept over content nobody asked for",
			items: []Item{
				{Episode: "started", Held: 100 * mib, LastWatched: daysAgo(20), Copies: 0},
				{Episode: "stock", Held: 100 * mib, Copies: 0},
			},
			toFree: 100 * mib, want: []string{"stock"}, wantFreed: 100 * mib,
		},
		{
			reason: "same class and age: the copy the swarm needs least (most other copies) goes first",
			items: []Item{
				{Episode: "two-copies", Held: 100 * mib, Watched: true, LastWatched: daysAgo(10), Copies: 2},
				{Episode: "one-copy", Held: 100 * mib, Watched: true, LastWatched: daysAgo(10), Copies: 1},
			},
			toFree: 100 * mib, want: []string{"two-copies"}, wantFreed: 100 * mib,
		},
		{
			reason: "an episode with nothing on disk frees nothing and is not listed",
			items: []Item{
				{Episode: "empty", Held: 0, Watched: true, LastWatched: daysAgo(999), Copies: 99},
				{Episode: "full", Held: 10 * mib, Watched: true, LastWatched: daysAgo(1), Copies: 99},
			},
			toFree: 1, want: []string{"full"}, wantFreed: 10 * mib,
		},
		{
			reason: "within budget: nothing to delete",
			items:  []Item{{Episode: "a", Held: 100 * mib, Watched: true, LastWatched: daysAgo(90), Copies: 5}},
			toFree: 0, want: nil, wantFreed: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			plan, freed := PlanEviction(tt.items, tt.toFree, now, Policy{})
			var got []string
			for _, e := range plan {
				got = append(got, e.Episode)
				if e.Reason == "" {
					t.Errorf("%s evicted without a reason", e.Episode)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("eviction order (-want +got)\n%s", diff)
			}
			if freed != tt.wantFreed {
				t.Errorf("freed %d, want %d", freed, tt.wantFreed)
			}
		})
	}
}

// TestEvictionReasonsGolden keeps the sentences shown to people stable; run
// with -update after changing them on purpose.
func TestEvictionReasonsGolden(t *testing.T) {
	items := []Item{
		{Episode: "orbit-s1e1", Held: 700 * mib, Watched: true, LastWatched: daysAgo(45), Copies: 8},
		{Episode: "orbit-s1e2", Held: 650 * mib, Watched: true, LastWatched: daysAgo(3), Copies: 1},
		{Episode: "cooking-s2e9", Held: 400 * mib, Released: daysAgo(30), Copies: 4},
		{Episode: "cooking-s2e10", Held: 420 * mib, Released: daysAgo(23), Copies: 0},
		{Episode: "orbit-s1e3", Held: 300 * mib, LastWatched: now.Add(-5 * time.Hour), Followed: true, Released: daysAgo(20)},
		{Episode: "orbit-s1e4", Held: 710 * mib, Followed: true, Released: daysAgo(20), Copies: 2},
		{Episode: "orbit-s1e5", Held: 690 * mib, Followed: true, Released: daysAgo(1), Copies: 2},
		{Episode: "news-today", Held: 100 * mib, Playing: true},
		{Episode: "wedding", Held: 2000 * mib, Pinned: true, Watched: true},
	}
	plan, freed := PlanEviction(items, 1<<40, now, Policy{})
	var b strings.Builder
	for i, e := range plan {
		fmt.Fprintf(&b, "%d. %s (%d MiB): %s\n", i+1, e.Episode, e.Bytes/mib, e.Reason)
	}
	fmt.Fprintf(&b, "freed %d MiB\n", freed/mib)
	path := filepath.Join("testdata", "eviction.golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("eviction plan (-want +got)\n%s", diff)
	}
}
