package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLab shapes a link and checks the rate a TCP transfer gets through it,
// and that Close leaves no namespace behind.
func TestLab(t *testing.T) {
	ctx, lab := newTestLab(t)
	const up = 8e6 // bits/s
	sender, err := lab.AddHost(ctx, 0, Link{Down: 50e6, Up: up})
	if err != nil {
		t.Fatal(err)
	}
	receiver, err := lab.AddHost(ctx, 1, Link{})
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.PinNeighbours(ctx, []Host{sender, receiver}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ ns, ip, mac string }{
		{sender.NS, receiver.IP.String(), hostMAC(1)},
		{receiver.NS, lab.HubIP().String(), hubMAC},
		{lab.HubNS(), sender.IP.String(), hostMAC(0)},
	} {
		out, err := exec.Command("ip", "-n", c.ns, "neigh", "show", c.ip).CombinedOutput()
		if err != nil || !strings.Contains(string(out), c.mac) || !strings.Contains(string(out), "PERMANENT") {
			t.Errorf("neighbour %s in %s: %q (%v), want %s PERMANENT", c.ip, c.ns, out, err, c.mac)
		}
	}
	ln, err := ListenIn(receiver.NS, "tcp", receiver.IP.String()+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer c.Close()
		n, _ := io.Copy(io.Discard, c)
		got <- n
	}()
	c, err := DialerIn(sender.NS)(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	const size = 2 << 20
	start := time.Now()
	if _, err := io.CopyN(c, zeros{}, size); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if n := <-got; n != size {
		t.Fatalf("receiver got %d bytes, want %d", n, size)
	}
	rate := float64(size*8) / time.Since(start).Seconds()
	if rate > up*1.15 || rate < up*0.5 {
		t.Errorf("transfer through an %.0f bit/s link ran at %.0f bit/s, want within -50%%/+15%%", up, rate)
	}

	// The hub namespace cannot be reached from here: the lab is isolated.
	if c, err := (&net.Dialer{Timeout: 200 * time.Millisecond}).DialContext(ctx, "tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Errorf("dialled %s from the root namespace; the lab must be isolated", ln.Addr())
	}

	if err := lab.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), lab.prefix) {
		t.Errorf("namespaces left after Close:\n%s", out)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestRefuseIncoming: a host behind the lab's NAT refuses new connections
// to the port, while it still dials out and other ports still answer.
func TestRefuseIncoming(t *testing.T) {
	ctx, lab := newTestLab(t)
	natted, open := mustHost(t, ctx, lab, 0), mustHost(t, ctx, lab, 1)
	if err := lab.PinNeighbours(ctx, []Host{natted, open}); err != nil {
		t.Fatal(err)
	}
	const port = 6881
	if err := lab.RefuseIncoming(ctx, natted, port); err != nil {
		t.Fatal(err)
	}
	listen := func(h Host, port int) string {
		ln, err := ListenIn(h.NS, "tcp", fmt.Sprintf("%s:%d", h.IP, port))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		return ln.Addr().String()
	}
	dial := func(from Host, addr string) error {
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		c, err := DialerIn(from.NS)(dctx, "tcp", addr)
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial(open, listen(natted, port)); err == nil {
		t.Errorf("dialled the NATed host's port %d from outside", port)
	}
	if err := dial(open, listen(natted, port+1)); err != nil {
		t.Errorf("another port of the NATed host: %v, want it open", err)
	}
	if err := dial(natted, listen(open, port)); err != nil {
		t.Errorf("the NATed host dialling out: %v, want it to connect", err)
	}
}

// newTestLab is a lab for one test (skipped without root), closed with the
// test; the context ends after a minute.
func newTestLab(t *testing.T) (context.Context, *Lab) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root; make bench runs as root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	lab, err := NewLab(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.Close() })
	return ctx, lab
}

func mustHost(t *testing.T, ctx context.Context, lab *Lab, i int) Host {
	t.Helper()
	h, err := lab.AddHost(ctx, i, Link{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}
