// Package openfiles wraps anacrolix/torrent's file storage so that an open
// torrent's files stay open, and caches its piece completion records in
// memory.
//
// Why: anacrolix v1.61's classic file I/O opens and closes the file for
// every read and every write (a 16 KiB chunk from a peer, a chunk read for
// an upload or for the player, a piece read for hashing), and its bolt
// completion store runs a read transaction for every completion query. In
// the benchmark's 30-box crowd (2026-12-07) a box spent 8% of its CPU in
// openat, fcntl and close and 4% in bolt reads, on a machine where one
// system call costs about 0.5 us before it does anything. Here each file
// is opened once per open torrent and read and written with pread and
// pwrite; completion queries are answered from memory once read.
//
// Everything else (completion semantics, the file-size check of a piece
// marked complete, flushing on MarkComplete, paths) stays anacrolix's: the
// storage is made by New, which gives anacrolix and the held files the
// same path functions (DirFor, FilePathFor).
package openfiles

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"
)

// DirFor is the torrent directory for storage.NewFileClientOpts'
// TorrentDirMaker: the base directory itself (anacrolix's default).
func DirFor(baseDir string, _ *metainfo.Info, _ metainfo.Hash) string { return baseDir }

// FilePathFor is the file path under the torrent directory for
// storage.NewFileClientOpts' FilePathMaker: the torrent's name, then the
// file's path (anacrolix's default).
func FilePathFor(opts storage.FilePathMakerOpts) string {
	var parts []string
	if name := opts.Info.BestName(); name != metainfo.NoName {
		parts = append(parts, name)
	}
	return filepath.Join(append(parts, opts.File.BestPath()...)...)
}

// Revalidate is how often at most a held file is checked against its path
// (os.Stat and Fstat): a file replaced or removed behind the box's back is
// reopened within this long.
const Revalidate = time.Second

// New returns anacrolix's file storage made with opts, with its paths set
// to DirFor and FilePathFor, its PieceCompletion (when given) cached by a
// Completion, and its pieces' reads and writes served through files held
// open until a torrent's storage is closed. One call sets both sides, so
// anacrolix and the held files always agree on every path.
func New(opts storage.NewFileClientOpts) storage.ClientImplCloser {
	opts.TorrentDirMaker = DirFor
	opts.FilePathMaker = FilePathFor
	if opts.PieceCompletion != nil {
		opts.PieceCompletion = NewCompletion(opts.PieceCompletion)
	}
	return &client{inner: storage.NewFileOpts(opts), baseDir: opts.ClientBaseDir}
}

type client struct {
	inner   storage.ClientImplCloser
	baseDir string
}

func (c *client) Close() error { return c.inner.Close() }

func (c *client) OpenTorrent(ctx context.Context, info *metainfo.Info, ih metainfo.Hash) (storage.TorrentImpl, error) {
	ti, err := c.inner.OpenTorrent(ctx, info, ih)
	if err != nil {
		return ti, err
	}
	dir := DirFor(c.baseDir, info, ih)
	t := &torrentFiles{}
	var off int64
	for _, fi := range info.UpvertedFiles() {
		t.files = append(t.files, &heldFile{
			path:   filepath.Join(dir, FilePathFor(storage.FilePathMakerOpts{Info: info, File: &fi})),
			offset: off,
			length: fi.Length,
		})
		off += fi.Length
	}
	innerPiece, innerClose := ti.Piece, ti.Close
	ti.Piece = func(p metainfo.Piece) storage.PieceImpl {
		return &piece{PieceImpl: innerPiece(p), t: t, offset: p.Offset(), length: p.Length()}
	}
	ti.PieceWithHash = nil // anacrolix falls back to Piece
	ti.Close = func() error {
		err := t.close()
		if innerClose != nil {
			err = errors.Join(err, innerClose())
		}
		return err
	}
	return ti, nil
}

// torrentFiles holds one open torrent's files. Safe for concurrent use:
// reads and writes run in parallel (pread and pwrite); opening, checking
// and closing take the mutex.
type torrentFiles struct {
	files []*heldFile

	mu      sync.Mutex
	closed  bool
	retired []*os.File // replaced handles, closed with the torrent (a reader may still use one)
}

type heldFile struct {
	path           string
	offset, length int64 // within the torrent

	// Guarded by torrentFiles.mu.
	f        *os.File
	writable bool
	checked  time.Time
}

var errClosed = errors.New("openfiles: torrent storage closed")

// handle returns f's open file, opening it (created, with its directory,
// when write) if needed; nil with a nil error when it does not exist and
// write is false.
func (t *torrentFiles) handle(f *heldFile, write bool) (*os.File, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, errClosed
	}
	if f.f != nil && time.Since(f.checked) >= Revalidate {
		f.checked = time.Now()
		if !samePath(f.f, f.path) {
			t.retired = append(t.retired, f.f)
			f.f, f.writable = nil, false
		}
	}
	if f.f != nil && (f.writable || !write) {
		return f.f, nil
	}
	h, writable, err := open(f.path, write)
	if err != nil || h == nil {
		return nil, err
	}
	if f.f != nil {
		t.retired = append(t.retired, f.f)
	}
	f.f, f.writable, f.checked = h, writable, time.Now()
	return h, nil
}

// samePath reports whether h is still the file at path.
func samePath(h *os.File, path string) bool {
	a, err := h.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// open opens path read-write (creating it and its directory when write), or
// read-only when read-write is refused and write is false. A missing file
// read gives nil, false, nil.
func open(path string, write bool) (*os.File, bool, error) {
	flag := os.O_RDWR
	if write {
		flag |= os.O_CREATE
	}
	h, err := os.OpenFile(path, flag, 0o644)
	if err == nil {
		return h, true, nil
	}
	switch {
	case write && errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, false, err
		}
		h, err = os.OpenFile(path, flag, 0o644)
		return h, err == nil, err
	case !write && errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	case !write && errors.Is(err, fs.ErrPermission):
		h, err = os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, nil
		}
		return h, false, err
	}
	return nil, false, err
}

func (t *torrentFiles) close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	var err error
	for _, f := range t.files {
		if f.f != nil {
			err = errors.Join(err, f.f.Close())
			f.f = nil
		}
	}
	for _, h := range t.retired {
		h.Close()
	}
	t.retired = nil
	return err
}

// span calls fn for each file part of the torrent's bytes [off, off+n), in
// order, with the offset within that file and the part's length; it stops
// at fn's first false.
func (t *torrentFiles) span(off, n int64, fn func(f *heldFile, fileOff, length int64) bool) {
	for _, f := range t.files {
		if n <= 0 {
			return
		}
		end := f.offset + f.length
		if off >= end || f.length == 0 {
			continue
		}
		l := min(n, end-off)
		if !fn(f, off-f.offset, l) {
			return
		}
		off += l
		n -= l
	}
}

// readAt reads the torrent's bytes at off into b. Like anacrolix's file
// storage it returns io.EOF with n < len(b) when a file is missing or
// shorter than its length (the bytes were never written).
func (t *torrentFiles) readAt(b []byte, off int64) (n int, err error) {
	t.span(off, int64(len(b)), func(f *heldFile, fileOff, length int64) bool {
		h, herr := t.handle(f, false)
		if herr != nil {
			err = herr
			return false
		}
		if h == nil {
			err = io.EOF
			return false
		}
		n1, rerr := h.ReadAt(b[n:n+int(length)], fileOff)
		n += n1
		if int64(n1) < length {
			if rerr == nil {
				rerr = io.EOF
			}
			err = rerr
			return false
		}
		return true
	})
	if err == nil && n < len(b) {
		err = io.EOF // past the torrent's end
	}
	return n, err
}

func (t *torrentFiles) writeAt(p []byte, off int64) (n int, err error) {
	t.span(off, int64(len(p)), func(f *heldFile, fileOff, length int64) bool {
		h, herr := t.handle(f, true)
		if herr != nil {
			err = herr
			return false
		}
		n1, werr := h.WriteAt(p[n:n+int(length)], fileOff)
		n += n1
		if werr == nil && int64(n1) < length {
			werr = io.ErrShortWrite
		}
		err = werr
		return werr == nil
	})
	if err == nil && n < len(p) {
		err = io.ErrShortWrite // past the torrent's end
	}
	return n, err
}

// piece serves one piece's reads and writes from the held files; the
// rest (completion, MarkComplete's flush) is anacrolix's.
type piece struct {
	storage.PieceImpl
	t              *torrentFiles
	offset, length int64 // within the torrent
}

func (p *piece) ReadAt(b []byte, off int64) (int, error) {
	if off >= p.length {
		return 0, io.EOF
	}
	short := int64(len(b)) > p.length-off
	if short {
		b = b[:p.length-off]
	}
	n, err := p.t.readAt(b, p.offset+off)
	if err == nil && short {
		err = io.EOF
	}
	return n, err
}

func (p *piece) WriteAt(b []byte, off int64) (int, error) {
	if off+int64(len(b)) > p.length {
		return 0, errors.New("openfiles: write past the piece's end")
	}
	return p.t.writeAt(b, p.offset+off)
}

// Flush makes the piece's data durable (anacrolix's, by file name).
func (p *piece) Flush() error {
	if f, ok := p.PieceImpl.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

var hashBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// WriteTo writes the piece's bytes to w (anacrolix hashes pieces this
// way), in reads of up to 256 KiB. Like anacrolix's file storage, it stops
// without an error where a file is missing or short: the hash then fails.
func (p *piece) WriteTo(w io.Writer) (written int64, err error) {
	bp := hashBuffers.Get().(*[]byte)
	defer hashBuffers.Put(bp)
	buf := *bp
	for written < p.length {
		chunk := buf[:min(int64(len(buf)), p.length-written)]
		n, rerr := p.t.readAt(chunk, p.offset+written)
		if n > 0 {
			m, werr := w.Write(chunk[:n])
			written += int64(m)
			if werr != nil {
				return written, werr
			}
		}
		if rerr == io.EOF {
			return written, nil
		}
		if rerr != nil {
			return written, rerr
		}
	}
	return written, nil
}
