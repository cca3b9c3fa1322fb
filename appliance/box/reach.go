package box

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	alog "github.com/anacrolix/log"
	"github.com/anacrolix/upnp"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

// Reachability: anacrolix v1.61 can map its port by UPnP itself but keeps
// the result unexported (Client.upnpMappings) and only logs it, so the swarm
// turns that off (NoDefaultPortForwarding) and the Reacher maps the port
// itself, with the same library, to show the result in settings. NAT-PMP is
// not tried.

// Discoverer finds UPnP Internet gateway devices on the LAN within ctx.
type Discoverer func(ctx context.Context) []upnp.Device

// UPnPDiscover is the real Discoverer: SSDP on the LAN for up to 3 s (or
// until ctx ends; the search itself then finishes in the background).
func UPnPDiscover(ctx context.Context) []upnp.Device {
	ch := make(chan []upnp.Device, 1)
	go func() { ch <- upnp.Discover(0, 3*time.Second, alog.Default) }()
	select {
	case ds := <-ch:
		return ds
	case <-ctx.Done():
		return nil
	}
}

// Reacher maps the BitTorrent port on the router and remembers the result.
// Safe for concurrent use.
type Reacher struct {
	discover Discoverer
	port     int
	now      func() time.Time
	log      *slog.Logger

	mu     sync.Mutex
	last   api.Reachability
	mapped upnp.Device // the device holding our mapping, for Close
}

// NewReacher returns a Reacher for the TCP port; discover nil means there is
// no LAN to try (loopback-only boxes, tests): the result is "none".
func NewReacher(discover Discoverer, port int, now func() time.Time, log *slog.Logger) *Reacher {
	if now == nil {
		now = time.Now
	}
	r := &Reacher{discover: discover, port: port, now: now, log: log}
	r.last = api.Reachability{Method: "none", ListenPort: port, Message: "Not checked yet."}
	return r
}

// Last returns the result of the last attempt.
func (r *Reacher) Last() api.Reachability {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// Check tries once to map the port (TCP and UDP, for uTP) and records the
// result. Blocks up to the discovery time or until ctx ends.
func (r *Reacher) Check(ctx context.Context) api.Reachability {
	res := api.Reachability{Method: "none", ListenPort: r.port, CheckedAt: r.now()}
	var dev upnp.Device
	switch {
	case r.discover == nil:
		res.Message = "The box listens on loopback only: no port mapping is tried."
	default:
		ds := r.discover(ctx)
		if len(ds) == 0 {
			res.Message = "No router answered UPnP on the local network. Seeding still works through outgoing connections; forward port " + strconv.Itoa(r.port) + " on the router for more peers."
			break
		}
		res.Method = "upnp"
		var lastErr error
		for _, d := range ds {
			ext, err := d.AddPortMapping(upnp.TCP, r.port, r.port, "atomicbox", 0)
			if err != nil {
				lastErr = err
				continue
			}
			d.AddPortMapping(upnp.UDP, r.port, ext, "atomicbox", 0) // uTP; TCP is what counts
			dev = d
			res.OK = true
			res.Message = "The router forwards the BitTorrent port to this box."
			if ip, err := d.GetExternalIPAddress(); err == nil && ip != nil {
				res.ExternalAddr = net.JoinHostPort(ip.String(), strconv.Itoa(ext))
			}
			break
		}
		if !res.OK {
			res.Message = fmt.Sprintf("The router refused UPnP port mapping (%v). Seeding still works through outgoing connections.", lastErr)
		}
	}
	r.mu.Lock()
	r.last = res
	if dev != nil {
		r.mapped = dev
	}
	r.mu.Unlock()
	if r.log != nil {
		r.log.Info("reachability", "method", res.Method, "ok", res.OK, "external", res.ExternalAddr, "message", res.Message)
	}
	return res
}

// Run checks at once and then every interval until ctx ends, and removes
// the mapping when it ends. Blocks.
func (r *Reacher) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		r.Check(ctx)
		select {
		case <-ctx.Done():
			r.mu.Lock()
			d := r.mapped
			r.mapped = nil
			r.mu.Unlock()
			if d != nil {
				d.DeletePortMapping(upnp.TCP, r.port)
				d.DeletePortMapping(upnp.UDP, r.port)
			}
			return
		case <-t.C:
		}
	}
}
