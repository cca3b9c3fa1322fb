package swarm_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"path/filepath"
	"testing"
	"time"

	"github.com/anacrolix/torrent"

	"github.com/atomicnetwork/atomicbox/appliance/ledger"
	"github.com/atomicnetwork/atomicbox/appliance/swarm"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testswarm"
)

// meteredBox is one side of a transfer: its box key, the extension and a
// ledger fed by a meter that names boxes through it.
type meteredBox struct {
	key   ed25519.PrivateKey
	ids   *swarm.BoxIDs
	led   *ledger.Ledger
	meter *ledger.Meter
}

func newMeteredBox(t *testing.T, seed byte, extension bool) *meteredBox {
	l, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.json"), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := &meteredBox{key: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32)), led: l, meter: ledger.NewMeter(l)}
	if extension {
		b.ids = swarm.NewBoxIDs(b.key, nil)
		b.meter.SetIdentify(func(pc *torrent.PeerConn) (ledger.BoxKey, bool) {
			k, ok := b.ids.Key(pc)
			return ledger.BoxKey(k), ok
		})
	}
	return b
}

func (b *meteredBox) configure(tc *torrent.ClientConfig) {
	tc.Callbacks.PeerConnClosed = func(pc *torrent.PeerConn) {
		b.meter.PeerConnClosed(pc)
		if b.ids != nil {
			b.ids.Forget(pc)
		}
	}
	if b.ids != nil {
		b.ids.Configure(tc)
	}
}

func (b *meteredBox) pub() ledger.BoxKey { return ledger.BoxKey(b.key.Public().(ed25519.PublicKey)) }

func (b *meteredBox) today(t *testing.T) ledger.ReportDay {
	t.Helper()
	doc, err := b.led.Report(time.Now(), time.Now(), b.key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ledger.VerifyReport(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Days) != 1 {
		return ledger.ReportDay{}
	}
	return r.Days[0]
}

// transfer runs one seeder-to-leecher transfer between the two boxes and
// returns once the seeder's meter has the last bytes (its connection
// closed) and the leecher's too.
func transfer(t *testing.T, seeder, leecher *meteredBox) *testswarm.Transfer {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tr := testswarm.NewTransfer(t, ctx, 2<<20, seeder.configure, leecher.configure)
	tr.Leech.DownloadAll()
	select {
	case <-tr.Leech.Complete().On():
	case <-ctx.Done():
		t.Fatalf("download did not complete: %v", ctx.Err())
	}
	// Poll while connected, then close: both meters have every byte.
	leecher.meter.Poll(tr.Leecher.Torrents())
	seeder.meter.Poll(tr.Seeder.Torrents())
	tr.Leecher.Close()
	for len(tr.Seed.PeerConns()) > 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // the close callback's reading runs on a goroutine
	return tr
}

// TestBoxesNameEachOther: two boxes that speak atomicbox_id prove their
// keys to each other, so the seeder's ledger says what it gave the
// leecher's box, by key, and the leecher's ledger what it got from the
// seeder's box, and the two figures agree (what the collector checks).
func TestBoxesNameEachOther(t *testing.T) {
	seeder, leecher := newMeteredBox(t, 1, true), newMeteredBox(t, 2, true)
	tr := transfer(t, seeder, leecher)
	st := tr.Seed.Stats()
	sent := st.BytesWrittenData.Int64()
	sd, ld := seeder.today(t), leecher.today(t)
	if len(sd.Boxes) != 1 || sd.Boxes[0].BoxKey != leecher.pub().String() {
		t.Fatalf("seeder's named boxes %+v, want the leecher %s", sd.Boxes, leecher.pub())
	}
	if len(ld.Boxes) != 1 || ld.Boxes[0].BoxKey != seeder.pub().String() {
		t.Fatalf("leecher's named boxes %+v, want the seeder %s", ld.Boxes, seeder.pub())
	}
	if sd.Boxes[0].Gave != sent || sd.BytesUploaded != sent {
		t.Errorf("seeder says it gave the leecher %d of %d uploaded; its client sent %d", sd.Boxes[0].Gave, sd.BytesUploaded, sent)
	}
	if ld.Boxes[0].Got < tr.Size || ld.Boxes[0].Got > sent {
		t.Errorf("leecher says it got %d from the seeder; file %d, seeder sent %d", ld.Boxes[0].Got, tr.Size, sent)
	}
	t.Logf("seeder gave %d, leecher got %d (file %d)", sd.Boxes[0].Gave, ld.Boxes[0].Got, tr.Size)
}

// TestPlainClientsStayUnnamed: a client without the extension (as
// Transmission or aria2) downloads as before and is counted under a
// salted peer hash, never named.
func TestPlainClientsStayUnnamed(t *testing.T) {
	seeder, plain := newMeteredBox(t, 1, true), newMeteredBox(t, 3, false)
	tr := transfer(t, seeder, plain)
	sd := seeder.today(t)
	if len(sd.Boxes) != 0 {
		t.Errorf("seeder named %+v; the peer never proved a key", sd.Boxes)
	}
	if sd.BytesUploaded < tr.Size || sd.Peers != 1 {
		t.Errorf("seeder's day %+v: want the %d-byte file to 1 peer", sd, tr.Size)
	}
}
