package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Link is the shaping of one box's access link, in bits per second; 0 means
// unshaped. The kernel here has no netem, so links add no latency.
type Link struct {
	Down, Up int64
}

// Lab is a set of network namespaces made for one benchmark run: a hub
// namespace holding a bridge (and the hub address the origin listens on),
// and one namespace per host, each joined to the bridge by a veth pair
// shaped with tbf. Nothing is connected to the root namespace. Methods are
// safe for concurrent use once NewLab returned.
type Lab struct {
	prefix string
	hub    string
	hubIP  netip.Addr
	mu     sync.Mutex
	hosts  []string // namespace names, for Close
}

// Host is one namespace on the lab's bridge.
type Host struct {
	NS    string     // namespace name (ip netns)
	IP    netip.Addr // its address on the bridge
	index int        // AddHost's i
}

// labPrefix names every namespace of this process; stale ones (of a dead
// process) are removed by NewLab.
const labPrefix = "abx"

// NewLab creates the hub namespace with its bridge. The caller must Close
// it. Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN).
func NewLab(ctx context.Context) (*Lab, error) {
	removeStale(ctx)
	l := &Lab{prefix: fmt.Sprintf("%s%d", labPrefix, os.Getpid()), hubIP: netip.MustParseAddr("10.99.0.1")}
	l.hub = l.prefix + "-hub"
	if err := l.run(ctx, "ip", "netns", "add", l.hub); err != nil {
		return nil, err
	}
	l.hosts = append(l.hosts, l.hub)
	for _, args := range [][]string{
		{"ip", "-n", l.hub, "link", "set", "lo", "up"},
		{"ip", "-n", l.hub, "link", "add", "br0", "address", hubMAC, "type", "bridge"},
		{"ip", "-n", l.hub, "addr", "add", l.hubIP.String() + "/16", "dev", "br0"},
		{"ip", "-n", l.hub, "link", "set", "br0", "up"},
	} {
		if err := l.run(ctx, args...); err != nil {
			l.Close()
			return nil, err
		}
	}
	return l, nil
}

// HubIP is the hub's address: what hosts reach the origin on.
func (l *Lab) HubIP() netip.Addr { return l.hubIP }

// HubNS is the hub namespace's name.
func (l *Lab) HubNS() string { return l.hub }

// AddHost creates namespace number i (0..16000) on the bridge with address
// 10.99.(1+i/250).(1+i%250) and the link shaped as given: Up on the host's
// side of the veth, Down on the hub's side.
func (l *Lab) AddHost(ctx context.Context, i int, link Link) (Host, error) {
	ns := fmt.Sprintf("%s-h%d", l.prefix, i)
	ip := netip.AddrFrom4([4]byte{10, 99, byte(1 + i/250), byte(1 + i%250)})
	if err := l.run(ctx, "ip", "netns", "add", ns); err != nil {
		return Host{}, err
	}
	l.mu.Lock()
	l.hosts = append(l.hosts, ns)
	l.mu.Unlock()
	port := fmt.Sprintf("p%d", i)
	cmds := [][]string{
		{"ip", "-n", l.hub, "link", "add", port, "type", "veth", "peer", "name", "eth0", "address", hostMAC(i), "netns", ns},
		{"ip", "-n", l.hub, "link", "set", port, "master", "br0", "up"},
		{"ip", "-n", ns, "link", "set", "lo", "up"},
		{"ip", "-n", ns, "addr", "add", ip.String() + "/16", "dev", "eth0"},
		{"ip", "-n", ns, "link", "set", "eth0", "up"},
	}
	if link.Up > 0 {
		cmds = append(cmds, tbf(ns, "eth0", link.Up))
	}
	if link.Down > 0 {
		cmds = append(cmds, tbf(l.hub, port, link.Down))
	}
	for _, args := range cmds {
		if err := l.run(ctx, args...); err != nil {
			return Host{}, err
		}
	}
	return Host{NS: ns, IP: ip, index: i}, nil
}

// RefuseIncoming makes h drop new incoming TCP connections to port, as a
// home router without a port mapping does, while its own outgoing
// connections (and their replies) pass. It needs nft (Debian's nftables).
func (l *Lab) RefuseIncoming(ctx context.Context, h Host, port int) error {
	rules := fmt.Sprintf(`table inet boxnat {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport %d ct state new drop
	}
}
`, port)
	return runCmdInput(ctx, strings.NewReader(rules), "ip", "netns", "exec", h.NS, "nft", "-f", "-")
}

// Lab addresses are fixed so that neighbour entries can be written ahead
// (PinNeighbours): the bridge's, and each host's eth0 by its number.
const hubMAC = "02:ab:00:00:ff:ff"

func hostMAC(i int) string { return fmt.Sprintf("02:ab:00:00:%02x:%02x", i>>8, i&0xff) }

// PinNeighbours writes permanent neighbour (ARP) entries for the hub and
// every host into every namespace, so that no connection depends on ARP:
// with 60 namespaces on one bridge and the machine saturated, ARP
// resolution failed and connections got "no route to host" or hung in
// connect for half a minute. Call it once all hosts are added.
func (l *Lab) PinNeighbours(ctx context.Context, hosts []Host) error {
	var hubLines, hostLines strings.Builder
	fmt.Fprintf(&hostLines, "neigh replace %s lladdr %s dev eth0 nud permanent\n", l.hubIP, hubMAC)
	for _, h := range hosts {
		fmt.Fprintf(&hubLines, "neigh replace %s lladdr %s dev br0 nud permanent\n", h.IP, hostMAC(h.index))
		fmt.Fprintf(&hostLines, "neigh replace %s lladdr %s dev eth0 nud permanent\n", h.IP, hostMAC(h.index))
	}
	if err := runBatch(ctx, l.hub, hubLines.String()); err != nil {
		return err
	}
	return parallel(ctx, len(hosts), 8, func(i int) error {
		return runBatch(ctx, hosts[i].NS, hostLines.String())
	})
}

// runBatch runs "ip -n ns -batch -" with the given commands.
func runBatch(ctx context.Context, ns, commands string) error {
	return runCmdInput(ctx, strings.NewReader(commands), "ip", "-n", ns, "-batch", "-")
}

// tbf shapes dev's egress to rate bits/s with a 64 KiB bucket (TSO segments
// must fit) and at most 50 ms of queue.
func tbf(ns, dev string, rate int64) []string {
	return []string{"tc", "-n", ns, "qdisc", "add", "dev", dev, "root", "tbf",
		"rate", strconv.FormatInt(rate, 10) + "bit", "burst", "64kb", "latency", "50ms"}
}

// Close deletes every namespace of the lab. Processes still running inside
// them must be stopped first (a namespace lives on while a process uses it).
// Bounded by 30 s.
func (l *Lab) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l.mu.Lock()
	hosts := l.hosts
	l.hosts = nil
	l.mu.Unlock()
	var errs []error
	for i := len(hosts) - 1; i >= 0; i-- {
		if err := l.run(ctx, "ip", "netns", "del", hosts[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (l *Lab) run(ctx context.Context, args ...string) error {
	return runCmd(ctx, args...)
}

func runCmd(ctx context.Context, args ...string) error {
	return runCmdInput(ctx, nil, args...)
}

// runCmdInput runs args with stdin (nil: none); a failure carries the
// command line and its output.
func runCmdInput(ctx context.Context, stdin io.Reader, args ...string) error {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin = stdin
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// removeStale deletes lab namespaces left behind by processes that no longer
// run (a benchmark killed with SIGKILL).
func removeStale(ctx context.Context) {
	out, err := exec.CommandContext(ctx, "ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest, ok := strings.CutPrefix(name, labPrefix)
		if !ok {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := unix.Kill(pid, 0); errors.Is(err, unix.ESRCH) {
			runCmd(ctx, "ip", "netns", "del", name)
		}
	}
}

// InNS runs fn on an OS thread switched into the named network namespace:
// sockets fn creates (net.Dial, net.Listen) belong to that namespace for
// their whole life. fn must create its sockets on the calling goroutine.
func InNS(ns string, fn func() error) error {
	target, err := os.Open("/run/netns/" + ns)
	if err != nil {
		return fmt.Errorf("namespace %s: %w", ns, err)
	}
	defer target.Close()
	runtime.LockOSThread()
	orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("own namespace: %w", err)
	}
	defer orig.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter namespace %s: %w", ns, err)
	}
	ferr := fn()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// Leave the thread locked: it exits with this goroutine rather
		// than serve others from the wrong namespace.
		return errors.Join(ferr, fmt.Errorf("leave namespace %s: %w", ns, err))
	}
	runtime.UnlockOSThread()
	return ferr
}

// DialerIn returns a DialContext function (for http.Transport) whose
// connections are made inside namespace ns. Addresses must be IP literals.
func DialerIn(ns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		err := InNS(ns, func() error {
			var err error
			var d net.Dialer
			c, err = d.DialContext(ctx, network, addr)
			return err
		})
		return c, err
	}
}

// ListenIn listens on addr inside namespace ns.
func ListenIn(ns, network, addr string) (net.Listener, error) {
	var l net.Listener
	err := InNS(ns, func() error {
		var err error
		l, err = net.Listen(network, addr)
		return err
	})
	return l, err
}
