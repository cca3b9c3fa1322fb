package box

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/wifi"
)

// WifiConfig turns on the box's Wi-Fi client (DaemonConfig.Wifi).
type WifiConfig struct {
	// Open opens the radio. It is retried (every Retry, 5 s by default,
	// logging the first failure) until it succeeds: on the Pi the driver
	// is loaded after the daemon starts. Until then the box has no radio.
	Open  func(ctx context.Context) (wifi.Radio, error)
	Retry time.Duration
	DHCP  wifi.Addresser
	// Seed is the network atomicbox.txt names, if any; SeedOverride says
	// the file was imported on this boot (so it replaces a stored one).
	Seed         *wifi.Network
	SeedOverride bool
	// Backoff bounds for the Manager; zero = its defaults.
	MinBackoff, MaxBackoff time.Duration
}

// Network implements api.Network: the interfaces as the kernel has them
// and the Wi-Fi Manager once its radio is open. Safe for concurrent use.
type Network struct {
	sysClassNet string // "/sys/class/net"
	procRoute   string // "/proc/net/route"
	wifi        atomic.Pointer[wifi.Manager]
}

// NewNetwork reads interfaces through sysClassNet and the IPv4 routing
// table at procRoute ("" = the real /sys/class/net and /proc/net/route).
func NewNetwork(sysClassNet, procRoute string) *Network {
	if sysClassNet == "" {
		sysClassNet = "/sys/class/net"
	}
	if procRoute == "" {
		procRoute = "/proc/net/route"
	}
	return &Network{sysClassNet: sysClassNet, procRoute: procRoute}
}

// runWifi opens the radio and runs the Manager until ctx ends; each state
// change is published as api.EventNetwork on hub.
func (n *Network) runWifi(ctx context.Context, cfg WifiConfig, dataDir string, hub *api.Hub, log *slog.Logger) {
	retry := cfg.Retry
	if retry <= 0 {
		retry = 5 * time.Second
	}
	var radio wifi.Radio
	for logged := false; ; {
		r, err := cfg.Open(ctx)
		if err == nil {
			radio = r
			break
		}
		if !logged {
			log.Info("wifi: no radio yet; retrying", "err", err, "every", retry)
			logged = true
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
	}
	if c, ok := radio.(interface{ Close() error }); ok {
		defer c.Close()
	}
	m := wifi.New(wifi.Config{Radio: radio, DHCP: cfg.DHCP, Dir: dataDir, Log: log,
		MinBackoff: cfg.MinBackoff, MaxBackoff: cfg.MaxBackoff,
		OnChange: func() { hub.Publish(api.Event{Type: api.EventNetwork}) }})
	if cfg.Seed != nil {
		if err := m.Seed(*cfg.Seed, cfg.SeedOverride); err != nil {
			log.Warn("wifi: atomicbox.txt's network not used", "err", err)
		}
	}
	n.wifi.Store(m)
	hub.Publish(api.Event{Type: api.EventNetwork})
	m.Run(ctx)
}

// HasWifi implements api.Network.
func (n *Network) HasWifi() bool { return n.wifi.Load() != nil }

// ScanWifi implements api.Network.
func (n *Network) ScanWifi(ctx context.Context) ([]api.WifiNetwork, error) {
	m := n.wifi.Load()
	if m == nil {
		return nil, wifi.ErrNoRadio
	}
	return m.Scan(ctx)
}

// JoinWifi implements api.Network.
func (n *Network) JoinWifi(j api.WifiJoin) error {
	m := n.wifi.Load()
	if m == nil {
		return wifi.ErrNoRadio
	}
	if err := m.Join(wifi.Network{SSID: j.SSID, Passphrase: j.Passphrase}); err != nil {
		return fmt.Errorf("%w: %w", api.ErrBadWifiJoin, err)
	}
	return nil
}

// ForgetWifi implements api.Network.
func (n *Network) ForgetWifi() error {
	m := n.wifi.Load()
	if m == nil {
		return wifi.ErrNoRadio
	}
	return m.Forget()
}

// View implements api.Network.
func (n *Network) View() api.NetworkView {
	v := api.NetworkView{Interfaces: []api.InterfaceView{}}
	if m := n.wifi.Load(); m != nil {
		s := m.State()
		v.Wifi = &s
	}
	ifis, err := net.Interfaces()
	if err != nil {
		return v
	}
	routable := false
	for _, ifi := range ifis {
		if ifi.Flags&net.FlagLoopback != 0 || len(ifi.HardwareAddr) != 6 {
			continue
		}
		iv := api.InterfaceView{Name: ifi.Name, Kind: api.InterfaceEthernet, Up: ifi.Flags&net.FlagRunning != 0, Addresses: []string{}}
		if isWireless(n.sysClassNet, ifi.Name) {
			iv.Kind = api.InterfaceWifi
		}
		addrs, _ := ifi.Addrs()
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			iv.Addresses = append(iv.Addresses, ipn.String())
			if ipn.IP.IsGlobalUnicast() {
				routable = true
			}
		}
		v.Interfaces = append(v.Interfaces, iv)
	}
	v.Online = routable && hasDefaultRoute(n.procRoute)
	return v
}

func isWireless(sysClassNet, name string) bool {
	for _, p := range []string{"wireless", "phy80211"} {
		if _, err := os.Stat(filepath.Join(sysClassNet, name, p)); err == nil {
			return true
		}
	}
	return false
}

// hasDefaultRoute says whether the IPv4 routing table (the format of
// /proc/net/route) has an up default route through a gateway.
func hasDefaultRoute(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	ok, _ := parseDefaultRoute(f)
	return ok
}

func parseDefaultRoute(f io.Reader) (bool, error) {
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		fs := strings.Fields(sc.Text())
		if first || len(fs) < 8 {
			continue
		}
		// Iface Destination Gateway Flags RefCnt Use Metric Mask
		var flags uint32
		if _, err := fmt.Sscanf(fs[3], "%X", &flags); err != nil {
			continue
		}
		const rtfUp, rtfGateway = 0x1, 0x2
		if fs[1] == "00000000" && fs[7] == "00000000" && flags&rtfUp != 0 && flags&rtfGateway != 0 {
			return true, nil
		}
	}
	return false, errors.Join(sc.Err())
}
