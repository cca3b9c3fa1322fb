package swarm

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"

	"github.com/anacrolix/torrent"
	"golang.org/x/sys/unix"
)

// DefaultSendQueue is Config.SendQueue's default, in bytes: one 16 KiB
// BitTorrent chunk.
//
// Why it matters: anacrolix moves a request from a slow peer to a faster
// one by cancelling it at the slow peer. A cancel only helps if the chunk
// has not left the slow peer's BitTorrent client yet. Left to the kernel's
// defaults, a socket takes up to 4 MiB of unsent data, and a box whose
// uplink is full (the network's seed box always, a viewer at its line's
// rate) pushes every request it is asked into it at once. Measured in the
// thin flash crowd (2026-12-07, `ss -tni` in the seed box's namespace):
// 1.5 to 4 MB unsent over the seed box's 24 connections, up to 1 MB on
// one of them, seconds behind at that connection's share of 44 Mbit/s; the
// boxes threw away 233 MiB of 1838 MiB peers sent them, chunks two peers
// both sent. With the unsent queue bounded, a request waits in anacrolix's
// queue, where a cancel removes it, instead of in the kernel's, where
// nothing can.
const DefaultSendQueue = 16 << 10

// peerTCP is the box's BitTorrent TCP listener and dialer, given to
// anacrolix (Client.AddListener, AddDialer) in place of its own, which
// cannot be told socket options. Every connection, accepted or dialled,
// holds at most sendQueue bytes unsent (Linux's TCP_NOTSENT_LOWAT: a
// socket is writable only while it holds less; 0 = the kernel's default).
// The per-namespace sysctl net.ipv4.tcp_notsent_lowat did not bound a Go
// program's sockets here (kernel 6.18, 2026-12-07: 1 MB unsent at 16 KiB);
// the socket option did (30 KB). The connections stay *net.TCPConn, as
// anacrolix expects.
type peerTCP struct {
	net.Listener
	sendQueue int
	dialer    *net.Dialer
}

// listenPeerTCP listens on host:port ("" = every interface, port 0 = a
// port the kernel chooses). Only IPv4 when host is an IPv4 address.
func listenPeerTCP(ctx context.Context, host string, port, sendQueue int) (*peerTCP, error) {
	network := "tcp"
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is4() {
		network = "tcp4"
	}
	p := &peerTCP{sendQueue: sendQueue}
	control := func(_, _ string, c syscall.RawConn) error { return p.setOptions(c) }
	// BitTorrent keeps its own keep-alives, as anacrolix's listener does.
	lc := net.ListenConfig{KeepAlive: -1, Control: control}
	l, err := lc.Listen(ctx, network, net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("swarm: listen for peers: %w", err)
	}
	p.Listener = l
	p.dialer = &net.Dialer{KeepAlive: -1, FallbackDelay: -1, Control: control}
	return p, nil
}

// Port is the listening port.
func (p *peerTCP) Port() int { return p.Addr().(*net.TCPAddr).Port }

// Accept returns the next incoming connection with the send queue set on
// it (a listening socket's options are not all inherited).
func (p *peerTCP) Accept() (net.Conn, error) {
	c, err := p.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		rc, err := tc.SyscallConn()
		if err == nil {
			err = p.setOptions(rc)
		}
		if err != nil {
			c.Close()
			// anacrolix logs the error and accepts on; a closed listener
			// returns net.ErrClosed before this.
			return nil, err
		}
	}
	return c, nil
}

// Dial connects to a peer (torrent.Dialer; anacrolix sets a deadline on
// ctx).
func (p *peerTCP) Dial(ctx context.Context, addr string) (net.Conn, error) {
	return p.dialer.DialContext(ctx, p.DialerNetwork(), addr)
}

// DialerNetwork is the network anacrolix records for dialled connections.
func (p *peerTCP) DialerNetwork() string { return "tcp" }

func (p *peerTCP) setOptions(c syscall.RawConn) error {
	if p.sendQueue <= 0 {
		return nil
	}
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT, p.sendQueue)
	}); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("swarm: set TCP_NOTSENT_LOWAT %d: %w", p.sendQueue, serr)
	}
	return nil
}

// attach hands the listener and the dialer to client. The caller closes p
// after the client.
func (p *peerTCP) attach(client *torrent.Client) {
	client.AddDialer(p)
	client.AddListener(p)
}

var _ torrent.Dialer = (*peerTCP)(nil)
var _ torrent.Listener = (*peerTCP)(nil)
