package box

import (
	"context"
	"fmt"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

// watchLinks publishes api.EventNetwork on hub when a link, an address or
// an IPv4 route changes (a cable plugged in, DHCP on Ethernet), at most
// once per settle, until ctx ends. netns is the network namespace's file
// descriptor (0: the daemon's own).
func watchLinks(ctx context.Context, netns int, hub *api.Hub, settle time.Duration) error {
	c, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: netns,
		Groups: unix.RTMGRP_LINK | unix.RTMGRP_IPV4_IFADDR | unix.RTMGRP_IPV6_IFADDR | unix.RTMGRP_IPV4_ROUTE})
	if err != nil {
		return fmt.Errorf("watch network changes: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	changed := make(chan struct{}, 1)
	go func() {
		defer close(changed)
		for {
			if _, err := c.Receive(); err != nil {
				return // closed by ctx, or the socket failed
			}
			select {
			case changed <- struct{}{}:
			default:
			}
		}
	}()
	for range changed {
		// Coalesce a burst (link up, address, route) into one event.
		select {
		case <-ctx.Done():
		case <-time.After(settle):
		}
		select {
		case <-changed:
		default:
		}
		hub.Publish(api.Event{Type: api.EventNetwork})
	}
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("watch network changes: the netlink socket closed")
}
