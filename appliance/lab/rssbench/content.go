package rssbench

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"
)

// episodeBytes fills b with episode ep's content from byte offset off.
// Every 8-byte word is a hash of the episode and the word's index, so no
// two episodes and no two offsets hold the same bytes: data from the
// wrong episode or the wrong place fails a check, as all-zero content
// (where every chunk is every other chunk) could not.
func episodeBytes(b []byte, ep int, off int64) {
	for len(b) > 0 {
		w := off / 8
		var word [8]byte
		binary.LittleEndian.PutUint64(word[:], mix(uint64(ep)<<48^uint64(w)))
		n := copy(b, word[off%8:])
		b, off = b[n:], off+int64(n)
	}
}

// mix is splitmix64's finaliser (Steele, Lea and Flood, "Fast splittable
// pseudorandom number generators", 2014): a bijection that spreads every
// input bit over the output.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// writeEpisode creates path holding size bytes of episode ep's content.
func writeEpisode(path string, ep int, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size; off += int64(len(buf)) {
		b := buf[:min(int64(len(buf)), size-off)]
		episodeBytes(b, ep, off)
		if _, err := f.Write(b); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// checkStorage is a leecher's storage that keeps nothing: each write is
// compared with the episode's content at its offset (Checked counts the
// bytes that match, Wrong the writes that do not), reads return the
// content, and a piece that had a wrong write reads back with its first
// byte flipped so that the client's hash check fails too. Each OpenTorrent
// starts with no piece complete. Safe for concurrent use.
type checkStorage struct {
	episodes map[metainfo.Hash]int // infohash -> episode number, for episodeBytes
	checked  *atomic.Int64
	wrong    *atomic.Int64
}

func (s checkStorage) OpenTorrent(_ context.Context, info *metainfo.Info, ih metainfo.Hash) (storage.TorrentImpl, error) {
	ep, ok := s.episodes[ih]
	if !ok || info.IsDir() {
		return storage.TorrentImpl{}, fmt.Errorf("torrent %s (%s) is not one of the benchmark's single-file episodes", ih, info.Name)
	}
	type state struct{ done, wrong atomic.Bool }
	pieces := make([]state, info.NumPieces())
	return storage.TorrentImpl{
		Piece: func(p metainfo.Piece) storage.PieceImpl {
			st := &pieces[p.Index()]
			return checkPiece{s: s, ep: ep, off: p.Offset(), done: &st.done, wrong: &st.wrong}
		},
		Close: func() error { return nil },
	}, nil
}

type checkPiece struct {
	s           checkStorage
	ep          int
	off         int64 // the piece's offset in the episode
	done, wrong *atomic.Bool
}

func (p checkPiece) ReadAt(b []byte, off int64) (int, error) {
	episodeBytes(b, p.ep, p.off+off)
	if p.wrong.Load() && len(b) > 0 {
		b[0] ^= 0xff
	}
	return len(b), nil
}

func (p checkPiece) WriteAt(b []byte, off int64) (int, error) {
	want := make([]byte, len(b))
	episodeBytes(want, p.ep, p.off+off)
	if bytes.Equal(b, want) {
		p.s.checked.Add(int64(len(b)))
	} else {
		p.s.wrong.Add(1)
		p.wrong.Store(true)
	}
	return len(b), nil
}

func (p checkPiece) MarkComplete() error { p.done.Store(true); return nil }

// MarkNotComplete is called after a failed hash check, before the piece is
// fetched again: its next writes are judged afresh.
func (p checkPiece) MarkNotComplete() error {
	p.done.Store(false)
	p.wrong.Store(false)
	return nil
}

func (p checkPiece) Completion() storage.Completion {
	return storage.Completion{Ok: true, Complete: p.done.Load()}
}
