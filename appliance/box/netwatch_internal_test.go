package box

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

// newNetNS makes a network namespace for the test (it needs root) and
// returns its file descriptor.
func newNetNS(t *testing.T) int {
	t.Helper()
	type res struct {
		f   *os.File
		err error
	}
	ch := make(chan res)
	go func() {
		runtime.LockOSThread() // the thread is left in the new namespace and dies with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ch <- res{nil, err}
			return
		}
		f, err := os.Open("/proc/thread-self/ns/net")
		ch <- res{f, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("new network namespace (the test needs root): %v", r.err)
	}
	t.Cleanup(func() { r.f.Close() })
	return int(r.f.Fd())
}

// TestWatchLinks: bringing a link up in a namespace of the test's own
// publishes one network event (the TV reloads /api/network).
func TestWatchLinks(t *testing.T) {
	ns := newNetNS(t)
	hub := api.NewHub()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := hub.Subscribe(ctx, 8)
	done := make(chan error, 1)
	go func() { done <- watchLinks(ctx, ns, hub, 50*time.Millisecond) }()
	time.Sleep(100 * time.Millisecond) // the watcher has joined the groups

	c, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: ns})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := make([]byte, unix.SizeofIfInfomsg)
	b[4] = 1                               // ifindex 1: lo
	b[8], b[12] = unix.IFF_UP, unix.IFF_UP // flags, change
	if _, err := c.Execute(netlink.Message{Header: netlink.Header{Type: unix.RTM_NEWLINK, Flags: netlink.Request | netlink.Acknowledge}, Data: b}); err != nil {
		t.Fatalf("lo up: %v", err)
	}
	select {
	case ev := <-events:
		if ev.Type != api.EventNetwork {
			t.Errorf("event %q, want %q", ev.Type, api.EventNetwork)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no network event after lo came up")
	}
	select {
	case ev := <-events:
		t.Errorf("second event %+v: a burst should make one", ev)
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("watchLinks: %v", err)
	}
}
