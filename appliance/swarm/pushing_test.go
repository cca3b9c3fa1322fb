package swarm

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/anacrolix/torrent"
)

// noUploadSeed returns a swarm whose anacrolix serves no requests at all
// (NoUpload) and that holds the fixture's file but its last piece, which it
// wants (anacrolix makes or takes connections for a torrent that uploads
// nothing only while it wants data).
func noUploadSeed(t *testing.T, f *fixture, push bool) *Swarm {
	t.Helper()
	data := bytes.Clone(f.data)
	clear(data[len(data)-1024:])
	dir := placedMedia(t, f, data)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seed, err := New(ctx, Config{DataDir: dir, ListenHost: "127.0.0.1", DisableDHT: true, DisableTrackers: true, Log: testLog(t),
		Push: push, ConfigureClient: func(tc *torrent.ClientConfig) { tc.NoUpload = true }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seed.Close(context.Background()) })
	add(t, seed, f)
	if err := seed.Prefetch(f.id); err != nil {
		t.Fatal(err)
	}
	return seed
}

// TestPushBetweenSwarms: a box streams an episode from a peer whose
// anacrolix serves no requests (noUploadSeed), so every byte must come
// through atomicbox_push: asked for as the stream's deadlines near, pushed
// in order of deadline, hash-checked and written. The bytes match the file
// and the counters say where they came from.
func TestPushBetweenSwarms(t *testing.T) {
	const size, read = 3 << 20, 2 << 20 // the seed lacks the last piece
	f := newFixture(t, size, false)
	seed := noUploadSeed(t, f, true)
	lctx, lcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer lcancel()
	leech, err := New(lctx, Config{DataDir: t.TempDir(), ListenHost: "127.0.0.1", Peers: []string{seed.Addr()},
		DisableDHT: true, DisableTrackers: true, Log: testLog(t), Push: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { leech.Close(context.Background()) })
	add(t, leech, f)

	got := readAll(t, leech, f.id, 0, read)
	if !bytes.Equal(got, f.data[:read]) {
		t.Fatalf("streamed %d bytes that differ from the file", len(got))
	}
	ls := leech.Stats().Total
	t.Logf("leecher: %d bytes from peers (pushed %d); seed pushed %d", ls.BytesFromPeers, leech.episodes[f.id].pushedIn.Load(), seed.episodes[f.id].pushedOut.Load())
	if in := leech.episodes[f.id].pushedIn.Load(); in < read || in != ls.BytesFromPeers {
		t.Errorf("the leecher took %d bytes from pushes of %d from peers, want all of them and at least %d (the seed serves no requests)", in, ls.BytesFromPeers, read)
	}
	if out := seed.episodes[f.id].pushedOut.Load(); out < read {
		t.Errorf("the seed pushed %d bytes, want at least %d", out, read)
	}
}

// TestNoPushNoBytes is the control: a leecher without the extension (the
// default) gets nothing from the same seed, so TestPushBetweenSwarms's bytes came through
// pushes.
func TestNoPushNoBytes(t *testing.T) {
	f := newFixture(t, 1<<20, false)
	seed := noUploadSeed(t, f, true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	leech, err := New(ctx, Config{DataDir: t.TempDir(), ListenHost: "127.0.0.1", Peers: []string{seed.Addr()},
		DisableDHT: true, DisableTrackers: true, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { leech.Close(context.Background()) })
	add(t, leech, f)
	sctx, scancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer scancel()
	st, err := leech.Open(sctx, f.id)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, _ := st.Read(make([]byte, 1024))
	if n != 0 || leech.Stats().Total.BytesFromPeers != 0 {
		t.Errorf("without pushes the leecher read %d bytes (%d from peers) from a seed that serves no requests", n, leech.Stats().Total.BytesFromPeers)
	}
}
