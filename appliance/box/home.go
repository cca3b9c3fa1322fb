package box

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/bandwidth"
	"github.com/atomicnetwork/atomicbox/appliance/ledger"
	"github.com/atomicnetwork/atomicbox/appliance/library"
	"github.com/atomicnetwork/atomicbox/appliance/state"
)

// Data dir files added by the home node.
const (
	SettingsFile  = "settings.json"  // keepFreePercent and video mode (homeSettings)
	BandwidthFile = "bandwidth.json" // bandwidth.Settings, kept by the scheduler
	LedgerFile    = "ledger.json"    // the contribution ledger
	BoxKeyFile    = "boxkey"         // the box's ed25519 key (mode 0600)
)

// DefaultKeepFreePercent is the disk budget's default: leave 10% free.
const DefaultKeepFreePercent = 10

// homeSettings are the settings the home node keeps itself (bandwidth
// settings live in BandwidthFile).
type homeSettings struct {
	KeepFreePercent int               `json:"keepFreePercent"`
	Video           api.VideoSettings `json:"video"`
}

// HomeConfig is what NewHome needs.
type HomeConfig struct {
	DataDir   string
	Box       *Box
	Bandwidth *bandwidth.Scheduler
	Ledger    *ledger.Ledger
	BoxKey    ed25519.PrivateKey
	StatFS    library.StatFS   // nil = statfs(2)
	Location  *time.Location   // the household's time zone for the night window; nil = time.Local
	Now       func() time.Time // the box's wall clock (pre-fetch, eviction ages); nil = time.Now
	Reach     *Reacher         // nil = reachability "none"
	Version   string
	Hostname  string
	Log       *slog.Logger
}

// Home implements api.Home and runs the disk and pre-fetch policies
// (Run). Safe for concurrent use.
type Home struct {
	cfg HomeConfig
	log *slog.Logger

	mu       sync.Mutex
	settings homeSettings
	budget   *library.Budget
	fetching map[string]bool // episodes this home asked the swarm to pre-fetch
	evicted  map[string]bool // episodes evicted since start: never pre-fetched again
	full     bool            // the last pre-fetch round stopped on a full disk
	seeding  api.SeedingView // cached, see Seeding
	seededAt time.Time
}

// NewHome loads the home settings (missing or corrupt: defaults, logged).
func NewHome(cfg HomeConfig) (*Home, error) {
	if cfg.DataDir == "" || cfg.Box == nil || cfg.Bandwidth == nil || cfg.Ledger == nil || len(cfg.BoxKey) != ed25519.PrivateKeySize {
		return nil, errors.New("box: home needs a data dir, box, bandwidth scheduler, ledger and box key")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.StatFS == nil {
		cfg.StatFS = library.SystemStatFS()
	}
	h := &Home{cfg: cfg, log: cfg.Log.With("component", "home"), fetching: map[string]bool{}, evicted: map[string]bool{}}
	st := homeSettings{KeepFreePercent: DefaultKeepFreePercent}
	if _, err := state.ReadJSON(filepath.Join(cfg.DataDir, SettingsFile), &st, h.log); err != nil {
		h.log.Warn("settings unreadable; using defaults", "err", err)
		st = homeSettings{KeepFreePercent: DefaultKeepFreePercent}
	}
	if checkKeepFree(st.KeepFreePercent) != nil {
		st.KeepFreePercent = DefaultKeepFreePercent
	}
	h.settings = st
	h.budget = h.newBudget(st.KeepFreePercent)
	return h, nil
}

func (h *Home) newBudget(percent int) *library.Budget {
	return library.NewBudget(h.cfg.DataDir, library.BudgetOptions{FS: h.cfg.StatFS, KeepFree: float64(percent) / 100})
}

// Budget returns the disk budget in force.
func (h *Home) Budget() *library.Budget {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.budget
}

func checkKeepFree(p int) error {
	if p < 1 || p > 90 {
		return fmt.Errorf("%w: keep free must be between 1%% and 90%% of the disk, not %d%%", api.ErrBadSettings, p)
	}
	return nil
}

var videoMode = regexp.MustCompile(`^(preferred|[0-9]{3,5}x[0-9]{3,5}(@[0-9]{2,3}(\.[0-9]{1,3})?)?)$`)

func checkVideo(v api.VideoSettings) error {
	if v.Mode != "" && !videoMode.MatchString(v.Mode) {
		return fmt.Errorf("%w: video mode %q is not like 1920x1080@60 or preferred", api.ErrBadSettings, truncate(v.Mode))
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Settings implements api.Home.
func (h *Home) Settings() api.SettingsView {
	bw := h.cfg.Bandwidth.Settings()
	h.mu.Lock()
	st, budget := h.settings, h.budget
	h.mu.Unlock()
	v := api.SettingsView{
		Box: api.BoxInfo{Version: h.cfg.Version, Hostname: h.cfg.Hostname},
		Bandwidth: api.BandwidthSettings{DayUp: bw.Day.Upload, DayDown: bw.Day.Download, Night: api.NightWindow{
			Enabled: bw.Night.Enabled, StartMinute: bw.Night.StartMinute, EndMinute: bw.Night.EndMinute,
			Up: bw.Night.Caps.Upload, Down: bw.Night.Caps.Download,
		}, Uplink: bw.UplinkBytesPerSec},
		Storage: api.StorageView{KeepFreePercent: st.KeepFreePercent, LibraryBytes: h.libraryBytes()},
		Video:   st.Video,
	}
	if u, err := budget.Usage(); err == nil {
		v.Storage.TotalBytes, v.Storage.FreeBytes = u.Total, u.Avail
	} else {
		h.log.Warn("disk usage", "err", err)
	}
	if h.cfg.Reach != nil {
		v.Reachability = h.cfg.Reach.Last()
	} else {
		v.Reachability = api.Reachability{Method: "none", Message: "Port mapping is not set up on this box; seeding works through outgoing connections."}
	}
	return v
}

func (h *Home) libraryBytes() int64 {
	sw := h.cfg.Box.cfg.Swarm
	var n int64
	for _, id := range sw.Episodes() {
		n += sw.Held(id)
	}
	return n
}

// UpdateSettings implements api.Home: everything is checked first, then
// applied at once (the bandwidth caps on the next chunk) and written.
func (h *Home) UpdateSettings(u api.SettingsUpdate) (api.SettingsView, error) {
	bw := h.cfg.Bandwidth.Settings()
	if u.Bandwidth != nil {
		b := u.Bandwidth
		bw.Day = bandwidth.Caps{Upload: b.DayUp, Download: b.DayDown}
		// Days and the watching share are not in the API, and the uplink
		// has its own field: kept.
		bw.Night.Enabled, bw.Night.StartMinute, bw.Night.EndMinute = b.Night.Enabled, b.Night.StartMinute, b.Night.EndMinute
		bw.Night.Caps = bandwidth.Caps{Upload: b.Night.Up, Download: b.Night.Down}
	}
	if u.Uplink != nil {
		bw.UplinkBytesPerSec = *u.Uplink
	}
	if u.Bandwidth != nil || u.Uplink != nil {
		if err := bw.Validate(); err != nil {
			return api.SettingsView{}, fmt.Errorf("%w: %v", api.ErrBadSettings, err)
		}
	}
	h.mu.Lock()
	st := h.settings
	h.mu.Unlock()
	if u.KeepFreePercent != nil {
		if err := checkKeepFree(*u.KeepFreePercent); err != nil {
			return api.SettingsView{}, err
		}
		st.KeepFreePercent = *u.KeepFreePercent
	}
	if u.Video != nil {
		if err := checkVideo(*u.Video); err != nil {
			return api.SettingsView{}, err
		}
		st.Video = *u.Video
	}
	if u.Bandwidth != nil || u.Uplink != nil {
		if err := h.cfg.Bandwidth.SetSettings(bw); err != nil {
			return api.SettingsView{}, fmt.Errorf("%w: %v", api.ErrBadSettings, err)
		}
	}
	if u.KeepFreePercent != nil || u.Video != nil {
		if err := state.WriteJSON(filepath.Join(h.cfg.DataDir, SettingsFile), st); err != nil {
			return api.SettingsView{}, fmt.Errorf("save settings: %w", err)
		}
		h.mu.Lock()
		if st.KeepFreePercent != h.settings.KeepFreePercent {
			h.budget = h.newBudget(st.KeepFreePercent)
		}
		h.settings = st
		h.mu.Unlock()
	}
	return h.Settings(), nil
}

// seedingCache is how long GET /api/seeding reuses a report: each report
// takes a sequence number and writes the ledger.
const seedingCache = 30 * time.Second

// Seeding implements api.Home: the last 7 UTC days from the ledger.
func (h *Home) Seeding() api.SeedingView {
	now := h.cfg.Now()
	h.mu.Lock()
	if !h.seededAt.IsZero() && now.Sub(h.seededAt) >= 0 && now.Sub(h.seededAt) < seedingCache {
		v := h.seeding
		h.mu.Unlock()
		return v
	}
	h.mu.Unlock()
	v := h.seedingView(now)
	h.mu.Lock()
	h.seeding, h.seededAt = v, now
	h.mu.Unlock()
	return v
}

func (h *Home) seedingView(now time.Time) api.SeedingView {
	today := now.UTC().Truncate(24 * time.Hour)
	from := today.AddDate(0, 0, -6)
	v := api.SeedingView{Days: []api.SeedingDay{}, Torrents: []api.SeedingTorrent{}}
	byDate := map[string]ledger.ReportDay{}
	// The ledger exports only signed reports; reading one back through
	// VerifyReport is cheap at this size.
	data, err := h.cfg.Ledger.Report(from, today, h.cfg.BoxKey)
	var r ledger.Report
	if err == nil {
		r, err = ledger.VerifyReport(data)
	}
	if err != nil {
		h.log.Warn("seeding view", "err", err)
	}
	for _, d := range r.Days {
		byDate[d.Date] = d
	}
	for d := from; !d.After(today); d = d.AddDate(0, 0, 1) {
		date := d.Format(ledger.DateFormat)
		rd := byDate[date]
		v.Days = append(v.Days, api.SeedingDay{Date: date, BytesUploaded: rd.BytesUploaded, Peers: rd.Peers})
	}
	v.Today = v.Days[len(v.Days)-1]
	sw := h.cfg.Box.cfg.Swarm
	for _, t := range byDate[v.Today.Date].Torrents {
		v.Torrents = append(v.Torrents, api.SeedingTorrent{Episode: sw.EpisodeByInfoHash(t.InfoHash), InfoHash: t.InfoHash, BytesUploaded: t.BytesUploaded, Peers: t.Peers})
	}
	slices.SortFunc(v.Torrents, func(a, b api.SeedingTorrent) int {
		if a.BytesUploaded != b.BytesUploaded {
			if a.BytesUploaded > b.BytesUploaded {
				return -1
			}
			return 1
		}
		return strings.Compare(a.InfoHash, b.InfoHash)
	})
	return v
}

// LedgerReport implements api.Home.
func (h *Home) LedgerReport(from, to time.Time) ([]byte, error) {
	return h.cfg.Ledger.Report(from, to, h.cfg.BoxKey)
}

// Run applies the disk and pre-fetch policies now and then every interval
// until ctx ends. Blocks.
func (h *Home) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		h.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
