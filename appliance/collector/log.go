package collector

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/ledger"
)

// The log file: logMagic, then records of
//
//	length u32 (of doc) | crc32c u32 (of key, seq, doc) | box key [32] | sequence u64 | doc
//
// all big-endian. doc is the signed report as the box sent it. A record is
// written with one write and made durable with an fsync before Accept
// returns.
const logMagic = "atomicbox-collector-log-v1\n"

const recordHeader = 4 + 4 + 32 + 8

// maxRecord bounds a record's length on reading: a corrupt length must
// not make the reader allocate gigabytes.
const maxRecord = 64 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// logFile is the open log. Not safe for concurrent use (the Collector's
// mu guards it).
type logFile struct {
	path string
	f    *os.File
	log  *slog.Logger
}

var errCorrupt = errors.New("corrupt record")

// openLog opens or creates the log at path and hands each record's doc to
// replay, in order.
func openLog(path string, log *slog.Logger, replay func(doc []byte) error) (*logFile, error) {
	lf := &logFile{path: path, log: log}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if err := lf.create(path); err != nil {
			return nil, err
		}
		return lf, lf.openAppend()
	}
	if err != nil {
		return nil, fmt.Errorf("collector: open log: %w", err)
	}
	good, readErr := readRecords(f, func(_ ledger.BoxKey, _ uint64, doc []byte) error { return replay(doc) })
	f.Close()
	switch {
	case readErr == nil:
	case errors.Is(readErr, io.ErrUnexpectedEOF) && good > 0:
		// Power lost mid-append: the record was never acknowledged.
		log.Warn("collector: log ends in a torn record; cutting it off", "path", path, "at", good)
		if err := os.Truncate(path, good); err != nil {
			return nil, fmt.Errorf("collector: truncate torn log: %w", err)
		}
	default:
		aside := fmt.Sprintf("%s.corrupt-%d", path, time.Now().Unix())
		log.Warn("collector: log is corrupt; keeping the records before the damage, the file moved aside", "path", path, "at", good, "err", readErr, "movedTo", aside)
		if err := os.Rename(path, aside); err != nil {
			return nil, fmt.Errorf("collector: move corrupt log aside: %w", err)
		}
		if err := copyPrefix(aside, path, good); err != nil {
			return nil, err
		}
	}
	return lf, lf.openAppend()
}

// readRecords calls fn for each record of f and returns the offset after
// the last good one and why reading stopped (nil at a clean end,
// io.ErrUnexpectedEOF for a torn last record, errCorrupt otherwise).
func readRecords(f io.Reader, fn func(ledger.BoxKey, uint64, []byte) error) (int64, error) {
	r := bufio.NewReaderSize(f, 1<<20)
	magic := make([]byte, len(logMagic))
	if _, err := io.ReadFull(r, magic); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, fmt.Errorf("%w: no header", errCorrupt)
		}
		return 0, err
	}
	if string(magic) != logMagic {
		return 0, fmt.Errorf("%w: not a collector log", errCorrupt)
	}
	off := int64(len(logMagic))
	var h [recordHeader]byte
	for {
		if _, err := io.ReadFull(r, h[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return off, nil
			}
			return off, err
		}
		n := binary.BigEndian.Uint32(h[0:])
		if n > maxRecord {
			return off, fmt.Errorf("%w: length %d", errCorrupt, n)
		}
		doc := make([]byte, n)
		if _, err := io.ReadFull(r, doc); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return off, err
		}
		crc := crc32.Update(crc32.Checksum(h[8:], castagnoli), castagnoli, doc)
		if crc != binary.BigEndian.Uint32(h[4:]) {
			return off, fmt.Errorf("%w: checksum at offset %d", errCorrupt, off)
		}
		if err := fn(ledger.BoxKey(h[8:40]), binary.BigEndian.Uint64(h[40:]), doc); err != nil {
			return off, err
		}
		off += recordHeader + int64(n)
	}
}

func encodeRecord(key ledger.BoxKey, seq uint64, doc []byte) []byte {
	out := make([]byte, recordHeader, recordHeader+len(doc))
	binary.BigEndian.PutUint32(out[0:], uint32(len(doc)))
	copy(out[8:], key[:])
	binary.BigEndian.PutUint64(out[40:], seq)
	out = append(out, doc...)
	binary.BigEndian.PutUint32(out[4:], crc32.Checksum(out[8:], castagnoli))
	return out
}

// append writes one record and fsyncs.
func (lf *logFile) append(key ledger.BoxKey, seq uint64, doc []byte) error {
	if _, err := lf.f.Write(encodeRecord(key, seq, doc)); err != nil {
		return err
	}
	return lf.f.Sync()
}

// create writes an empty log at path atomically.
func (lf *logFile) create(path string) error {
	return writeAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, logMagic)
		return err
	})
}

func (lf *logFile) openAppend() error {
	f, err := os.OpenFile(lf.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("collector: open log: %w", err)
	}
	lf.f = f
	return nil
}

func (lf *logFile) close() error {
	if lf.f == nil {
		return nil
	}
	err := lf.f.Close()
	lf.f = nil
	return err
}

// compact rewrites the log with only the records live says to keep
// (write a new file, fsync, rename over the old) and reopens it. On error
// the old log stays in use.
func (lf *logFile) compact(live func(ledger.BoxKey, uint64) bool) (int, error) {
	src, err := os.Open(lf.path)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	kept := 0
	err = writeAtomic(lf.path, func(w io.Writer) error {
		if _, err := io.WriteString(w, logMagic); err != nil {
			return err
		}
		_, err := readRecords(src, func(k ledger.BoxKey, seq uint64, doc []byte) error {
			if !live(k, seq) {
				return nil
			}
			kept++
			_, err := w.Write(encodeRecord(k, seq, doc))
			return err
		})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("collector: compact log: %w", err)
	}
	lf.close()
	return kept, lf.openAppend()
}

// copyPrefix writes the first n bytes of src as dst, atomically.
func copyPrefix(src, dst string, n int64) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	if n < int64(len(logMagic)) {
		return writeAtomic(dst, func(w io.Writer) error { _, err := io.WriteString(w, logMagic); return err })
	}
	return writeAtomic(dst, func(w io.Writer) error {
		_, err := io.CopyN(w, f, n)
		return err
	})
}

// writeAtomic writes path through a temporary file in its directory:
// write, fsync, rename, fsync the directory.
func writeAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename: nothing there
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		tmp.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
