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

	mu       sync.Mutex
	identify func(*torrent.PeerConn) (BoxKey, bool)
	last     map[*torrent.PeerConn]reading
}

// reading is what was already recorded for a connection.
type reading struct {
	up, down int64 // payload bytes sent and received (useful) so far
	closed   bool  // last reading taken
}

// NewMeter returns a Meter recording into l.
func NewMeter(l *Ledger) *Meter {
	return &Meter{l: l, last: map[*torrent.PeerConn]reading{}}
}

// SetIdentify names connections: identify returns the box key a peer
// proved on the connection (appliance/swarm's BoxIDs.Key). Named peers are
// recorded with Ledger.RecordBox, with what we downloaded from them too;
// the rest as before. identify is called with no anacrolix lock held, and
// from PeerConnClosed with the client lock held: it must not take it.
func (m *Meter) SetIdentify(identify func(*torrent.PeerConn) (BoxKey, bool)) {
	m.mu.Lock()
	m.identify = identify
	m.mu.Unlock()
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
			m.record(ih, pc, m.name(pc), s.BytesWrittenData.Int64(), s.BytesReadUsefulData.Int64(), false)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for pc, r := range m.last {
		if r.closed && !live[pc] {
			delete(m.last, pc)
		}
	}
}

func (m *Meter) name(pc *torrent.PeerConn) *BoxKey {
	m.mu.Lock()
	f := m.identify
	m.mu.Unlock()
	if f == nil {
		return nil
	}
	if k, ok := f(pc); ok {
		return &k
	}
	return nil
}

// PeerConnClosed takes the closing connection's last reading. Call it from
// ClientConfig.Callbacks.PeerConnClosed, before the box ID extension forgets
// the connection. anacrolix calls that with its client lock held and
// reading the counters takes the lock, so the reading happens on a new
// goroutine once the lock is released; the name is taken now.
func (m *Meter) PeerConnClosed(pc *torrent.PeerConn) {
	t := pc.Torrent()
	if t == nil {
		return // closed before a torrent was chosen: nothing was uploaded
	}
	name := m.name(pc)
	go func() {
		s := pc.Stats()
		m.record([20]byte(t.InfoHash()), pc, name, s.BytesWrittenData.Int64(), s.BytesReadUsefulData.Int64(), true)
	}()
}

func (m *Meter) record(ih [20]byte, pc *torrent.PeerConn, name *BoxKey, up, down int64, closed bool) {
	m.mu.Lock()
	prev := m.last[pc]
	if prev.closed { // already closed and recorded
		m.mu.Unlock()
		return
	}
	m.last[pc] = reading{up: max(prev.up, up), down: max(prev.down, down), closed: closed}
	m.mu.Unlock()
	gave, got := max(up-prev.up, 0), max(down-prev.down, 0)
	if name != nil {
		m.l.RecordBox(ih, [20]byte(pc.PeerID), *name, gave, got)
	} else if gave > 0 {
		m.l.Record(ih, [20]byte(pc.PeerID), gave)
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
