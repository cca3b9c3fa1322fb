package publish_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
)

// TestRunReleases: the long-running publisher signs a catalog at once
// (the premiere sealed, no key), publishes an edited manifest within
// Recheck (a new premiere listed sealed), each catalog with a key within a
// moment of its release time, and nothing else; it returns nil when ctx
// ends.
func TestRunReleases(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.mp4", "b.mp4"} {
		if err := testmedia.WriteRandom(filepath.Join(dir, name), 300<<10, 1); err != nil {
			t.Fatal(err)
		}
	}
	manifest := filepath.Join(dir, "manifest.json")
	write := func(eps string) {
		t.Helper()
		// Through a rename, as an editor saves: RunReleases never reads half a file.
		tmp := manifest + ".tmp"
		if err := os.WriteFile(tmp, fmt.Appendf(nil, `{"network":"N","shows":[{"id":"s","title":"S","episodes":[%s]}]}`, eps), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, manifest); err != nil {
			t.Fatal(err)
		}
	}
	ep := func(id, video string, at time.Time) string {
		return fmt.Sprintf(`{"id":%q,"season":1,"episode":1,"title":%q,"video":%q,"durationSeconds":3,"releaseAt":%q}`, id, id, video, at.UTC().Format(time.RFC3339Nano))
	}
	first := time.Now().Add(3 * time.Second)
	write(ep("a", "a.mp4", first))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type signed struct {
		c  *catalog.Catalog
		at time.Time
	}
	got := make(chan signed, 10)
	done := make(chan error, 1)
	go func() {
		done <- publish.RunReleases(ctx, manifest, publish.Options{OriginDir: filepath.Join(dir, "origin"), BaseURL: "http://127.0.0.1:1/", Key: testKey()},
			publish.ReleaseOptions{Every: time.Hour, Recheck: 200 * time.Millisecond, Published: func(c *catalog.Catalog) { got <- signed{c, time.Now()} }})
	}()
	next := func(what string) signed {
		t.Helper()
		select {
		case s := <-got:
			return s
		case err := <-done:
			t.Fatalf("%s: RunReleases returned %v", what, err)
		case <-ctx.Done():
			t.Fatalf("%s: no publication", what)
		}
		panic("unreachable")
	}
	episode := func(c *catalog.Catalog, id string) catalog.Episode {
		for _, e := range c.Shows[0].Episodes {
			if e.ID == id {
				return e
			}
		}
		t.Fatalf("catalog %d has no episode %s", c.Sequence, id)
		return catalog.Episode{}
	}

	s1 := next("at start")
	if e := episode(s1.c, "a"); e.Embargo == nil || e.ContentKey != "" {
		t.Fatalf("first catalog: episode a sealed=%v key=%q, want sealed without key", e.Embargo != nil, e.ContentKey)
	}
	// While it waits for a, the manifest gains b, released two seconds
	// before a: re-reading the manifest finds it and lists it at once,
	// sealed (boxes pre-fetch it; its hashing is done before its hour).
	second := first.Add(-2 * time.Second)
	write(ep("a", "a.mp4", first) + "," + ep("b", "b.mp4", second))
	s2 := next("after the edit")
	if e := episode(s2.c, "b"); e.Embargo == nil || e.ContentKey != "" || !s2.at.Before(second) {
		t.Fatalf("after the edit: catalog %d signed %v after b's release time, b sealed=%v key=%q; want b listed sealed without its key before its hour",
			s2.c.Sequence, s2.at.Sub(second), e.Embargo != nil, e.ContentKey)
	}

	for _, r := range []struct {
		id string
		at time.Time
	}{{"b", second}, {"a", first}} {
		s := next("release of " + r.id)
		e := episode(s.c, r.id)
		late := s.at.Sub(r.at)
		playable := e.Embargo != nil && e.ContentKey != ""
		t.Logf("episode %s: catalog %d signed %v after its release time", r.id, s.c.Sequence, late.Round(time.Millisecond))
		if !playable || late < 0 || late > time.Second {
			t.Errorf("episode %s: catalog %d signed %v after its release time, playable %t; want it playable within 1 s (publishing takes milliseconds)", r.id, s.c.Sequence, late, playable)
		}
	}
	select {
	case s := <-got:
		t.Errorf("an extra publication, sequence %d, with nothing released", s.c.Sequence)
	case <-time.After(time.Second):
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunReleases after cancel = %v, want nil", err)
	}
}

// TestRunReleasesRefusesBadStart: a manifest that cannot be read at the
// start is a configuration error, returned at once.
func TestRunReleasesRefusesBadStart(t *testing.T) {
	dir := t.TempDir()
	err := publish.RunReleases(context.Background(), filepath.Join(dir, "missing.json"), publish.Options{OriginDir: dir, BaseURL: "http://127.0.0.1:1/", Key: testKey()}, publish.ReleaseOptions{})
	if err == nil {
		t.Fatal("RunReleases with no manifest returned nil")
	}
}
