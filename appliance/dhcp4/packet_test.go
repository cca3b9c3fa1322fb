package dhcp4

import (
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ack() *Packet {
	return &Packet{Op: 2, XID: 0x1234, CIAddr: net.IPv4zero.To4(), SIAddr: net.IPv4zero.To4(), YIAddr: net.IPv4(192, 168, 1, 20).To4(), CHAddr: net.HardwareAddr{2, 0, 0, 0, 0, 1},
		Type: Ack, ServerID: net.IPv4(192, 168, 1, 1).To4(), Mask: net.CIDRMask(24, 32),
		Routers: []net.IP{net.IPv4(192, 168, 1, 1).To4()}, DNS: []net.IP{net.IPv4(192, 168, 1, 1).To4(), net.IPv4(9, 9, 9, 9).To4()},
		Lease: time.Hour}
}

func TestRoundTrip(t *testing.T) {
	p := ack()
	got, err := Parse(p.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestLeaseOf(t *testing.T) {
	for _, tt := range []struct {
		reason string
		edit   func(*Packet)
		want   string // lease as "addr router T1 T2", or "error"
	}{
		{"defaults for T1 and T2", func(p *Packet) {}, "192.168.1.20/24 192.168.1.1 30m0s 52m30s"},
		{"server's T1 and T2", func(p *Packet) { p.T1, p.T2 = 10*time.Minute, 20*time.Minute }, "192.168.1.20/24 192.168.1.1 10m0s 20m0s"},
		{"T2 before T1 is replaced", func(p *Packet) { p.T1, p.T2 = 40*time.Minute, 20*time.Minute }, "192.168.1.20/24 192.168.1.1 40m0s 52m30s"},
		{"no mask: the class's", func(p *Packet) { p.Mask = nil; p.YIAddr = net.IPv4(10, 1, 2, 3).To4() }, "10.1.2.3/8 192.168.1.1 30m0s 52m30s"},
		{"no router", func(p *Packet) { p.Routers = nil }, "192.168.1.20/24 <nil> 30m0s 52m30s"},
		{"a NAK is no lease", func(p *Packet) { p.Type = Nak }, "error"},
		{"address 0.0.0.0", func(p *Packet) { p.YIAddr = net.IPv4zero.To4() }, "error"},
		{"a 5 s lease", func(p *Packet) { p.Lease = 5 * time.Second }, "error"},
	} {
		p := ack()
		tt.edit(p)
		l, err := LeaseOf(p)
		got := "error"
		if err == nil {
			got = l.Addr.String() + " " + l.Router.String() + " " + l.T1.String() + " " + l.T2.String()
		}
		if got != tt.want {
			t.Errorf("%s: %s, want %s", tt.reason, got, tt.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	good := ack().Marshal()
	for _, tt := range []struct {
		reason string
		b      []byte
	}{
		{"short", good[:100]},
		{"no cookie", append(append([]byte{}, good[:fixedLen]...), 1, 2, 3, 4, 255)},
		{"option past the end", append(append([]byte{}, good[:fixedLen+4]...), optMessageType, 9, 5)},
		{"no message type", append(append([]byte{}, good[:fixedLen+4]...), optEnd)},
	} {
		if _, err := Parse(tt.b); err == nil {
			t.Errorf("%s: Parse accepted it", tt.reason)
		}
	}
}

// FuzzParse: never panics; what it accepts marshals to something that
// parses to the same packet.
func FuzzParse(f *testing.F) {
	f.Add(ack().Marshal())
	d := &Packet{Op: 1, XID: 7, Broadcast: true, CHAddr: net.HardwareAddr{2, 0, 0, 0, 0, 1}, Type: Discover, Params: params, Hostname: "tv"}
	f.Add(d.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		if len(p.Routers) > 63 || len(p.DNS) > 63 {
			return
		}
		again, err := Parse(p.Marshal())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if diff := cmp.Diff(p, again); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
		LeaseOf(p)
	})
}
