package ledger

import (
	"context"
	"sync"
	"time"

	"github.com/anacrolix/torrent"
)

// Meter feeds a Ledger from an anacrolix v1.61 client. That version has no
// callback per uploaded chunk; it keeps a cumulative count per connection
// (PeerConn.Stats().BytesWrittenData: payload bytes of piece messages sent)
// and the remote's PeerConn.PeerID. Meter polls those counters and records
// the growth since the last poll, and takes a last reading when a
// connection closes (ClientConfig.Callbacks.PeerConnClosed), so nothing sent
// between the last poll and the close is lost. Web seeds are not peers and
// are never counted. Safe for concurrent use.
type Meter struct {
	l *Ledger

	mu   sync.Mutex
	last map[*torrent.PeerConn]int64 // bytes already recorded; -1: closed and recorded
}

// NewMeter returns a Meter recording into l.
func NewMeter(l *Ledger) *Meter {
	return &Meter{l: l, last: map[*torrent.PeerConn]int64{}}
}

// Poll records what each connection of ts uploaded since the last poll.
// Takes each client lock briefly; do not call it from an anacrolix callback.
func (m *Meter) Poll(ts []*torrent.Torrent) {
	live := map[*torrent.PeerConn]bool{}
	for _, t := range ts {
		ih := [20]byte(t.InfoHash())
		for _, pc := range t.PeerConns() {
			live[pc] = true
			s := pc.Stats()
			m.record(ih, pc, s.BytesWrittenData.Int64(), false)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for pc, n := range m.last {
		if n < 0 && !live[pc] {
			delete(m.last, pc)
		}
	}
}

// PeerConnClosed takes the closing connection's last reading. Call it from
// ClientConfig.Callbacks.PeerConnClosed. anacrolix calls that with its client
// lock held and reading the counters takes the lock, so the reading happens
// on a new goroutine once the lock is released.
func (m *Meter) PeerConnClosed(pc *torrent.PeerConn) {
	t := pc.Torrent()
	if t == nil {
		return // closed before a torrent was chosen: nothing was uploaded
	}
	go func() {
		s := pc.Stats()
		m.record([20]byte(t.InfoHash()), pc, s.BytesWrittenData.Int64(), true)
	}()
}

func (m *Meter) record(ih [20]byte, pc *torrent.PeerConn, total int64, closed bool) {
	m.mu.Lock()
	prev, seen := m.last[pc]
	if prev < 0 { // already closed and recorded
		m.mu.Unlock()
		return
	}
	if !seen {
		prev = 0
	}
	if closed {
		m.last[pc] = -1
	} else {
		m.last[pc] = max(prev, total)
	}
	m.mu.Unlock()
	if total > prev {
		m.l.Record(ih, [20]byte(pc.PeerID), total-prev)
	}
}

// Run polls cl's torrents every interval until ctx is done, then polls once
// more and returns ctx.Err().
func (m *Meter) Run(ctx context.Context, cl *torrent.Client, every time.Duration) error {
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			m.Poll(cl.Torrents())
			return ctx.Err()
		case <-tk.C:
			m.Poll(cl.Torrents())
		}
	}
}
