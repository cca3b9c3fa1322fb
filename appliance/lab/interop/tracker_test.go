package interop

import (
	"encoding/binary"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"

	"github.com/anacrolix/torrent/bencode"
)

// Tracker is the test's minimal HTTP tracker (BEP 3 with BEP 23 compact peers) for
// loopback tests: it answers every announce with the other peers that
// announced the same info hash. It is an
// http.Handler, safe for concurrent use.
type Tracker struct {
	mu     sync.Mutex
	swarms map[string]map[netip.AddrPort]bool // info hash (raw) -> peers
}

// NewTracker returns a tracker that knows no peers yet.
func NewTracker() *Tracker {
	return &Tracker{swarms: make(map[string]map[netip.AddrPort]bool)}
}

// Announces returns the number of peers that announced infoHash (raw bytes).
func (t *Tracker) Announces(infoHash string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.swarms[infoHash])
}

func (t *Tracker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ih := q.Get("info_hash")
	port, err := strconv.ParseUint(q.Get("port"), 10, 16)
	host, _, herr := net.SplitHostPort(r.RemoteAddr)
	ip, perr := netip.ParseAddr(host)
	if len(ih) != 20 || err != nil || herr != nil || perr != nil {
		t.fail(w, "bad announce")
		return
	}
	me := netip.AddrPortFrom(ip.Unmap(), uint16(port))
	t.mu.Lock()
	sw := t.swarms[ih]
	if sw == nil {
		sw = make(map[netip.AddrPort]bool)
		t.swarms[ih] = sw
	}
	if q.Get("event") == "stopped" {
		delete(sw, me)
	} else {
		sw[me] = true
	}
	var peers []byte
	add := func(p netip.AddrPort) {
		if p == me || !p.Addr().Is4() {
			return
		}
		a := p.Addr().As4()
		peers = append(peers, a[:]...)
		peers = binary.BigEndian.AppendUint16(peers, p.Port())
	}
	for p := range sw {
		add(p)
	}
	t.mu.Unlock()
	if peers == nil {
		peers = []byte{}
	}
	resp, _ := bencode.Marshal(map[string]any{"interval": 5, "min interval": 1, "peers": string(peers)})
	w.Header().Set("Content-Type", "text/plain")
	w.Write(resp)
}

func (t *Tracker) fail(w http.ResponseWriter, reason string) {
	resp, _ := bencode.Marshal(map[string]any{"failure reason": reason})
	w.Write(resp)
}

// Reset forgets every announced peer.
func (t *Tracker) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.swarms)
}
