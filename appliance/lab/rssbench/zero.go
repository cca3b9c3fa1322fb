package rssbench

import (
	"context"
	"sync/atomic"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"
)

// zeroStorage is a leecher's storage for all-zero content: writes are
// dropped and reads return zeros, so pieces still pass the hash check while
// nothing is kept. Each OpenTorrent starts with no piece complete.
type zeroStorage struct{}

func (zeroStorage) OpenTorrent(_ context.Context, info *metainfo.Info, _ metainfo.Hash) (storage.TorrentImpl, error) {
	done := make([]atomic.Bool, info.NumPieces())
	return storage.TorrentImpl{
		Piece: func(p metainfo.Piece) storage.PieceImpl { return zeroPiece{&done[p.Index()]} },
		Close: func() error { return nil },
	}, nil
}

type zeroPiece struct{ done *atomic.Bool }

func (zeroPiece) ReadAt(b []byte, _ int64) (int, error) {
	clear(b)
	return len(b), nil
}

func (zeroPiece) WriteAt(b []byte, _ int64) (int, error) { return len(b), nil }
func (p zeroPiece) MarkComplete() error                  { p.done.Store(true); return nil }
func (p zeroPiece) MarkNotComplete() error               { p.done.Store(false); return nil }
func (p zeroPiece) Completion() storage.Completion {
	return storage.Completion{Ok: true, Complete: p.done.Load()}
}
