package openfiles

import (
	"bytes"
	"context"
	"crypto/sha1"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	g "github.com/anacrolix/generics"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"

	_ "github.com/atomicnetwork/atomicbox/appliance/swarm/internal/classicio" // anacrolix's storage as the swarm runs it
)

// testTorrent is a three-file torrent whose files do not end on piece
// boundaries, so pieces span files.
func testTorrent(t *testing.T) (*metainfo.Info, []byte) {
	t.Helper()
	const pieceLen = 64 << 10
	lengths := []int64{100_000, 7, 150_001}
	var total int64
	for _, l := range lengths {
		total += l
	}
	data := make([]byte, total)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	info := &metainfo.Info{Name: "show", PieceLength: pieceLen}
	for i, l := range lengths {
		info.Files = append(info.Files, metainfo.FileInfo{Length: l, Path: []string{"s01", "file" + string(rune('a'+i))}})
	}
	for off := int64(0); off < total; off += pieceLen {
		h := sha1.Sum(data[off:min(off+pieceLen, total)])
		info.Pieces = append(info.Pieces, h[:]...)
	}
	return info, data
}

// newStore is the storage New makes over dir, or with wrap false
// anacrolix's own file storage with the same paths.
func newStore(dir string, wrap bool) storage.ClientImplCloser {
	opts := storage.NewFileClientOpts{
		ClientBaseDir:   dir,
		PieceCompletion: storage.NewMapPieceCompletion(),
		UsePartFiles:    g.Some(false),
	}
	if wrap {
		return New(opts)
	}
	opts.TorrentDirMaker, opts.FilePathMaker = DirFor, FilePathFor
	return storage.NewFileOpts(opts)
}

// fdsOn counts this process's open descriptors on path.
func fdsOn(t *testing.T, path string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && target == path {
			n++
		}
	}
	return n
}

// TestRoundTripHeldOpen writes a multi-file torrent in 16 KiB chunks
// through the wrapper, reads it back through the wrapper and through
// anacrolix's own file storage, hashes every piece through WriteTo, and
// checks that each file was held open once while the torrent was and
// closed with it.
func TestRoundTripHeldOpen(t *testing.T) {
	dir := t.TempDir()
	info, data := testTorrent(t)
	ih := metainfo.Hash{1}
	st := newStore(dir, true)
	defer st.Close()
	ti, err := st.OpenTorrent(context.Background(), info, ih)
	if err != nil {
		t.Fatal(err)
	}
	for i := range info.NumPieces() {
		p := info.Piece(i)
		pi := ti.Piece(p)
		for off := int64(0); off < p.Length(); off += 16 << 10 {
			end := min(off+16<<10, p.Length())
			n, err := pi.WriteAt(data[p.Offset()+off:p.Offset()+end], off)
			if err != nil || int64(n) != end-off {
				t.Fatalf("piece %d write at %d: %d, %v", i, off, n, err)
			}
		}
	}
	paths := []string{
		filepath.Join(dir, "show", "s01", "filea"),
		filepath.Join(dir, "show", "s01", "fileb"),
		filepath.Join(dir, "show", "s01", "filec"),
	}
	for i := range info.NumPieces() {
		p := info.Piece(i)
		pi := ti.Piece(p)
		got := make([]byte, p.Length())
		if n, err := pi.ReadAt(got, 0); int64(n) != p.Length() || (err != nil && err != io.EOF) {
			t.Fatalf("piece %d read: %d, %v", i, n, err)
		}
		if !bytes.Equal(got, data[p.Offset():p.Offset()+p.Length()]) {
			t.Fatalf("piece %d read back differs", i)
		}
		h := sha1.New()
		if n, err := pi.(io.WriterTo).WriteTo(h); err != nil || n != p.Length() {
			t.Fatalf("piece %d WriteTo: %d, %v", i, n, err)
		}
		if !bytes.Equal(h.Sum(nil), info.Pieces[i*20:i*20+20]) {
			t.Fatalf("piece %d hashes wrong through WriteTo", i)
		}
	}
	for _, p := range paths {
		if n := fdsOn(t, p); n != 1 {
			t.Errorf("%s: %d descriptors open while the torrent is, want 1", p, n)
		}
	}

	plain := newStore(dir, false)
	pt, err := plain.OpenTorrent(context.Background(), info, ih)
	if err != nil {
		t.Fatal(err)
	}
	for i := range info.NumPieces() {
		p := info.Piece(i)
		got := make([]byte, p.Length())
		if n, err := pt.Piece(p).ReadAt(got, 0); int64(n) != p.Length() || (err != nil && err != io.EOF) {
			t.Fatalf("anacrolix's storage read piece %d: %d, %v", i, n, err)
		}
		if !bytes.Equal(got, data[p.Offset():p.Offset()+p.Length()]) {
			t.Fatalf("anacrolix's storage reads piece %d differently", i)
		}
	}

	if err := ti.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if n := fdsOn(t, p); n != 0 {
			t.Errorf("%s: %d descriptors open after the torrent closed, want 0", p, n)
		}
	}
	if _, err := ti.Piece(info.Piece(0)).ReadAt(make([]byte, 10), 0); err == nil {
		t.Error("a read after Close succeeded")
	}
}

// TestMissingAndReplacedFiles: reading a file never written is a short
// read (io.EOF, nothing created); a file replaced behind the box's back is
// read from its new content within Revalidate.
func TestMissingAndReplacedFiles(t *testing.T) {
	dir := t.TempDir()
	info, data := testTorrent(t)
	st := newStore(dir, true)
	defer st.Close()
	ti, err := st.OpenTorrent(context.Background(), info, metainfo.Hash{2})
	if err != nil {
		t.Fatal(err)
	}
	defer ti.Close()
	p0 := ti.Piece(info.Piece(0))
	buf := make([]byte, 1000)
	if n, err := p0.ReadAt(buf, 0); n != 0 || err != io.EOF {
		t.Fatalf("reading a missing file: %d, %v; want 0, EOF", n, err)
	}
	if n, err := p0.(io.WriterTo).WriteTo(io.Discard); n != 0 || err != nil {
		t.Fatalf("hashing a missing file: %d, %v; want 0, nil", n, err)
	}
	fa := filepath.Join(dir, "show", "s01", "filea")
	if _, err := os.Stat(fa); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a read created the file: %v", err)
	}

	if _, err := p0.WriteAt(data[:1000], 0); err != nil {
		t.Fatal(err)
	}
	if _, err := p0.ReadAt(buf, 0); err != nil || !bytes.Equal(buf, data[:1000]) {
		t.Fatalf("read back: %v", err)
	}
	replacement := bytes.Repeat([]byte{'x'}, 1000)
	tmp := fa + ".new"
	if err := os.WriteFile(tmp, replacement, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, fa); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(Revalidate + 2*time.Second)
	for {
		n, _ := p0.ReadAt(buf, 0)
		if n == 1000 && bytes.Equal(buf, replacement) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still reading the replaced file %v after the replacement", Revalidate+2*time.Second)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := fdsOn(t, fa); n != 1 {
		t.Errorf("%d descriptors on the replacement, want 1", n)
	}
}

// countingCompletion counts the queries that reach it and can refuse sets.
type countingCompletion struct {
	storage.PieceCompletion
	gets    int
	refuse  bool
	persist bool
}

func (c *countingCompletion) Get(pk metainfo.PieceKey) (storage.Completion, error) {
	c.gets++
	return c.PieceCompletion.Get(pk)
}

func (c *countingCompletion) Set(pk metainfo.PieceKey, b bool) error {
	if c.refuse {
		return errors.New("disk full")
	}
	return c.PieceCompletion.Set(pk, b)
}

func (c *countingCompletion) Persistent() bool { return c.persist }

func TestCompletionCache(t *testing.T) {
	inner := &countingCompletion{PieceCompletion: storage.NewMapPieceCompletion(), persist: true}
	c := NewCompletion(inner)
	pk := metainfo.PieceKey{InfoHash: metainfo.Hash{3}, Index: 7}
	for range 5 {
		if got, err := c.Get(pk); err != nil || got.Complete {
			t.Fatalf("Get of an unrecorded piece: %+v, %v", got, err)
		}
	}
	if inner.gets != 1 {
		t.Fatalf("5 queries of one piece reached the store %d times, want 1", inner.gets)
	}
	if err := c.Set(pk, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get(pk); !got.Ok || !got.Complete {
		t.Fatalf("after Set(true): %+v", got)
	}
	if got, _ := inner.PieceCompletion.Get(pk); !got.Complete {
		t.Fatal("Set did not reach the store")
	}
	inner.refuse = true
	if err := c.Set(pk, true); err != nil {
		t.Fatalf("setting what is recorded already reached the store: %v", err)
	}
	inner.refuse = false
	inner.refuse = true
	if err := c.Set(pk, false); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("a refused Set returned %v", err)
	}
	before := inner.gets
	if got, _ := c.Get(pk); !got.Complete {
		t.Fatalf("after a refused Set(false) the cache says %+v; the store still says complete", got)
	}
	if inner.gets != before+1 {
		t.Fatal("a refused Set left its value in the cache instead of asking the store again")
	}
	if !c.Persistent() {
		t.Error("Persistent is not the store's")
	}
	inner.persist = false
	if c.Persistent() {
		t.Error("Persistent is not the store's")
	}
}
