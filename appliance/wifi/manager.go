package wifi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/state"
)

// StoreFile is the stored network's file in the data dir (mode 0600: it
// holds the passphrase).
const StoreFile = "wifi.json"

// Config is what a Manager needs from the outside world.
type Config struct {
	Radio Radio
	DHCP  Addresser
	Dir   string // data dir holding StoreFile
	Log   *slog.Logger
	// Now and After are the clock (time.Now and time.After by default).
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// MinBackoff and MaxBackoff bound the wait before retrying a stored
	// network after a failure (2 s and 1 min by default); it doubles each
	// failure and starts again after a join.
	MinBackoff, MaxBackoff time.Duration
	// ScanTimeout bounds a scan (10 s); AddressTimeout the first DHCP
	// lease is enforced by DHCP itself.
	ScanTimeout time.Duration
	// OnChange is called (without locks held) after each state change.
	OnChange func()
}

// Manager is the Wi-Fi client's state machine: it joins the stored network
// (or one asked for through Join), keeps an address on it, reconnects with
// backoff when the access point goes away, and stores a network once a
// join with it succeeded. Safe for concurrent use; Run drives it.
type Manager struct {
	cfg Config

	mu      sync.Mutex
	st      api.WifiState
	stored  *Network
	pending *Network           // asked for through Join, not yet joined
	forgot  bool               // Forget was called: show idle, not the last failure
	kick    chan struct{}      // a command arrived
	cancel  context.CancelFunc // ends the current attempt
}

// New returns a Manager with the stored network loaded from cfg.Dir (a
// corrupt file is logged and ignored).
func New(cfg Config) *Manager {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = 2 * time.Second
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.ScanTimeout == 0 {
		cfg.ScanTimeout = 10 * time.Second
	}
	m := &Manager{cfg: cfg, kick: make(chan struct{}, 1)}
	m.stored = m.load()
	m.st = api.WifiState{State: api.WifiIdle, Since: cfg.Now()}
	return m
}

func (m *Manager) load() *Network {
	b, err := os.ReadFile(filepath.Join(m.cfg.Dir, StoreFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var n Network
	if err == nil {
		err = json.Unmarshal(b, &n)
	}
	if err == nil && (n.SSID == "" || len(n.SSID) > 32 || CheckPassphrase(n.Passphrase) != nil) {
		err = errors.New("not a valid network")
	}
	if err != nil {
		m.cfg.Log.Warn("wifi: stored network unreadable, starting without one", "file", StoreFile, "err", err)
		return nil
	}
	return &n
}

func (m *Manager) save(n *Network) error {
	p := filepath.Join(m.cfg.Dir, StoreFile)
	if n == nil {
		err := os.Remove(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	return state.WriteFileAtomic(p, b, 0o600)
}

// CheckNetwork validates a network as Join and atomicbox.txt take it.
func CheckNetwork(n Network) error {
	if n.SSID == "" || len(n.SSID) > 32 {
		return fmt.Errorf("SSID must be 1 to 32 bytes, got %d", len(n.SSID))
	}
	return CheckPassphrase(n.Passphrase)
}

// Seed stores n as the network to join (the one atomicbox.txt names) when
// override is set or nothing is stored yet. Call it before Run.
func (m *Manager) Seed(n Network, override bool) error {
	if err := CheckNetwork(n); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stored != nil && !override {
		return nil
	}
	if err := m.save(&n); err != nil {
		return fmt.Errorf("store Wi-Fi network: %w", err)
	}
	m.stored = &n
	return nil
}

// Join asks to join n; it returns at once after checking n (progress is in
// State). The network is stored only once joined.
func (m *Manager) Join(n Network) error {
	// The TV offers "join" on a known network without asking again: an
	// empty passphrase for the stored network's SSID means its stored one.
	m.mu.Lock()
	if n.Passphrase == "" && m.stored != nil && m.stored.SSID == n.SSID {
		n.Passphrase = m.stored.Passphrase
	}
	m.mu.Unlock()
	if err := CheckNetwork(n); err != nil {
		return err
	}
	m.mu.Lock()
	m.pending = &n
	m.interruptLocked()
	m.mu.Unlock()
	return nil
}

// Forget deletes the stored network and leaves the current one; the
// state becomes idle once it has left.
func (m *Manager) Forget() error {
	m.mu.Lock()
	m.pending = nil
	if err := m.save(nil); err != nil {
		m.mu.Unlock()
		return fmt.Errorf("forget Wi-Fi network: %w", err)
	}
	m.stored = nil
	m.forgot = true
	m.interruptLocked()
	m.mu.Unlock()
	return nil
}

func (m *Manager) interruptLocked() {
	if m.cancel != nil {
		m.cancel()
	}
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// State is the current state.
func (m *Manager) State() api.WifiState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st
}

// Known says whether ssid is the stored network.
func (m *Manager) Known(ssid string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stored != nil && m.stored.SSID == ssid
}

// Scan scans and returns one entry per SSID (hidden ones left out),
// strongest first.
func (m *Manager) Scan(ctx context.Context) ([]api.WifiNetwork, error) {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.ScanTimeout)
	defer cancel()
	bss, err := m.cfg.Radio.Scan(ctx)
	if err != nil {
		return nil, err
	}
	return m.networks(bss), nil
}

func (m *Manager) networks(bss []BSS) []api.WifiNetwork {
	best := map[string]api.WifiNetwork{}
	for _, b := range bss {
		if b.SSID == "" {
			continue
		}
		if cur, ok := best[b.SSID]; ok && cur.SignalDBm >= b.SignalDBm {
			continue
		}
		best[b.SSID] = api.WifiNetwork{SSID: b.SSID, SignalDBm: b.SignalDBm, Security: Security(b.RSN, b.Privacy), Known: m.Known(b.SSID)}
	}
	out := make([]api.WifiNetwork, 0, len(best))
	for _, n := range best {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].SignalDBm != out[j].SignalDBm {
			return out[i].SignalDBm > out[j].SignalDBm
		}
		return out[i].SSID < out[j].SSID
	})
	return out
}

func (m *Manager) set(s api.WifiState) {
	m.mu.Lock()
	changed := s.State != m.st.State || s.SSID != m.st.SSID || s.Problem != m.st.Problem || s.Address != m.st.Address
	if s.State != m.st.State || s.Problem != m.st.Problem {
		s.Since = m.cfg.Now()
	} else {
		s.Since = m.st.Since
	}
	m.st = s
	m.mu.Unlock()
	if changed {
		m.cfg.Log.Info("wifi", "state", s.State, "ssid", s.SSID, "address", s.Address, "problem", s.Problem)
		if m.cfg.OnChange != nil {
			m.cfg.OnChange()
		}
	}
}

// signalEvery is how often the joined network's signal strength is read.
const signalEvery = 30 * time.Second

// errInterrupted: Join or Forget ended the attempt.
var errInterrupted = errors.New("interrupted by a new request")

// errLost: the access point went away after a join.
var errLost = errors.New("access point lost")

// Run drives the state machine until ctx ends; it always returns nil then.
func (m *Manager) Run(ctx context.Context) error {
	backoff := m.cfg.MinBackoff
	defer m.cfg.Radio.Leave(context.Background())
	for ctx.Err() == nil {
		m.mu.Lock()
		n, fresh := m.pending, true
		if n == nil {
			n, fresh = m.stored, false
		}
		actx, cancel := context.WithCancel(ctx)
		m.cancel = cancel
		m.mu.Unlock()
		// Drop a kick that the request we are about to serve sent.
		select {
		case <-m.kick:
		default:
		}
		if n == nil {
			cancel()
			// A failed request stays on show (the TV says why) until the
			// next request or Forget.
			m.mu.Lock()
			idle := m.st.State != api.WifiFailed || m.forgot
			m.forgot = false
			m.mu.Unlock()
			if idle {
				m.set(api.WifiState{State: api.WifiIdle})
			}
			select {
			case <-ctx.Done():
			case <-m.kick:
			}
			continue
		}
		joined, err := m.attempt(actx, *n, fresh)
		cancel()
		m.cfg.Radio.Leave(context.Background())
		if joined {
			backoff = m.cfg.MinBackoff
		}
		if ctx.Err() != nil || errors.Is(err, errInterrupted) {
			continue
		}
		m.mu.Lock()
		if fresh && m.pending == n && !joined && !errors.Is(err, errLost) {
			// A failed request is not retried; the stored network is. A
			// link lost between the handshake and DHCP is no answer about
			// the request (the access point dropped us: it restarted, or
			// took a repeated association request for a new one), so
			// that one is tried again.
			m.pending = nil
		}
		m.mu.Unlock()
		m.set(failure(n.SSID, err))
		wait := backoff
		if errors.Is(err, errLost) {
			wait = m.cfg.MinBackoff / 2
		} else {
			backoff = min(2*backoff, m.cfg.MaxBackoff)
		}
		select {
		case <-ctx.Done():
		case <-m.kick:
		case <-m.cfg.After(wait):
		}
	}
	return nil
}

// failure describes err as a failed state.
func failure(ssid string, err error) api.WifiState {
	s := api.WifiState{State: api.WifiFailed, SSID: ssid}
	switch {
	case errors.Is(err, errLost):
		s.Problem, s.Message = api.WifiProblemLost, fmt.Sprintf("Lost %s; reconnecting.", ssid)
	case errors.Is(err, ErrWrongPassphrase):
		s.Problem, s.Message = api.WifiProblemWrongPassphrase, fmt.Sprintf("Wrong passphrase for %s.", ssid)
	case errors.Is(err, ErrNotFound):
		s.Problem, s.Message = api.WifiProblemNotFound, fmt.Sprintf("No network called %s answers.", ssid)
	case errors.Is(err, ErrNoAddress):
		s.Problem, s.Message = api.WifiProblemNoAddress, fmt.Sprintf("Joined %s, but its router gave no address.", ssid)
	case errors.Is(err, ErrUnsupported):
		s.Problem, s.Message = api.WifiProblemUnsupported, fmt.Sprintf("%s uses a kind of security the box cannot join.", ssid)
	default:
		s.Problem, s.Message = api.WifiProblemRadio, fmt.Sprintf("The Wi-Fi radio failed: %v.", err)
	}
	return s
}

// attempt scans for n, joins it, gets an address and stays until the link
// or the address is lost or ctx ends. joined reports whether it got as far
// as an address.
func (m *Manager) attempt(ctx context.Context, n Network, fresh bool) (joined bool, err error) {
	interrupted := func(err error) error {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return err
	}
	m.set(api.WifiState{State: api.WifiScanning, SSID: n.SSID})
	sctx, cancel := context.WithTimeout(ctx, m.cfg.ScanTimeout)
	bss, err := m.cfg.Radio.Scan(sctx)
	cancel()
	if err != nil {
		return false, interrupted(fmt.Errorf("%w: scan: %w", ErrRadio, err))
	}
	var target *BSS
	for i := range bss {
		if bss[i].SSID == n.SSID && (target == nil || bss[i].SignalDBm > target.SignalDBm) {
			target = &bss[i]
		}
	}
	if target == nil {
		return false, interrupted(ErrNotFound)
	}
	// The radio chooses between WPA2 and WPA3 by what its driver can do;
	// here only what no radio can join is sorted out.
	switch sec := Security(target.RSN, target.Privacy); {
	case sec == "open" && n.Passphrase == "":
	case (sec == "wpa2" || sec == "wpa2/wpa3" || sec == "wpa3") && n.Passphrase != "":
	case sec == "wpa2" || sec == "wpa2/wpa3" || sec == "wpa3":
		return false, fmt.Errorf("%w: %s needs a passphrase", ErrWrongPassphrase, n.SSID)
	default:
		return false, fmt.Errorf("%w: %s is %s", ErrUnsupported, n.SSID, sec)
	}
	m.set(api.WifiState{State: api.WifiJoining, SSID: n.SSID})
	lost, err := m.cfg.Radio.Join(ctx, n, *target)
	if err != nil {
		return false, interrupted(err)
	}
	m.set(api.WifiState{State: api.WifiAddressing, SSID: n.SSID})
	dctx, dcancel := context.WithCancel(ctx)
	defer dcancel()
	bound := make(chan string, 1)
	dhcpDone := make(chan error, 1)
	go func() {
		dhcpDone <- m.cfg.DHCP.Address(dctx, m.cfg.Radio.Interface(), func(cidr string) {
			select {
			case bound <- cidr:
			case <-dctx.Done():
			}
		})
	}()
	defer func() { dcancel(); <-dhcpDone }()
	var addr string
	for {
		select {
		case <-m.cfg.After(signalEvery):
			// Refresh the signal strength the TV shows (no event: it is
			// read with the next /api/network).
			if joined {
				dbm, _ := m.cfg.Radio.Signal(ctx)
				m.set(api.WifiState{State: api.WifiJoined, SSID: n.SSID, Address: addr, SignalDBm: dbm})
			}
		case <-ctx.Done():
			return joined, errInterrupted
		case <-lost:
			return joined, errLost
		case err := <-dhcpDone:
			dhcpDone <- err // for the deferred wait
			if !errors.Is(err, ErrNoAddress) {
				err = fmt.Errorf("%w: %w", ErrNoAddress, err)
			}
			return joined, interrupted(err)
		case cidr := <-bound:
			if !joined && fresh {
				m.mu.Lock()
				if m.pending != nil && *m.pending == n {
					m.pending = nil
					if err := m.save(&n); err != nil {
						m.cfg.Log.Error("wifi: cannot store the joined network", "err", err)
					} else {
						m.stored = &n
					}
				}
				m.mu.Unlock()
			}
			joined, addr = true, cidr
			dbm, _ := m.cfg.Radio.Signal(ctx)
			m.set(api.WifiState{State: api.WifiJoined, SSID: n.SSID, Address: cidr, SignalDBm: dbm})
		}
	}
}
