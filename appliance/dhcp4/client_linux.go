package dhcp4

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/atomicnetwork/atomicbox/appliance/state"
)

// ErrNoLease is returned when no server answered in time or a lease ran
// out without being renewed.
var ErrNoLease = errors.New("no DHCP lease")

// Client obtains and keeps an IPv4 address on one interface. The zero
// value works; fields are optional.
type Client struct {
	Log         *slog.Logger
	Hostname    string        // sent to the server (option 12)
	ResolvConf  string        // written with the lease's DNS servers when set
	Timeout     time.Duration // for the first lease (20 s)
	RouteMetric uint32        // of the default route (600, above a wired one)
}

// Address implements the Wi-Fi Manager's Addresser: it runs DHCP on iface
// until ctx ends (see there), configuring the address and default route
// through rtnetlink and removing them when it returns.
func (c *Client) Address(ctx context.Context, iface string, bound func(cidr string)) error {
	log := c.Log
	if log == nil {
		log = slog.Default()
	}
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return err
	}
	conn, err := listen(iface)
	if err != nil {
		return err
	}
	defer conn.Close()
	s := &session{c: c, log: log, ifi: ifi, conn: conn}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	fctx, cancel := context.WithTimeout(ctx, timeout)
	l, err := s.acquire(fctx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w on %s: %w", ErrNoLease, iface, err)
	}
	defer s.unconfigure()
	for {
		if err := s.configure(l); err != nil {
			return fmt.Errorf("configure %s on %s: %w", l.Addr.String(), iface, err)
		}
		bound(l.Addr.String())
		got := time.Now()
		next, err := s.keep(ctx, l, got)
		if err != nil {
			return err
		}
		if next.Addr.String() != l.Addr.String() {
			s.unconfigure()
		}
		l = next
	}
}

type session struct {
	c    *Client
	log  *slog.Logger
	ifi  *net.Interface
	conn *net.UDPConn
	cur  *Lease
}

func listen(iface string) (*net.UDPConn, error) {
	lc := net.ListenConfig{Control: func(network, address string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); serr != nil {
				return
			}
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1); serr != nil {
				return
			}
			serr = unix.BindToDevice(int(fd), iface)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	pc, err := lc.ListenPacket(context.Background(), "udp4", "0.0.0.0:68")
	if err != nil {
		return nil, fmt.Errorf("DHCP socket on %s: %w", iface, err)
	}
	return pc.(*net.UDPConn), nil
}

func (s *session) xid() uint32 {
	var b [4]byte
	rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}

var params = []byte{optSubnetMask, optRouter, optDNS, optLeaseTime, optRenewalTime, optRebindTime}

// exchange sends p to dst and waits for a reply with p's XID accepted by
// ok, resending with doubling waits (2, 4, 8 s) until ctx ends.
func (s *session) exchange(ctx context.Context, p *Packet, dst *net.UDPAddr, ok func(*Packet) bool) (*Packet, error) {
	wait := 2 * time.Second
	buf := make([]byte, 1500)
	stop := context.AfterFunc(ctx, func() { s.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	for {
		if _, err := s.conn.WriteToUDP(p.Marshal(), dst); err != nil {
			return nil, fmt.Errorf("send DHCP message: %w", err)
		}
		s.conn.SetReadDeadline(time.Now().Add(wait))
		for {
			n, _, err := s.conn.ReadFromUDP(buf)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break
				}
				return nil, err
			}
			r, err := Parse(buf[:n])
			if err != nil || r.Op != 2 || r.XID != p.XID || r.CHAddr.String() != s.ifi.HardwareAddr.String() {
				continue
			}
			if ok(r) {
				return r, nil
			}
		}
		wait = min(2*wait, 16*time.Second)
	}
}

var broadcast = &net.UDPAddr{IP: net.IPv4bcast, Port: 67}

func (s *session) acquire(ctx context.Context) (Lease, error) {
	for {
		xid := s.xid()
		disc := &Packet{Op: 1, XID: xid, Broadcast: true, CHAddr: s.ifi.HardwareAddr, Type: Discover, Params: params, Hostname: s.c.Hostname}
		offer, err := s.exchange(ctx, disc, broadcast, func(r *Packet) bool { return r.Type == Offer && r.ServerID != nil })
		if err != nil {
			return Lease{}, err
		}
		req := &Packet{Op: 1, XID: xid, Broadcast: true, CHAddr: s.ifi.HardwareAddr, Type: Request,
			Requested: offer.YIAddr, ServerID: offer.ServerID, Params: params, Hostname: s.c.Hostname}
		ack, err := s.exchange(ctx, req, broadcast, func(r *Packet) bool { return r.Type == Ack || r.Type == Nak })
		if err != nil {
			return Lease{}, err
		}
		if ack.Type == Nak {
			s.log.Info("dhcp: NAK, starting over", "interface", s.ifi.Name)
			continue
		}
		l, err := LeaseOf(ack)
		if err != nil {
			s.log.Warn("dhcp: unusable ACK", "err", err)
			continue
		}
		return l, nil
	}
}

// keep waits until T1, renews (unicast), then rebinds (broadcast) from
// T2, and returns the renewed lease, or ErrNoLease when it ran out.
func (s *session) keep(ctx context.Context, l Lease, got time.Time) (Lease, error) {
	sleep := func(until time.Time) error {
		t := time.NewTimer(time.Until(until))
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}
	if err := sleep(got.Add(l.T1)); err != nil {
		return l, err
	}
	for _, phase := range []struct {
		until time.Time
		dst   *net.UDPAddr
	}{
		{got.Add(l.T2), &net.UDPAddr{IP: l.Server, Port: 67}},
		{got.Add(l.Duration), broadcast},
	} {
		if phase.dst.IP == nil {
			continue
		}
		pctx, cancel := context.WithDeadline(ctx, phase.until)
		req := &Packet{Op: 1, XID: s.xid(), CHAddr: s.ifi.HardwareAddr, Type: Request, CIAddr: l.Addr.IP, Params: params, Hostname: s.c.Hostname}
		ack, err := s.exchange(pctx, req, phase.dst, func(r *Packet) bool { return r.Type == Ack || r.Type == Nak })
		cancel()
		if ctx.Err() != nil {
			return l, ctx.Err()
		}
		if err != nil {
			continue
		}
		if ack.Type == Nak {
			return l, fmt.Errorf("%w: the server refused the renewal", ErrNoLease)
		}
		next, err := LeaseOf(ack)
		if err != nil {
			continue
		}
		s.log.Info("dhcp: renewed", "interface", s.ifi.Name, "address", next.Addr.String(), "lease", next.Duration)
		return next, nil
	}
	return l, fmt.Errorf("%w: the lease on %s ran out", ErrNoLease, l.Addr.String())
}

const rtprotDHCP = 16

func (s *session) configure(l Lease) error {
	c, err := netlink.Dial(unix.NETLINK_ROUTE, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := addrMsg(c, unix.RTM_NEWADDR, netlink.Create|netlink.Replace, s.ifi.Index, l.Addr); err != nil {
		return fmt.Errorf("add address: %w", err)
	}
	s.cur = &l
	if l.Router != nil {
		metric := s.c.RouteMetric
		if metric == 0 {
			metric = 600
		}
		if err := routeMsg(c, unix.RTM_NEWROUTE, netlink.Create|netlink.Replace, s.ifi.Index, l.Router, metric); err != nil {
			return fmt.Errorf("add default route via %v: %w", l.Router, err)
		}
	}
	if s.c.ResolvConf != "" && len(l.DNS) > 0 {
		var b strings.Builder
		b.WriteString("# written by atomicboxd's DHCP client on " + s.ifi.Name + "\n")
		for _, d := range l.DNS {
			b.WriteString("nameserver " + d.String() + "\n")
		}
		if err := os.MkdirAll(filepath.Dir(s.c.ResolvConf), 0o755); err == nil {
			if err := state.WriteFileAtomic(s.c.ResolvConf, []byte(b.String()), 0o644); err != nil {
				s.log.Warn("dhcp: resolv.conf", "err", err)
			}
		}
	}
	return nil
}

func (s *session) unconfigure() {
	if s.cur == nil {
		return
	}
	c, err := netlink.Dial(unix.NETLINK_ROUTE, nil)
	if err != nil {
		return
	}
	defer c.Close()
	// Removing the address removes the routes through it.
	if err := addrMsg(c, unix.RTM_DELADDR, 0, s.ifi.Index, s.cur.Addr); err != nil {
		s.log.Warn("dhcp: remove address", "err", err)
	}
	s.cur = nil
}

func addrMsg(c *netlink.Conn, typ netlink.HeaderType, flags netlink.HeaderFlags, index int, a net.IPNet) error {
	ones, _ := a.Mask.Size()
	b := make([]byte, unix.SizeofIfAddrmsg)
	b[0] = unix.AF_INET
	b[1] = byte(ones)
	binary.NativeEndian.PutUint32(b[4:], uint32(index))
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(unix.IFA_LOCAL, a.IP.To4())
	ae.Bytes(unix.IFA_ADDRESS, a.IP.To4())
	bc := make(net.IP, 4)
	for i := range bc {
		bc[i] = a.IP.To4()[i] | ^a.Mask[i]
	}
	ae.Bytes(unix.IFA_BROADCAST, bc)
	attrs, err := ae.Encode()
	if err != nil {
		return err
	}
	_, err = c.Execute(netlink.Message{Header: netlink.Header{Type: typ, Flags: netlink.Request | netlink.Acknowledge | flags}, Data: append(b, attrs...)})
	return err
}

func routeMsg(c *netlink.Conn, typ netlink.HeaderType, flags netlink.HeaderFlags, index int, gw net.IP, metric uint32) error {
	b := make([]byte, unix.SizeofRtMsg)
	b[0] = unix.AF_INET
	b[4] = unix.RT_TABLE_MAIN
	b[5] = rtprotDHCP
	b[6] = unix.RT_SCOPE_UNIVERSE
	b[7] = unix.RTN_UNICAST
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(unix.RTA_GATEWAY, gw.To4())
	ae.Uint32(unix.RTA_OIF, uint32(index))
	ae.Uint32(unix.RTA_PRIORITY, metric)
	attrs, err := ae.Encode()
	if err != nil {
		return err
	}
	_, err = c.Execute(netlink.Message{Header: netlink.Header{Type: typ, Flags: netlink.Request | netlink.Acknowledge | flags}, Data: append(b, attrs...)})
	return err
}

// SetAddress adds a to the interface with index ifindex and sets it up,
// for a router's side of a test link (a DHCP server's own address).
func SetAddress(ifindex int, a net.IPNet) error {
	c, err := netlink.Dial(unix.NETLINK_ROUTE, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	return addrMsg(c, unix.RTM_NEWADDR, netlink.Create|netlink.Replace, ifindex, a)
}
