package api

import (
	"net"
	"net/netip"
	"sync"
)

// Connection caps for the API: file descriptors are shared with BitTorrent,
// so a few idle or slow clients must not exhaust them.
const (
	DefaultMaxConns          = 128 // open API connections in all
	DefaultMaxConnsPerSource = 16  // from one address other than loopback
)

// LimitListener caps ln's open connections at total, and at perSource for
// one remote address that is not loopback (the box's own UI may open as
// many as it needs within total). Past the total, Accept waits for a
// connection to close (the kernel's backlog holds new ones); past a
// source's cap, the new connection is closed at once. Safe for concurrent
// use, as net.Listener requires.
func LimitListener(ln net.Listener, total, perSource int) net.Listener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, total), perSource: perSource, bySource: map[netip.Addr]int{}}
}

type limitListener struct {
	net.Listener
	slots     chan struct{}
	perSource int

	mu       sync.Mutex
	bySource map[netip.Addr]int
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		l.slots <- struct{}{}
		c, err := l.Listener.Accept()
		if err != nil {
			<-l.slots
			return nil, err
		}
		src := sourceOf(c.RemoteAddr())
		l.mu.Lock()
		if src.IsValid() && !src.IsLoopback() && l.bySource[src] >= l.perSource {
			l.mu.Unlock()
			c.Close()
			<-l.slots
			continue
		}
		l.bySource[src]++
		l.mu.Unlock()
		return &limitedConn{Conn: c, l: l, src: src}, nil
	}
}

func sourceOf(a net.Addr) netip.Addr {
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

type limitedConn struct {
	net.Conn
	l    *limitListener
	src  netip.Addr
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		if c.l.bySource[c.src]--; c.l.bySource[c.src] <= 0 {
			delete(c.l.bySource, c.src)
		}
		c.l.mu.Unlock()
		<-c.l.slots
	})
	return err
}
