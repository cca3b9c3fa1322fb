// Package testswarm is the smallest real swarm for tests: anacrolix
// clients on loopback (no DHT, trackers, port mapping or IPv6), and a
// seeder that holds a random file and a leecher that downloads it from that
// seeder alone.
package testswarm

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// Client starts a seeding anacrolix client on a loopback port with dir as
// its data dir; configure (nil: nothing) adjusts the configuration before
// the client starts. It is closed by t.Cleanup.
func Client(t testing.TB, dir string, configure func(*torrent.ClientConfig)) *torrent.Client {
	t.Helper()
	cfg := torrent.NewDefaultClientConfig()
	cfg.DataDir = dir
	cfg.ListenHost = torrent.LoopbackListenHost
	cfg.ListenPort = 0
	cfg.NoDHT = true
	cfg.DisableTrackers = true
	cfg.NoDefaultPortForwarding = true
	cfg.DisableIPv6 = true
	cfg.Seed = true
	if configure != nil {
		configure(cfg)
	}
	cl, err := torrent.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// Transfer is a seeder and a leecher of one file.
type Transfer struct {
	Seeder, Leecher *torrent.Client
	Seed, Leech     *torrent.Torrent // the file's torrent in each client
	Size            int64            // bytes in the file
}

// NewTransfer writes size random bytes as a file into a new seeder's data
// dir, makes its torrent (256 KiB pieces), has the seeder verify the file
// (failing t unless it then holds every byte) and adds the torrent to a new
// leecher that knows the seeder as its only peer. Nothing is downloaded
// until the caller asks the leecher (Leech.DownloadAll). seeder and leecher
// configure their clients as Client's configure does. Blocks for the
// verification, until ctx ends.
func NewTransfer(t testing.TB, ctx context.Context, size int64, seeder, leecher func(*torrent.ClientConfig)) *Transfer {
	t.Helper()
	seedDir := t.TempDir()
	data := make([]byte, size)
	rand.Read(data)
	path := filepath.Join(seedDir, "episode.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	info := metainfo.Info{PieceLength: 256 << 10}
	if err := info.BuildFromFilePath(path); err != nil {
		t.Fatal(err)
	}
	ib, err := bencode.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	mi := &metainfo.MetaInfo{InfoBytes: ib}
	tr := &Transfer{Seeder: Client(t, seedDir, seeder), Leecher: Client(t, t.TempDir(), leecher), Size: size}
	if tr.Seed, err = tr.Seeder.AddTorrent(mi); err != nil {
		t.Fatal(err)
	}
	if err := tr.Seed.VerifyDataContext(ctx); err != nil {
		t.Fatal(err)
	}
	if got := tr.Seed.BytesCompleted(); got != size {
		t.Fatalf("testswarm: seeder holds %d bytes after verification, want %d", got, size)
	}
	if tr.Leech, err = tr.Leecher.AddTorrent(mi); err != nil {
		t.Fatal(err)
	}
	tr.Leech.AddClientPeer(tr.Seeder)
	return tr
}
