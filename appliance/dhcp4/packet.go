// Package dhcp4 is a small DHCPv4 client (RFC 2131) for the box's Wi-Fi
// interface: discover, request, renew at T1, rebind at T2, give up when
// the lease runs out. The packet format is here; the sockets and the
// address configuration are in client_linux.go.
package dhcp4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"
)

// Message types (option 53).
const (
	Discover = 1
	Offer    = 2
	Request  = 3
	Decline  = 4
	Ack      = 5
	Nak      = 6
	Release  = 7
)

// Options used here.
const (
	optSubnetMask   = 1
	optRouter       = 3
	optDNS          = 6
	optHostname     = 12
	optRequestedIP  = 50
	optLeaseTime    = 51
	optMessageType  = 53
	optServerID     = 54
	optParamRequest = 55
	optRenewalTime  = 58
	optRebindTime   = 59
	optEnd          = 255
	optPad          = 0
)

var magic = [4]byte{99, 130, 83, 99}

const fixedLen = 236 // up to the magic cookie

// Packet is a DHCPv4 message with the options this client uses.
type Packet struct {
	Op        byte // 1 request, 2 reply
	XID       uint32
	Secs      uint16
	Broadcast bool
	CIAddr    net.IP
	YIAddr    net.IP
	SIAddr    net.IP
	CHAddr    net.HardwareAddr
	Type      byte
	ServerID  net.IP
	Requested net.IP
	Mask      net.IPMask
	Routers   []net.IP
	DNS       []net.IP
	Lease     time.Duration
	T1, T2    time.Duration
	Hostname  string
	Params    []byte // parameter request list
}

// Parse decodes a DHCP message. It never panics; options it does not know
// are skipped; a message without the magic cookie or a message type is an
// error.
func Parse(b []byte) (*Packet, error) {
	if len(b) < fixedLen+4 {
		return nil, fmt.Errorf("DHCP message of %d bytes, want at least %d", len(b), fixedLen+4)
	}
	if [4]byte(b[fixedLen:fixedLen+4]) != magic {
		return nil, errors.New("DHCP message without the magic cookie")
	}
	p := &Packet{
		Op:        b[0],
		XID:       binary.BigEndian.Uint32(b[4:8]),
		Secs:      binary.BigEndian.Uint16(b[8:10]),
		Broadcast: b[10]&0x80 != 0,
		CIAddr:    ip4(b[12:16]),
		YIAddr:    ip4(b[16:20]),
		SIAddr:    ip4(b[20:24]),
	}
	if b[1] != 1 || b[2] != 6 {
		return nil, fmt.Errorf("DHCP hardware type %d length %d, want Ethernet", b[1], b[2])
	}
	p.CHAddr = net.HardwareAddr(append([]byte(nil), b[28:34]...))
	o := b[fixedLen+4:]
	for len(o) > 0 {
		code := o[0]
		if code == optEnd {
			break
		}
		if code == optPad {
			o = o[1:]
			continue
		}
		if len(o) < 2 || int(o[1]) > len(o)-2 {
			return nil, fmt.Errorf("DHCP option %d runs past the end", code)
		}
		v := o[2 : 2+int(o[1])]
		o = o[2+len(v):]
		switch code {
		case optMessageType:
			if len(v) == 1 {
				p.Type = v[0]
			}
		case optServerID:
			p.ServerID = ipOpt(v)
		case optRequestedIP:
			p.Requested = ipOpt(v)
		case optSubnetMask:
			if len(v) == 4 {
				p.Mask = net.IPMask(append([]byte(nil), v...))
			}
		case optRouter:
			p.Routers = ipList(v)
		case optDNS:
			p.DNS = ipList(v)
		case optLeaseTime:
			p.Lease = secs(v)
		case optRenewalTime:
			p.T1 = secs(v)
		case optRebindTime:
			p.T2 = secs(v)
		case optHostname:
			p.Hostname = string(v)
		case optParamRequest:
			p.Params = append([]byte(nil), v...)
		}
	}
	if p.Type == 0 {
		return nil, errors.New("DHCP message without a message type")
	}
	return p, nil
}

func ip4(b []byte) net.IP { return net.IPv4(b[0], b[1], b[2], b[3]).To4() }

func ipOpt(v []byte) net.IP {
	if len(v) != 4 {
		return nil
	}
	return ip4(v)
}

func ipList(v []byte) []net.IP {
	var out []net.IP
	for len(v) >= 4 {
		out = append(out, ip4(v))
		v = v[4:]
	}
	return out
}

func secs(v []byte) time.Duration {
	if len(v) != 4 {
		return 0
	}
	return time.Duration(binary.BigEndian.Uint32(v)) * time.Second
}

// Marshal encodes the packet (op, addresses, the options that are set).
func (p *Packet) Marshal() []byte {
	b := make([]byte, fixedLen, 300)
	b[0] = p.Op
	b[1], b[2] = 1, 6
	binary.BigEndian.PutUint32(b[4:8], p.XID)
	binary.BigEndian.PutUint16(b[8:10], p.Secs)
	if p.Broadcast {
		b[10] = 0x80
	}
	put := func(off int, ip net.IP) {
		if ip4 := ip.To4(); ip4 != nil {
			copy(b[off:off+4], ip4)
		}
	}
	put(12, p.CIAddr)
	put(16, p.YIAddr)
	put(20, p.SIAddr)
	copy(b[28:44], p.CHAddr)
	b = append(b, magic[:]...)
	b = append(b, optMessageType, 1, p.Type)
	addIP := func(code byte, ip net.IP) {
		if ip4 := ip.To4(); ip4 != nil {
			b = append(append(b, code, 4), ip4...)
		}
	}
	addIP(optServerID, p.ServerID)
	addIP(optRequestedIP, p.Requested)
	if len(p.Mask) == 4 {
		b = append(append(b, optSubnetMask, 4), p.Mask...)
	}
	addList := func(code byte, ips []net.IP) {
		if len(ips) == 0 || len(ips) > 63 {
			return
		}
		b = append(b, code, byte(4*len(ips)))
		for _, ip := range ips {
			b = append(b, ip.To4()...)
		}
	}
	addList(optRouter, p.Routers)
	addList(optDNS, p.DNS)
	addSecs := func(code byte, d time.Duration) {
		if d > 0 {
			b = binary.BigEndian.AppendUint32(append(b, code, 4), uint32(d/time.Second))
		}
	}
	addSecs(optLeaseTime, p.Lease)
	addSecs(optRenewalTime, p.T1)
	addSecs(optRebindTime, p.T2)
	if p.Hostname != "" && len(p.Hostname) < 256 {
		b = append(append(b, optHostname, byte(len(p.Hostname))), p.Hostname...)
	}
	if len(p.Params) > 0 && len(p.Params) < 256 {
		b = append(append(b, optParamRequest, byte(len(p.Params))), p.Params...)
	}
	b = append(b, optEnd)
	for len(b) < 300 { // BOOTP minimum, some servers insist
		b = append(b, 0)
	}
	return b
}

// Lease is an accepted address.
type Lease struct {
	Addr     net.IPNet
	Router   net.IP // nil when the server named none
	DNS      []net.IP
	Server   net.IP
	Duration time.Duration
	T1, T2   time.Duration
}

// LeaseOf reads the lease from an ACK, filling in RFC 2131's defaults for
// T1 (half the lease) and T2 (7/8), a mask from the address class if none
// was given, and refusing leases under 10 s.
func LeaseOf(ack *Packet) (Lease, error) {
	if ack.Type != Ack {
		return Lease{}, fmt.Errorf("DHCP message type %d is not an ACK", ack.Type)
	}
	ip := ack.YIAddr.To4()
	if ip == nil || ip.IsUnspecified() || ip.IsLoopback() || ip.IsMulticast() {
		return Lease{}, fmt.Errorf("DHCP ACK offers address %v", ack.YIAddr)
	}
	if ack.Lease < 10*time.Second {
		return Lease{}, fmt.Errorf("DHCP lease of %v is too short", ack.Lease)
	}
	mask := ack.Mask
	if mask == nil {
		mask = ip.DefaultMask()
	}
	l := Lease{Addr: net.IPNet{IP: ip, Mask: mask}, DNS: ack.DNS, Server: ack.ServerID, Duration: ack.Lease, T1: ack.T1, T2: ack.T2}
	if len(ack.Routers) > 0 {
		l.Router = ack.Routers[0]
	}
	if l.T1 <= 0 || l.T1 >= l.Duration {
		l.T1 = l.Duration / 2
	}
	if l.T2 <= l.T1 || l.T2 >= l.Duration {
		l.T2 = l.Duration * 7 / 8
	}
	return l, nil
}
