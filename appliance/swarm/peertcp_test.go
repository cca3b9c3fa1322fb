package swarm

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// notSent is what the kernel holds unsent on c, in bytes, and c's
// TCP_NOTSENT_LOWAT.
func notSent(t *testing.T, c net.Conn) (unsent, lowat int) {
	t.Helper()
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var info *unix.TCPInfo
	var ierr, lerr error
	if err := rc.Control(func(fd uintptr) {
		info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		lowat, lerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT)
	}); err != nil {
		t.Fatal(err)
	}
	if ierr != nil || lerr != nil {
		t.Fatal(ierr, lerr)
	}
	return int(info.Notsent_bytes), lowat
}

// fillUntilBlocked writes to c, whose peer does not read, until a write
// blocks for 300 ms, and returns what the kernel then holds unsent.
func fillUntilBlocked(t *testing.T, c net.Conn) int {
	t.Helper()
	buf := make([]byte, 32<<10)
	for range 10000 { // 320 MiB: far more than any socket buffer
		c.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := c.Write(buf); err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal(err)
			}
			unsent, _ := notSent(t, c)
			return unsent
		}
	}
	t.Fatal("writes never blocked")
	return 0
}

// The box's peer connections, dialled and accepted, keep at most about
// DefaultSendQueue unsent: the socket option is on both, and a writer to a
// peer that stops reading is held back at it, where the kernel's default
// lets megabytes queue (the chunks a cancel can no longer stop).
func TestPeerTCPBoundsUnsent(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		sendQueue int
		// maxUnsent bounds what the writer's kernel holds once a write
		// blocks; minUnsent is what the kernel's own bound must exceed,
		// so that the bounded case is a real difference.
		maxUnsent, minUnsent int
	}{
		{"bounded", DefaultSendQueue, 128 << 10, 0},
		{"kernel default", 0, 0, 512 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := listenPeerTCP(ctx, "127.0.0.1", 0, tc.sendQueue)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			accepted := make(chan net.Conn, 1)
			go func() {
				c, err := p.Accept()
				if err != nil {
					t.Error(err)
				}
				accepted <- c
			}()
			dialled, err := p.Dial(ctx, p.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer dialled.Close()
			if _, ok := dialled.(*net.TCPConn); !ok {
				t.Fatalf("dialled a %T; anacrolix expects *net.TCPConn", dialled)
			}
			in := <-accepted
			if in == nil {
				return
			}
			defer in.Close()
			for name, c := range map[string]net.Conn{"dialled": dialled, "accepted": in} {
				if _, lowat := notSent(t, c); tc.sendQueue > 0 && lowat != tc.sendQueue {
					t.Errorf("%s connection: TCP_NOTSENT_LOWAT %d, want %d", name, lowat, tc.sendQueue)
				}
			}
			// The accepted side uploads, as a box serving a request does.
			unsent := fillUntilBlocked(t, in)
			t.Logf("unsent when the writer blocked: %d bytes", unsent)
			if tc.maxUnsent > 0 && unsent > tc.maxUnsent {
				t.Errorf("%d bytes unsent, want at most %d", unsent, tc.maxUnsent)
			}
			if unsent < tc.minUnsent {
				t.Errorf("the kernel's default held only %d bytes unsent; this test no longer shows what the bound saves", unsent)
			}
		})
	}
}

// The swarm listens through peerTCP, not anacrolix's own TCP socket: its
// address is the swarm's only TCP listener.
func TestSwarmListensThroughPeerTCP(t *testing.T) {
	s := newSwarm(t, t.TempDir())
	if got, want := s.Addr(), s.peerTCP.Addr().String(); got != want {
		t.Errorf("swarm listens on %s, peerTCP on %s", got, want)
	}
	n := 0
	for _, a := range s.client.ListenAddrs() {
		if a.Network() == "tcp" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d TCP listeners in the client, want 1 (peerTCP's)", n)
	}
}
