package swarm

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// bigTorrent is the metainfo of an episode of size bytes that nobody holds
// (random piece hashes).
func bigTorrent(t *testing.T, name string, size, pieceLength int64) *metainfo.MetaInfo {
	t.Helper()
	pieces := make([]byte, 20*((size+pieceLength-1)/pieceLength))
	rand.Read(pieces)
	ib, err := bencode.Marshal(metainfo.Info{Name: name, Length: size, PieceLength: pieceLength, Pieces: pieces})
	if err != nil {
		t.Fatal(err)
	}
	return &metainfo.MetaInfo{InfoBytes: ib}
}

func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

// TestDormantCatalog: a catalog of episodes the box does not hold costs
// the box next to nothing until one is opened. Ten 2.7 GB episodes at
// 128 KiB pieces (206,000 pieces) cost anacrolix about 90 MiB of heap once
// added to its client (440 bytes a piece, measured 2026-12-07); dormant,
// they cost their metainfo (20 bytes a piece of hashes).
func TestDormantCatalog(t *testing.T) {
	ctx := context.Background()
	s := newSwarm(t, t.TempDir())
	const episodes, size, pieceLength = 10, 2_700_000_000, 128 << 10
	mis := make([]*metainfo.MetaInfo, episodes)
	for i := range mis {
		mis[i] = bigTorrent(t, fmt.Sprintf("e%d.mp4", i), size, pieceLength)
	}
	before := heapInUse()
	for i, mi := range mis {
		if err := s.Add(ctx, fmt.Sprint("e", i), mi, 2700); err != nil {
			t.Fatal(err)
		}
	}
	pieces := int64(episodes) * ((size + pieceLength - 1) / pieceLength)
	grew := heapInUse() - before
	t.Logf("%d episodes, %d pieces registered: heap grew %.1f MiB (%.0f bytes a piece)", episodes, pieces, float64(grew)/(1<<20), float64(grew)/float64(pieces))
	if grew > 60*pieces {
		t.Errorf("registering %d pieces grew the heap by %d bytes, %d a piece: the catalog joined the client", pieces, grew, grew/pieces)
	}
	if n := len(s.client.Torrents()); n != 0 {
		t.Errorf("%d torrents in the client before anything was opened, want 0", n)
	}
	for i := range mis {
		id := fmt.Sprint("e", i)
		if !s.Has(id) || s.Completion(id) != 0 || s.Held(id) != 0 {
			t.Errorf("%s: Has %v, completion %v, held %d; want known and empty", id, s.Has(id), s.Completion(id), s.Held(id))
		}
	}
	if st := s.Stats(); len(st.Torrents) != episodes || st.Total.Size != episodes*size {
		t.Errorf("stats list %d torrents of %d bytes, want %d of %d", len(st.Torrents), st.Total.Size, episodes, int64(episodes)*size)
	}
	if got := s.EpisodeByInfoHash(mis[3].HashInfoBytes().HexString()); got != "e3" {
		t.Errorf("EpisodeByInfoHash of e3's torrent = %q", got)
	}

	// Opening one adds it (and only it); so does a prefetch.
	st, err := s.Open(ctx, "e3")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Size() != size {
		t.Errorf("stream size %d, want %d", st.Size(), int64(size))
	}
	if err := s.Prefetch("e5"); err != nil {
		t.Fatal(err)
	}
	if n := len(s.client.Torrents()); n != 2 {
		t.Errorf("%d torrents in the client after one Open and one Prefetch, want 2", n)
	}
	// Adding the same torrent again leaves the opened one in place.
	if err := s.Add(ctx, "e3", mis[3], 2700); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.episodes["e3"]; !ok {
		t.Error("adding e3 again put it back to sleep")
	}
	// Dropping a dormant episode forgets it.
	if held, err := s.Drop(ctx, "e7"); err != nil || held != 0 || s.Has("e7") {
		t.Errorf("drop of dormant e7: held %d, err %v, still known %v", held, err, s.Has("e7"))
	}
	if _, err := s.Open(ctx, "e7"); err == nil {
		t.Error("Open of a dropped episode succeeded")
	}
}

// TestWarmAndCool: Warm puts a dormant episode in the client without
// wanting any of it; Cool puts it back to sleep unless the box holds some
// of it or streams it.
func TestWarmAndCool(t *testing.T) {
	ctx := context.Background()
	s := newSwarm(t, t.TempDir())
	mi := bigTorrent(t, "p.mp4", 64<<20, 256<<10)
	if err := s.Add(ctx, "p", mi, 64); err != nil {
		t.Fatal(err)
	}
	if err := s.Warm("p"); err != nil {
		t.Fatal(err)
	}
	if n := len(s.client.Torrents()); n != 1 {
		t.Fatalf("%d torrents in the client after Warm, want 1", n)
	}
	if err := s.Warm("nope"); !errors.Is(err, ErrUnknownEpisode) {
		t.Errorf("Warm of an unknown episode: %v, want ErrUnknownEpisode", err)
	}
	st, err := s.Open(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	if s.Cool("p") {
		t.Error("Cool put an episode with an open stream to sleep")
	}
	st.Close()
	if !s.Cool("p") {
		t.Fatal("Cool left a warmed episode nobody watches in the client")
	}
	if n := len(s.client.Torrents()); n != 0 || !s.Has("p") {
		t.Errorf("after Cool: %d torrents in the client (want 0), known %v (want true)", n, s.Has("p"))
	}
	if s.Cool("p") {
		t.Error("Cool of a dormant episode reported it cooled")
	}
	// It wakes again, with the same torrent.
	st, err = s.Open(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := s.client.Torrents(); len(got) != 1 || got[0].InfoHash() != mi.HashInfoBytes() {
		t.Errorf("after a second Open the client has %d torrents, want p's", len(got))
	}
}
