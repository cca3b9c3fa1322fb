package box

import (
	"testing"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
)

// fuzzEpisode is the signed episode the fuzzed torrents are checked
// against; its info hash is that of the "good" seed in testdata.
var fuzzEpisode = catalog.Episode{ID: "ep", InfoHash: "dcdd102a393adf502745ea0ce104e8a4df07f9da", Size: 5}

// FuzzCheckTorrent feeds arbitrary bytes as a .torrent from the origin:
// never a panic, and anything accepted matches the signed hash and size.
func FuzzCheckTorrent(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		mi, err := checkTorrent(data, fuzzEpisode)
		if err != nil {
			return
		}
		if got := mi.HashInfoBytes().HexString(); got != fuzzEpisode.InfoHash {
			t.Fatalf("accepted a torrent with hash %s", got)
		}
		info, err := mi.UnmarshalInfo()
		if err != nil || info.TotalLength() != fuzzEpisode.Size {
			t.Fatalf("accepted a torrent with bad info: %v", err)
		}
	})
}
