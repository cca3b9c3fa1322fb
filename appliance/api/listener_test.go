package api_test

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

// fakeListener hands out pipe ends that claim a given remote address.
type fakeListener struct{ conns chan net.Conn }

func (f *fakeListener) Accept() (net.Conn, error) {
	c, ok := <-f.conns
	if !ok {
		return nil, errors.New("closed")
	}
	return c, nil
}
func (f *fakeListener) Close() error   { return nil }
func (f *fakeListener) Addr() net.Addr { return &net.TCPAddr{} }

type addrConn struct {
	net.Conn
	remote net.Addr
}

func (c addrConn) RemoteAddr() net.Addr { return c.remote }

func from(ip string) net.Conn {
	a, _ := net.Pipe()
	return addrConn{Conn: a, remote: &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000}}
}

// TestLimitListener: one LAN host cannot hold more than its share of the
// API's connections (the rest of its connections are closed at once), the
// box's own UI on loopback is bound only by the total, and past the total
// Accept waits until a connection closes.
func TestLimitListener(t *testing.T) {
	f := &fakeListener{conns: make(chan net.Conn, 100)}
	ln := api.LimitListener(f, 6, 2)
	for _, ip := range []string{"192.168.1.50", "192.168.1.50", "192.168.1.50", "192.168.1.51", "127.0.0.1", "127.0.0.1", "127.0.0.1", "192.168.1.52"} {
		f.conns <- from(ip)
	}
	var got []string
	var open []net.Conn
	for range 6 {
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		got = append(got, c.RemoteAddr().(*net.TCPAddr).IP.String())
	}
	want := []string{"192.168.1.50", "192.168.1.50", "192.168.1.51", "127.0.0.1", "127.0.0.1", "127.0.0.1"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("accepted %v, want %v (the third connection from .50 closed)", got, want)
		}
	}
	accepted := make(chan net.Conn)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	select {
	case c := <-accepted:
		t.Fatalf("a seventh connection (%v) was accepted past the total of 6", c.RemoteAddr())
	case <-time.After(100 * time.Millisecond):
	}
	open[0].Close()
	open[0].Close() // closing twice frees one slot, not two
	select {
	case c := <-accepted:
		if ip := c.RemoteAddr().(*net.TCPAddr).IP.String(); ip != "192.168.1.52" {
			t.Errorf("accepted %s after a close, want 192.168.1.52", ip)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no connection accepted after one closed")
	}
	close(f.conns)
}
