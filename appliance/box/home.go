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
	SettingsFile  = "settings.json"  // keepFreePercent, video mode and household (homeSettings)
	BandwidthFile = "bandwidth.json" // bandwidth.Settings, kept by the scheduler
	LedgerFile    = "ledger.json"    // the contribution ledger
	BoxKeyFile    = "boxkey"         // the box's ed25519 key (mode 0600)
)

// DefaultKeepFreePercent is the disk budget's default: leave 10% free.
const DefaultKeepFreePercent = 10

// homeSettings are the settings the home node keeps itself (bandwidth
// settings live in BandwidthFile).
type homeSettings struct {
	KeepFreePercent int                   `json:"keepFreePercent"`
	Video           api.VideoSettings     `json:"video"`
	Household       api.HouseholdSettings `json:"household"`
}

// HomeConfig is what NewHome needs.
type HomeConfig struct {
	DataDir   string
	Box       *Box
	Bandwidth *bandwidth.Scheduler
	Ledger    *ledger.Ledger
	BoxKey    ed25519.PrivateKey
	StatFS    library.StatFS // nil = statfs(2)
	// Location is the box's default time zone (atomicboxd -timezone) until
	// the household chooses one (api.HouseholdSettings.TimeZone); nil =
	// time.Local. The chosen zone drives the night window, the pre-fetch
	// policy and the ledger's days.
	Location *time.Location
	// LoadLocation resolves a zone name; nil = time.LoadLocation (the
	// daemon embeds time/tzdata: gokrazy has no zoneinfo).
	LoadLocation func(name string) (*time.Location, error)
	Now          func() time.Time // the box's wall clock (pre-fetch, eviction ages); nil = time.Now
	Reach        *Reacher         // nil = reachability "none"
	Version      string
	Hostname     string
	Log          *slog.Logger
	// Contributor, when set, supplies the collector's confirmed figure
	// to the Seeding view.
	Contributor *Contributor
}

// Home implements api.Home and runs the disk and pre-fetch policies
// (Run). Safe for concurrent use.
type Home struct {
	cfg HomeConfig
	log *slog.Logger

	mu       sync.Mutex
	settings homeSettings
	loc      *time.Location // the household's zone, else cfg.Location
	budget   *library.Budget
	fetching map[string]bool // episodes this home asked the swarm to pre-fetch
	evicted  map[string]bool // episodes evicted since start: never pre-fetched again
	full     bool            // the last pre-fetch round stopped on a full disk
	stuck    bool            // the last eviction round left the disk over budget
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
	if cfg.LoadLocation == nil {
		cfg.LoadLocation = time.LoadLocation
	}
	h := &Home{cfg: cfg, log: cfg.Log.With("component", "home"), fetching: map[string]bool{}, evicted: map[string]bool{}}
	st := loadHomeSettings(filepath.Join(cfg.DataDir, SettingsFile), h.log)
	h.loc = cfg.Location
	if st.Household.TimeZone != "" || st.Household.Language != "" {
		if loc, err := h.checkHousehold(st.Household); err != nil {
			h.log.Warn("stored household settings are invalid; using the defaults", "err", err)
			st.Household = api.HouseholdSettings{SetUp: st.Household.SetUp}
		} else {
			h.loc = loc
		}
	}
	h.settings = st
	h.budget = h.newBudget(st.KeepFreePercent)
	cfg.Bandwidth.SetLocation(h.loc)
	cfg.Ledger.SetLocation(h.loc)
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

// loadHomeSettings reads the settings file: missing, unreadable or corrupt
// means defaults (logged), an out-of-range keep-free share its default, a
// video mode mpv would not take none. The household is checked by NewHome,
// which can load time zones.
func loadHomeSettings(path string, log *slog.Logger) homeSettings {
	st := homeSettings{KeepFreePercent: DefaultKeepFreePercent}
	if _, err := state.ReadJSON(path, &st, log); err != nil {
		log.Warn("settings unreadable; using defaults", "err", err)
		st = homeSettings{KeepFreePercent: DefaultKeepFreePercent}
	}
	if checkKeepFree(st.KeepFreePercent) != nil {
		st.KeepFreePercent = DefaultKeepFreePercent
	}
	if checkVideo(st.Video) != nil {
		log.Warn("stored video mode refused; using the default", "mode", truncate(st.Video.Mode))
		st.Video = api.VideoSettings{}
	}
	return st
}

// languageTag is the shape of a BCP 47 language with an optional region
// ("en", "de", "pt-BR"): what the UI's word tables and mpv's alang/slang use.
var languageTag = regexp.MustCompile(`^[a-z]{2,3}(-[A-Z]{2})?$`)

// checkHousehold validates hs and returns the time zone it names ("":
// cfg.Location, the box's default).
func (h *Home) checkHousehold(hs api.HouseholdSettings) (*time.Location, error) {
	if hs.Language != "" && !languageTag.MatchString(hs.Language) {
		return nil, fmt.Errorf("%w: language %q is not a language tag like en or pt-BR", api.ErrBadSettings, truncate(hs.Language))
	}
	if hs.TimeZone == "" {
		return h.cfg.Location, nil
	}
	// "Local" would mean whatever the box's clock says, which is not a
	// household's choice; LoadLocation accepts it, so refuse it here.
	if hs.TimeZone == "Local" || len(hs.TimeZone) > 64 {
		return nil, fmt.Errorf("%w: time zone %q is not a zone name like Europe/Berlin", api.ErrBadSettings, truncate(hs.TimeZone))
	}
	loc, err := h.cfg.LoadLocation(hs.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("%w: time zone %q is not a zone name like Europe/Berlin", api.ErrBadSettings, truncate(hs.TimeZone))
	}
	return loc, nil
}

// location is the household's time zone in force.
func (h *Home) location() *time.Location {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.loc
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
	st, budget, full := h.settings, h.budget, h.full || h.stuck
	h.mu.Unlock()
	v := api.SettingsView{
		Box: api.BoxInfo{Version: h.cfg.Version, Hostname: h.cfg.Hostname},
		Bandwidth: api.BandwidthSettings{DayUp: bw.Day.Upload, DayDown: bw.Day.Download, Night: api.NightWindow{
			Enabled: bw.Night.Enabled, StartMinute: bw.Night.StartMinute, EndMinute: bw.Night.EndMinute,
			Up: bw.Night.Caps.Upload, Down: bw.Night.Caps.Download,
		}, Uplink: bw.UplinkBytesPerSec},
		Storage:   api.StorageView{KeepFreePercent: st.KeepFreePercent, LibraryBytes: h.libraryBytes(), Full: full},
		Video:     st.Video,
		Household: st.Household,
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
	var loc *time.Location
	if u.Household != nil {
		var err error
		if loc, err = h.checkHousehold(*u.Household); err != nil {
			return api.SettingsView{}, err
		}
		st.Household = *u.Household
	}
	if u.Bandwidth != nil || u.Uplink != nil {
		if err := h.cfg.Bandwidth.SetSettings(bw); err != nil {
			return api.SettingsView{}, fmt.Errorf("%w: %v", api.ErrBadSettings, err)
		}
	}
	if u.KeepFreePercent != nil || u.Video != nil || u.Household != nil {
		if err := state.WriteJSON(filepath.Join(h.cfg.DataDir, SettingsFile), st); err != nil {
			return api.SettingsView{}, fmt.Errorf("save settings: %w", err)
		}
		h.mu.Lock()
		if st.KeepFreePercent != h.settings.KeepFreePercent {
			h.budget = h.newBudget(st.KeepFreePercent)
		}
		h.settings = st
		if loc != nil {
			h.loc = loc
		}
		h.mu.Unlock()
		if loc != nil {
			h.cfg.Bandwidth.SetLocation(loc)
			h.cfg.Ledger.SetLocation(loc)
		}
	}
	return h.Settings(), nil
}

// seedingCache is how long GET /api/seeding reuses a report: each report
// takes a sequence number and writes the ledger.
const seedingCache = 30 * time.Second

// Seeding implements api.Home: the last 7 days of the household's calendar
// from the ledger (days roll over at its midnight).
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
	// Noon of each civil day in the household's zone: AddDate from there
	// never skips or repeats a date across a daylight-saving change.
	local := now.In(h.location())
	today := time.Date(local.Year(), local.Month(), local.Day(), 12, 0, 0, 0, local.Location())
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
	if h.cfg.Contributor != nil {
		v.Confirmed = h.cfg.Contributor.Confirmed()
	}
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
