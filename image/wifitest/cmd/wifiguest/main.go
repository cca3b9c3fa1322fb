// Command wifiguest is the /init of the Wi-Fi boot test's initramfs
// (scripts/wifi-test.sh): in a QEMU guest running Debian's kernel with
// mac80211_hwsim (two radios), it moves the first radio into a network
// namespace of its own where hostapd (WPA2-PSK), dnsmasq (DHCP) and an HTTP
// server act as the household's router, and drives atomicbox's Wi-Fi
// Manager on the second radio: scan, a wrong passphrase, the right one,
// DHCP, HTTP over the link, the access point stopped and started again;
// then the same access point as WPA3-only (SAE with anti-clogging tokens,
// MFP required): a wrong passphrase, the right one, DHCP and HTTP; then
// WPA3 with hash-to-element only, which the stored network rejoins, and
// transition mode (WPA2 and WPA3), rejoined by SAE. Last, the real
// atomicboxd (/atomicboxd) takes the radio for the first-boot flow of its
// API: list networks, a wrong passphrase, the right one.
// It prints one line "wifitest: key=value ..." and powers the guest off.
// Reads /modules.load (module paths in load order) and /etc/wifitest/.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/dhcp4"
	"github.com/atomicnetwork/atomicbox/appliance/wifi"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

const (
	ssid       = "atomicbox-test"
	passphrase = "correct horse battery"
	apAddr     = "192.168.77.1"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "ap" {
		if err := ap(); err != nil {
			fmt.Println("wifiguest ap:", err)
		}
		return
	}
	res := map[string]string{}
	order := []string{}
	put := func(k, v string) {
		if _, ok := res[k]; !ok {
			order = append(order, k)
		}
		res[k] = v
	}
	start := time.Now()
	err := run(put)
	if err != nil {
		fmt.Println("wifiguest:", err)
		put("error", strings.ReplaceAll(err.Error(), " ", "_"))
	}
	put("ok", map[bool]string{true: "1", false: "0"}[err == nil])
	put("seconds", fmt.Sprintf("%.1f", time.Since(start).Seconds()))
	var b strings.Builder
	b.WriteString("wifitest:")
	for _, k := range order {
		b.WriteString(" " + k + "=" + res[k])
	}
	fmt.Println(b.String())
	syscall.Sync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
}

func setup() error {
	for _, m := range []struct{ src, dst, fs string }{
		{"proc", "/proc", "proc"}, {"sysfs", "/sys", "sysfs"}, {"devtmpfs", "/dev", "devtmpfs"},
		{"tmpfs", "/tmp", "tmpfs"}, {"tmpfs", "/run", "tmpfs"},
	} {
		os.MkdirAll(m.dst, 0o755)
		if err := unix.Mount(m.src, m.dst, m.fs, 0, ""); err != nil && err != unix.EBUSY {
			return fmt.Errorf("mount %s: %w", m.dst, err)
		}
	}
	b, err := os.ReadFile("/modules.load")
	if err != nil {
		return err
	}
	for _, p := range strings.Fields(string(b)) {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		params := ""
		if strings.HasSuffix(p, "/mac80211_hwsim.ko") {
			params = "radios=2"
		}
		err = unix.FinitModule(int(f.Fd()), params, 0)
		f.Close()
		if err != nil && err != unix.EEXIST {
			return fmt.Errorf("load %s: %w", p, err)
		}
	}
	return nil
}

func run(put func(k, v string)) error {
	if err := setup(); err != nil {
		return err
	}
	seen := &seenHandler{Handler: slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}), msgs: map[string]int{}}
	log := slog.New(seen)
	wait := func(name string) error {
		for i := 0; i < 100; i++ {
			if _, err := net.InterfaceByName(name); err == nil {
				return nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		return fmt.Errorf("no interface %s", name)
	}
	if err := wait("wlan1"); err != nil {
		return err
	}

	// The access point's side in its own network namespace.
	apCmd := exec.Command("/init", "ap")
	apCmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	apCmd.Stdout, apCmd.Stderr = os.Stdout, os.Stdout
	ctl, err := apCmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := apCmd.Start(); err != nil {
		return fmt.Errorf("start the access point's side: %w", err)
	}
	if err := movePhy("wlan0", apCmd.Process.Pid); err != nil {
		return fmt.Errorf("move wlan0 into the access point's namespace: %w", err)
	}
	io.WriteString(ctl, "start\n")

	radio, err := wifi.OpenNL80211("wlan1", log)
	if err != nil {
		return err
	}
	radioOpen := true
	defer func() {
		if radioOpen {
			radio.Close()
		}
	}()
	var mu sync.Mutex
	changed := sync.NewCond(&mu)
	m := wifi.New(wifi.Config{
		Radio: radio, DHCP: &dhcp4.Client{Log: log, Timeout: 30 * time.Second}, Dir: "/tmp", Log: log,
		MinBackoff: time.Second, MaxBackoff: 4 * time.Second,
		OnChange: func() { mu.Lock(); changed.Broadcast(); mu.Unlock() },
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan struct{})
	go func() { m.Run(ctx); close(ran) }()
	go func() { // wake waiters now and then so that their deadlines count
		for range time.Tick(500 * time.Millisecond) {
			mu.Lock()
			changed.Broadcast()
			mu.Unlock()
		}
	}()
	until := func(what string, d time.Duration, ok func(api.WifiState) bool) (api.WifiState, error) {
		end := time.Now().Add(d)
		mu.Lock()
		defer mu.Unlock()
		for {
			s := m.State()
			if ok(s) {
				fmt.Printf("wifiguest: %s after %s: %+v\n", what, time.Since(end.Add(-d)).Round(100*time.Millisecond), s)
				return s, nil
			}
			if time.Now().After(end) {
				return s, fmt.Errorf("%s: still %s/%s after %v", what, s.State, s.Problem, d)
			}
			changed.Wait()
		}
	}

	// Scan until hostapd's beacons show up.
	var found *api.WifiNetwork
	for i := 0; i < 15 && found == nil; i++ {
		nets, err := m.Scan(ctx)
		if err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		for _, n := range nets {
			if n.SSID == ssid {
				found = &n
			}
		}
		if found == nil {
			time.Sleep(time.Second)
		}
	}
	if found == nil {
		return fmt.Errorf("scan never found %s", ssid)
	}
	put("scan", "1")
	put("security", found.Security)

	m.Join(wifi.Network{SSID: ssid, Passphrase: "not the passphrase"})
	s, err := until("wrong passphrase", 60*time.Second, func(s api.WifiState) bool { return s.State == api.WifiFailed })
	put("wrong", s.Problem)
	if err != nil {
		return err
	}

	t0 := time.Now()
	m.Join(wifi.Network{SSID: ssid, Passphrase: passphrase})
	s, err = until("join", 60*time.Second, func(s api.WifiState) bool { return s.State == api.WifiJoined })
	if err != nil {
		return err
	}
	put("join", "1")
	put("join_s", fmt.Sprintf("%.1f", time.Since(t0).Seconds()))
	put("address", s.Address)
	if _, err := os.Stat("/tmp/" + wifi.StoreFile); err != nil {
		return fmt.Errorf("joined network not stored: %w", err)
	}
	put("stored", "1")
	if err := get(ctx); err != nil {
		return err
	}
	put("http", "1")

	// The client renews at T1 (10 s, sent by dnsmasq; see apUp), which
	// moves the lease's expiry in dnsmasq's lease file.
	first, err := leaseExpiry()
	if err != nil {
		return err
	}
	t0 = time.Now()
	for {
		e, err := leaseExpiry()
		if err == nil && e > first {
			break
		}
		if time.Since(t0) > 90*time.Second {
			return fmt.Errorf("the lease was not renewed within 90 s (expiry %d)", first)
		}
		time.Sleep(time.Second)
	}
	put("renew", "1")
	put("renew_s", fmt.Sprintf("%.0f", time.Since(t0).Seconds()))
	if s := m.State(); s.State != api.WifiJoined {
		return fmt.Errorf("after the renewal: %+v", s)
	}
	if err := get(ctx); err != nil {
		return fmt.Errorf("after the renewal: %w", err)
	}

	io.WriteString(ctl, "stop\n")
	s, err = until("access point gone", 30*time.Second, func(s api.WifiState) bool { return s.State == api.WifiFailed && s.Problem == api.WifiProblemLost })
	if err != nil {
		return err
	}
	put("lost", s.Problem)
	time.Sleep(2 * time.Second)
	t0 = time.Now()
	io.WriteString(ctl, "start\n")
	s, err = until("rejoin", 90*time.Second, func(s api.WifiState) bool { return s.State == api.WifiJoined })
	if err != nil {
		return err
	}
	put("rejoin", "1")
	put("rejoin_s", fmt.Sprintf("%.1f", time.Since(t0).Seconds()))
	if err := get(ctx); err != nil {
		return fmt.Errorf("after the rejoin: %w", err)
	}
	put("http2", "1")
	if err := wpa3(ctx, m, ctl, put, until, seen); err != nil {
		return err
	}
	// The daemon takes the radio over, as on a box: this Manager leaves
	// it first.
	cancel()
	<-ran
	radio.Close()
	radioOpen = false
	return firstBoot(put)
}

// wpa3 turns the access point into a WPA3-only one (SAE, hunting and
// pecking, anti-clogging tokens on every commit) and checks that a wrong
// passphrase is told apart, that the right one joins with an address and
// HTTP, and that the stored network rejoins when the access point
// switches to hash-to-element only.
func wpa3(ctx context.Context, m *wifi.Manager, ctl io.Writer, put func(k, v string),
	until func(string, time.Duration, func(api.WifiState) bool) (api.WifiState, error), seen *seenHandler) error {
	if err := m.Forget(); err != nil {
		return err
	}
	if _, err := until("forgotten", 30*time.Second, func(s api.WifiState) bool { return s.State == api.WifiIdle }); err != nil {
		return err
	}
	io.WriteString(ctl, "stop\n")
	io.WriteString(ctl, "conf hostapd-sae.conf\n")
	io.WriteString(ctl, "start\n")
	var found *api.WifiNetwork
	for i := 0; i < 15 && (found == nil || found.Security != api.WifiSecurityWPA3); i++ {
		nets, err := m.Scan(ctx)
		if err != nil {
			return fmt.Errorf("WPA3 scan: %w", err)
		}
		for _, n := range nets {
			if n.SSID == ssid {
				found = &n
			}
		}
		if found == nil || found.Security != api.WifiSecurityWPA3 {
			time.Sleep(time.Second)
		}
	}
	if found == nil {
		return fmt.Errorf("scan never found %s as WPA3", ssid)
	}
	put("sae_security", found.Security)

	m.Join(wifi.Network{SSID: ssid, Passphrase: "not the passphrase"})
	s, err := until("WPA3 wrong passphrase", 60*time.Second, func(s api.WifiState) bool { return s.State == api.WifiFailed })
	put("sae_wrong", s.Problem)
	if err != nil {
		return err
	}
	t0 := time.Now()
	m.Join(wifi.Network{SSID: ssid, Passphrase: passphrase})
	s, err = until("WPA3 join", 60*time.Second, func(s api.WifiState) bool { return s.State == api.WifiJoined })
	if err != nil {
		return err
	}
	put("sae_join", "1")
	put("sae_join_s", fmt.Sprintf("%.1f", time.Since(t0).Seconds()))
	put("sae_address", s.Address)
	tokens := seen.count("wifi: SAE anti-clogging token requested")
	put("sae_token", flag(tokens > 0))
	put("sae_tokens", fmt.Sprint(tokens))
	if err := get(ctx); err != nil {
		return fmt.Errorf("WPA3: %w", err)
	}
	put("sae_http", "1")

	// The access point crashes and comes straight back: it has forgotten
	// us, but under MFP its unprotected deauthentication is not believed
	// until an SA Query goes unanswered. Traffic from the box provokes it.
	t0 = time.Now()
	io.WriteString(ctl, "crash\n")
	poke, stopPoke := context.WithCancel(ctx)
	go func() {
		for poke.Err() == nil {
			get(poke)
			time.Sleep(time.Second)
		}
	}()
	_, err = until("crashed access point noticed", 60*time.Second, func(s api.WifiState) bool { return s.State != api.WifiJoined })
	stopPoke()
	if err != nil {
		return err
	}
	put("crash_noticed_s", fmt.Sprintf("%.1f", time.Since(t0).Seconds()))
	put("crash_sa_query", flag(seen.count("wifi: the access point lost our keys (no SA Query answer); leaving") > 0))
	if _, err = until("rejoin after the crash", 90*time.Second, func(s api.WifiState) bool { return s.State == api.WifiJoined }); err != nil {
		return err
	}
	put("crash_rejoin", "1")
	put("crash_rejoin_s", fmt.Sprintf("%.1f", time.Since(t0).Seconds()))

	h2eBefore := seen.count("wifi: SAE authenticated h2e=true")
	t0 = time.Now()
	io.WriteString(ctl, "stop\n")
	io.WriteString(ctl, "conf hostapd-h2e.conf\n")
	io.WriteString(ctl, "start\n")
	if _, err := until("WPA3 access point restarting", 30*time.Second, func(s api.WifiState) bool { return s.State != api.WifiJoined }); err != nil {
		return err
	}
	s, err = until("H2E rejoin", 90*time.Second, func(s api.WifiState) bool { return s.State == api.WifiJoined })
	if err != nil {
		return err
	}
	put("h2e_rejoin", "1")
	put("h2e_rejoin_s", fmt.Sprintf("%.1f", time.Since(t0).Seconds()))
	put("h2e", flag(seen.count("wifi: SAE authenticated h2e=true") > h2eBefore))
	if err := get(ctx); err != nil {
		return fmt.Errorf("after the H2E rejoin: %w", err)
	}
	put("h2e_http", "1")

	// Transition mode: the stored network rejoins, by SAE.
	saeBefore := seen.count("wifi: SAE authenticated")
	t0 = time.Now()
	io.WriteString(ctl, "stop\n")
	io.WriteString(ctl, "conf hostapd-transition.conf\n")
	io.WriteString(ctl, "start\n")
	if _, err := until("transition access point restarting", 30*time.Second, func(s api.WifiState) bool { return s.State != api.WifiJoined }); err != nil {
		return err
	}
	if _, err = until("transition rejoin", 90*time.Second, func(s api.WifiState) bool { return s.State == api.WifiJoined }); err != nil {
		return err
	}
	put("transition_rejoin", "1")
	put("transition_rejoin_s", fmt.Sprintf("%.1f", time.Since(t0).Seconds()))
	put("transition_sae", flag(seen.count("wifi: SAE authenticated") > saeBefore))
	// (The daemon's scan in firstBoot, on this access point, checks that
	// transition mode is listed as such: a scan while joined timed out
	// once under QEMU, see the README.)
	if err := get(ctx); err != nil {
		return fmt.Errorf("after the transition rejoin: %w", err)
	}
	put("transition_http", "1")
	return nil
}

// firstBoot checks the daemon's side of the TV's first-boot pages with
// the real atomicboxd on the station's radio (a fresh data dir: nothing
// stored): GET /api/wifi/networks lists the test network, POST
// /api/wifi/join with a wrong passphrase ends in GET /api/network saying
// "Wrong passphrase", the right one joins with an address and is stored.
func firstBoot(put func(k, v string)) error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	key := base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))
	// The daemon's API is on loopback, which this namespace has not
	// brought up yet (the access point's side has its own).
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		return err
	}
	if err := up(lo.Index); err != nil {
		return fmt.Errorf("lo up: %w", err)
	}
	const base = "http://127.0.0.1:8080"
	dir := "/tmp/box"
	d := exec.Command("/atomicboxd", "-data", dir, "-listen", "127.0.0.1:8080", "-channel", "http://"+apAddr+"/channel/",
		"-network-key", key, "-no-dht", "-no-trackers", "-bt-port", "0", "-wifi", "wlan1", "-wifi-resolv-conf", "/tmp/resolv.conf")
	d.Stdout, d.Stderr = os.Stdout, os.Stdout
	if err := d.Start(); err != nil {
		return fmt.Errorf("start atomicboxd: %w", err)
	}
	defer func() {
		d.Process.Signal(syscall.SIGTERM)
		d.Wait()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	view := func() (api.NetworkView, error) {
		var v api.NetworkView
		err := apiCall(ctx, "GET", base+"/api/network", nil, http.StatusOK, &v)
		return v, err
	}
	waitView := func(what string, d time.Duration, ok func(api.NetworkView) bool) (api.NetworkView, error) {
		end := time.Now().Add(d)
		for {
			v, err := view()
			if err == nil && ok(v) {
				fmt.Printf("wifiguest: API %s: %+v\n", what, v.Wifi)
				return v, nil
			}
			if time.Now().After(end) {
				return v, fmt.Errorf("API %s: not within %v (last %+v, %v)", what, d, v.Wifi, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	if _, err := waitView("radio open", 60*time.Second, func(v api.NetworkView) bool { return v.Wifi != nil }); err != nil {
		return err
	}
	var found *api.WifiNetwork
	for i := 0; i < 15 && found == nil; i++ {
		var nets []api.WifiNetwork
		if err := apiCall(ctx, "GET", base+"/api/wifi/networks", nil, http.StatusOK, &nets); err != nil {
			return err
		}
		for _, n := range nets {
			if n.SSID == ssid {
				found = &n
			}
		}
		if found == nil {
			time.Sleep(time.Second)
		}
	}
	if found == nil {
		return fmt.Errorf("GET /api/wifi/networks never listed %s", ssid)
	}
	put("api_networks", "1")
	put("api_security", found.Security)

	if err := apiCall(ctx, "POST", base+"/api/wifi/join", api.WifiJoin{SSID: ssid, Passphrase: "not the passphrase"}, http.StatusAccepted, nil); err != nil {
		return err
	}
	v, err := waitView("wrong passphrase", 60*time.Second, func(v api.NetworkView) bool { return v.Wifi != nil && v.Wifi.State == api.WifiFailed })
	if err != nil {
		return err
	}
	put("api_wrong", v.Wifi.Problem)
	put("api_wrong_sentence", flag(strings.Contains(strings.ToLower(v.Wifi.Message), "wrong passphrase")))

	t0 := time.Now()
	if err := apiCall(ctx, "POST", base+"/api/wifi/join", api.WifiJoin{SSID: ssid, Passphrase: passphrase}, http.StatusAccepted, nil); err != nil {
		return err
	}
	v, err = waitView("join", 60*time.Second, func(v api.NetworkView) bool { return v.Wifi != nil && v.Wifi.State == api.WifiJoined })
	if err != nil {
		return err
	}
	put("api_join", "1")
	put("api_join_s", fmt.Sprintf("%.1f", time.Since(t0).Seconds()))
	put("api_address", v.Wifi.Address)
	if _, err := os.Stat(dir + "/" + wifi.StoreFile); err != nil {
		return fmt.Errorf("the daemon did not store the joined network: %w", err)
	}
	put("api_stored", "1")
	return nil
}

// apiCall sends a JSON request to the daemon's API and decodes the
// answer into out (when not nil); any status but want is an error.
func apiCall(ctx context.Context, method, url string, in any, want int, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s %s, want %d", method, url, resp.Status, bytes.TrimSpace(b), want)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// seenHandler passes records on and counts them by message and boolean
// attributes ("wifi: SAE authenticated h2e=true"), so that the test can
// tell which SAE path a join took.
type seenHandler struct {
	slog.Handler
	mu   sync.Mutex
	msgs map[string]int
}

func (h *seenHandler) Handle(ctx context.Context, r slog.Record) error {
	key := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Value.Kind() == slog.KindBool {
			key += fmt.Sprintf(" %s=%v", a.Key, a.Value.Bool())
		}
		return true
	})
	h.mu.Lock()
	h.msgs[r.Message]++
	if key != r.Message {
		h.msgs[key]++
	}
	h.mu.Unlock()
	return h.Handler.Handle(ctx, r)
}

// WithAttrs and WithGroup keep counting (the radio's logger is used as is,
// but a derived one must not lose the counts).
func (h *seenHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &derivedHandler{h, h.Handler.WithAttrs(as)}
}

func (h *seenHandler) WithGroup(name string) slog.Handler {
	return &derivedHandler{h, h.Handler.WithGroup(name)}
}

func (h *seenHandler) count(key string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.msgs[key]
}

type derivedHandler struct {
	root *seenHandler
	slog.Handler
}

func (d *derivedHandler) Handle(ctx context.Context, r slog.Record) error {
	d.root.mu.Lock()
	d.root.msgs[r.Message]++
	d.root.mu.Unlock()
	return d.Handler.Handle(ctx, r)
}

// leaseExpiry is the expiry (Unix seconds) of the one lease in dnsmasq's
// lease file, which the access point's side writes on the shared /tmp.
func leaseExpiry() (int64, error) {
	b, err := os.ReadFile("/tmp/leases")
	if err != nil {
		return 0, err
	}
	var e int64
	if _, err := fmt.Sscan(string(b), &e); err != nil {
		return 0, fmt.Errorf("lease file %q: %w", b, err)
	}
	return e, nil
}

func get(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+apAddr+"/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("HTTP over Wi-Fi: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if strings.TrimSpace(string(b)) != "hello from the access point" {
		return fmt.Errorf("HTTP over Wi-Fi: got %q", b)
	}
	return nil
}

// movePhy moves the wiphy of interface name into the network namespace
// of process pid (NL80211_CMD_SET_WIPHY_NETNS, like "iw phy X set netns").
func movePhy(name string, pid int) error {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return err
	}
	c, err := genetlink.Dial(nil)
	if err != nil {
		return err
	}
	defer c.Close()
	fam, err := c.GetFamily(unix.NL80211_GENL_NAME)
	if err != nil {
		return err
	}
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(unix.NL80211_ATTR_IFINDEX, uint32(ifi.Index))
	ae.Uint32(unix.NL80211_ATTR_PID, uint32(pid))
	b, _ := ae.Encode()
	_, err = c.Execute(genetlink.Message{Header: genetlink.Header{Command: unix.NL80211_CMD_SET_WIPHY_NETNS, Version: fam.Version}, Data: b},
		fam.ID, netlink.Request|netlink.Acknowledge)
	return err
}

// ap is the router: it waits for "start" on stdin (its radio has arrived),
// then serves DHCP and HTTP and runs hostapd while told "start" until told
// "stop" ("crash" kills it and starts it again at once); "conf NAME" picks the configuration in /etc/wifitest that the
// next start uses (hostapd.conf at first).
func ap() error {
	in := bufio.NewScanner(os.Stdin)
	var hostapd *exec.Cmd
	started := false
	conf := "hostapd.conf"
	for in.Scan() {
		if name, ok := strings.CutPrefix(in.Text(), "conf "); ok {
			conf = name // for the next start
			continue
		}
		switch in.Text() {
		case "start":
			if !started {
				if err := apUp(); err != nil {
					return err
				}
				started = true
			}
			hostapd = exec.Command("/usr/sbin/hostapd", "/etc/wifitest/"+conf)
			hostapd.Stdout, hostapd.Stderr = os.Stdout, os.Stdout
			if err := hostapd.Start(); err != nil {
				return err
			}
		case "crash":
			// SIGKILL: no deauthentication goes out; then at once again.
			if hostapd != nil {
				hostapd.Process.Kill()
				hostapd.Wait()
			}
			hostapd = exec.Command("/usr/sbin/hostapd", "/etc/wifitest/"+conf)
			hostapd.Stdout, hostapd.Stderr = os.Stdout, os.Stdout
			if err := hostapd.Start(); err != nil {
				return err
			}
		case "stop":
			if hostapd != nil {
				hostapd.Process.Signal(syscall.SIGTERM)
				hostapd.Wait()
				hostapd = nil
			}
		}
	}
	return nil
}

func apUp() error {
	for _, name := range []string{"lo", "wlan0"} {
		ifi, err := net.InterfaceByName(name)
		if err != nil {
			return err
		}
		if err := up(ifi.Index); err != nil {
			return fmt.Errorf("%s up: %w", name, err)
		}
		if name == "wlan0" {
			if err := dhcp4.SetAddress(ifi.Index, net.IPNet{IP: net.ParseIP(apAddr).To4(), Mask: net.CIDRMask(24, 32)}); err != nil {
				return err
			}
		}
	}
	// dnsmasq's shortest lease is 2 minutes; it sends T1 (option 58) as 10 s
	// so that the renewal step waits 10 s, not the default half lease (60 s
	// of emulated guest time in make test).
	dns := exec.Command("/usr/sbin/dnsmasq", "--keep-in-foreground", "--port=0", "--interface=wlan0", "--bind-interfaces",
		"--dhcp-range=192.168.77.10,192.168.77.50,2m", "--dhcp-option=3,"+apAddr, "--dhcp-option=option:T1,10",
		"--dhcp-leasefile=/tmp/leases",
		"--user=root", "--group=root", "--pid-file=", "--log-dhcp", "--conf-file=/dev/null")
	dns.Stdout, dns.Stderr = os.Stdout, os.Stdout
	if err := dns.Start(); err != nil {
		return err
	}
	l, err := net.Listen("tcp", apAddr+":80")
	if err != nil {
		return err
	}
	go http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from the access point\n")
	}))
	return nil
}

func up(index int) error {
	c, err := netlink.Dial(unix.NETLINK_ROUTE, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	b := make([]byte, unix.SizeofIfInfomsg)
	nativePut(b[4:], uint32(index))
	nativePut(b[8:], unix.IFF_UP)
	nativePut(b[12:], unix.IFF_UP)
	_, err = c.Execute(netlink.Message{Header: netlink.Header{Type: unix.RTM_NEWLINK, Flags: netlink.Request | netlink.Acknowledge}, Data: b})
	return err
}

func nativePut(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) // amd64 is little-endian
}
