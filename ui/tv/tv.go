// Package tv runs the TV interface: it wires the daemon client, the screens state machine and the mpv player together.
package tv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/ui/daemon"
	"github.com/atomicnetwork/atomicbox/ui/mpv"
	"github.com/atomicnetwork/atomicbox/ui/screens"
	"periph.io/x/conn/v3/ir"
)

// Player is the part of *mpv.Player the interface uses.
type Player interface {
	Command(name string, args ...string) error
	SetProperty(name, value string) error
	Observe(name string, kind mpv.ValueKind) error
	Events() <-chan mpv.Event
}

// Config is what Run needs from the outside world.
type Config struct {
	Daemon      *daemon.Client
	Player      Player
	CacheDir    string // backdrop and scaled posters; owned by the UI, may be wiped
	Log         *slog.Logger
	Now         func() time.Time  // nil means time.Now
	ResumeEvery time.Duration     // how often playback position is stored; 0 means 5 s
	RetryMin    time.Duration     // first retry after the daemon failed; 0 means 500 ms
	RetryMax    time.Duration     // longest retry interval; 0 means 10 s
	Video       screens.VideoInfo // the playback path, for settings' About page
	// SettingsEvery is how often the settings screen refreshes what it
	// shows (learn mode polls four times as often); 0 means 3 s.
	SettingsEvery time.Duration
	// StateDir holds the TV's own small state (per-show audio and
	// subtitle choices); "" keeps them in memory only.
	StateDir string
	// HealthEvery is how often the home screen reads the storage figures
	// and the network for its alerts; 0 means 15 s.
	HealthEvery time.Duration
	// RemotePort is the port phones reach the daemon's web remote on, for
	// the QR code; "" means the port of the Daemon client's URL.
	RemotePort string
}

// App is a running interface. Create it with New, then call Run.
type App struct {
	cfg Config
	log *slog.Logger
	now func() time.Time

	model    screens.Model
	backdrop string

	// Loop-owned rendering state.
	sent       map[string]string // overlay layer -> last ASS sent
	shown      map[int]shownPoster
	posters    map[string]*posterState // key -> state
	episode    bool                    // the file in mpv is the episode on screen (not the backdrop)
	loaded     bool                    // mpv reported file-loaded for its current file
	path       string                  // mpv's path property
	cachePct   int
	renders    uint64 // renders so far (poster recency)
	osdW, osdH int    // the window in pixels (0 until mpv says; posters.go)
	lastPut    time.Time
	playAt     time.Time     // when the last episode's loadfile was sent
	firstFrame time.Duration // loadfile -> playback-restart of the last episode
	volume     int           // mpv's volume property, percent
	muted      bool
	subsRaised bool              // sub-pos moved above the OSD's bottom band (player.go)
	statsBusy  bool              // a GET /api/stats is on its way (player.go)
	lastStats  time.Time         // when the last one started
	trackLists map[string]string // mpv's track-list and chapter-list (JSON), latest

	// Settings screen: fetches and changes run in goroutines and hand
	// their results back to the loop as closures over the model.
	apply       chan func(*screens.Model)
	refreshing  bool      // a refresh is on its way
	lastRefresh time.Time // when the last one started
	putsPending int       // PUTs queued or in flight (loop-owned)
	unpairs     int       // device removals in flight (loop-owned)
	putMu       sync.Mutex
	putNext     *api.SettingsUpdate // merged updates not sent yet
	putWake     chan struct{}

	// First-boot screens (loop-owned).
	networkBusy bool      // a GET /api/network is on its way
	healthBusy  bool      // the home screen's settings and network reads are on their way
	lastHealth  time.Time // when they last started (monotonic)
	lastNetwork time.Time // when the last one started (monotonic)

	catalogReq chan struct{}
	catalogRes chan catalogResult
	daemonEv   chan api.Event
	posterRes  chan posterResult
	probe      chan probeState // tests: the state after each settled render (latest only)
	posterSem  chan struct{}
}

type shownPoster struct {
	key  string
	x, y int
}

type posterState struct {
	file    string // raw BGRA file, when ready
	loading bool
	failed  bool
	used    uint64 // the render that last wanted it (posters.go prunes by it)
}

type catalogResult struct {
	view api.CatalogView
	err  error
}

type posterResult struct {
	key, file string
	err       error
}

// probeState is what tests observe.
type probeState struct {
	model   screens.Model
	settled bool // every wanted poster is on screen
	frame   frameView
	// firstFrame is loadfile -> playback-restart of the last episode started.
	firstFrame time.Duration
}

type frameView struct{ screens.Frame }

// New prepares an interface; nothing runs until Run.
func New(cfg Config) (*App, error) {
	if cfg.Daemon == nil || cfg.Player == nil || cfg.CacheDir == "" {
		return nil, errors.New("tv: Daemon, Player and CacheDir are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ResumeEvery == 0 {
		cfg.ResumeEvery = 5 * time.Second
	}
	if cfg.RetryMin == 0 {
		cfg.RetryMin = 500 * time.Millisecond
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = 10 * time.Second
	}
	if cfg.HealthEvery == 0 {
		cfg.HealthEvery = 15 * time.Second
	}
	if cfg.SettingsEvery == 0 {
		cfg.SettingsEvery = 3 * time.Second
	}
	a := &App{
		cfg: cfg, log: cfg.Log, now: cfg.Now,
		sent:       make(map[string]string),
		shown:      make(map[int]shownPoster),
		posters:    make(map[string]*posterState),
		catalogReq: make(chan struct{}, 1),
		catalogRes: make(chan catalogResult, 1),
		daemonEv:   make(chan api.Event, 64),
		posterRes:  make(chan posterResult, 16),
		probe:      make(chan probeState, 1),
		posterSem:  make(chan struct{}, 2),
		apply:      make(chan func(*screens.Model), 16),
		putWake:    make(chan struct{}, 1),
		trackLists: make(map[string]string),
	}
	a.loadTrackPrefs()
	a.model.SetVideo(cfg.Video)
	a.model.Setup.APIPort = cfg.RemotePort
	if a.model.Setup.APIPort == "" {
		a.model.Setup.APIPort = cfg.Daemon.Port()
	}
	return a, nil
}

// Observed mpv properties.
var observed = []struct {
	name string
	kind mpv.ValueKind
}{
	{"time-pos", mpv.ValueDouble},
	{"duration", mpv.ValueDouble},
	{"pause", mpv.ValueFlag},
	{"paused-for-cache", mpv.ValueFlag},
	{"cache-buffering-state", mpv.ValueInt},
	{"eof-reached", mpv.ValueFlag},
	{"path", mpv.ValueString},
	{"demuxer-cache-time", mpv.ValueDouble},
	{"volume", mpv.ValueDouble},
	{"mute", mpv.ValueFlag},
	{"track-list", mpv.ValueString},   // JSON (the property's string form)
	{"chapter-list", mpv.ValueString}, // JSON
	{"osd-width", mpv.ValueInt},
	{"osd-height", mpv.ValueInt},
}

// Run shows the interface until ctx ends or mpv shuts down. It blocks. The
// daemon may come and go: the interface says so and retries.
func (a *App) Run(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Join(a.cfg.CacheDir, "posters"), 0o755); err != nil {
		return fmt.Errorf("tv cache dir: %w", err)
	}
	bd, err := writeBackdrop(a.cfg.CacheDir)
	if err != nil {
		return err
	}
	a.backdrop = bd
	for _, o := range observed {
		if err := a.cfg.Player.Observe(o.name, o.kind); err != nil {
			return err
		}
	}
	if err := a.cfg.Player.Command("loadfile", a.backdrop, "replace"); err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Add(3)
	go func() { defer wg.Done(); a.catalogLoop(ctx) }()
	go func() { defer wg.Done(); a.eventsLoop(ctx) }()
	go func() { defer wg.Done(); a.putLoop(ctx) }()
	a.requestCatalog()

	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	a.render()
	for {
		select {
		case <-ctx.Done():
			a.leaveForShutdown()
			return ctx.Err()
		case ev, ok := <-a.cfg.Player.Events():
			if !ok || ev.Kind == mpv.KindShutdown {
				a.leaveForShutdown()
				return nil
			}
			a.onPlayerEvent(ctx, ev)
		case ev := <-a.daemonEv:
			a.onDaemonEvent(ctx, ev)
		case r := <-a.catalogRes:
			if r.err != nil {
				a.model.SetOffline(true, a.now())
			} else {
				a.model.SetOffline(false, a.now())
				a.model.SetCatalog(r.view)
				for _, p := range a.posters {
					p.failed = false // the daemon may have them now
				}
			}
		case r := <-a.posterRes:
			a.onPoster(r)
		case fn := <-a.apply:
			fn(&a.model)
		case <-tick.C:
			now := a.now()
			a.model.Tick(now)
			a.maybePutResume(ctx, now)
			a.maybeFetchStats(ctx, now)
			a.maybeRefreshSettings(ctx)
			a.maybePollNetwork(ctx)
			a.maybePollHealth(ctx)
		}
		a.render()
	}
}

func (a *App) requestCatalog() {
	select {
	case a.catalogReq <- struct{}{}:
	default:
	}
}

// catalogLoop fetches the catalog on request, retrying with backoff while
// the daemon is unreachable. Results go to catalogRes (latest wins).
func (a *App) catalogLoop(ctx context.Context) {
	b := daemon.Backoff{Min: a.cfg.RetryMin, Max: a.cfg.RetryMax}
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.catalogReq:
		}
		for {
			fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			v, err := a.cfg.Daemon.Catalog(fctx)
			cancel()
			if ctx.Err() != nil {
				return
			}
			a.deliverCatalog(catalogResult{view: v, err: err})
			if err == nil {
				if failures > 0 {
					a.log.Info("daemon reachable again", "after failures", failures)
				}
				failures = 0
				b.Reset()
				break
			}
			d := b.Next()
			failures++
			if failures <= 3 || failures%30 == 0 { // gokrazy keeps 100 log lines
				a.log.Warn("daemon unreachable", "err", err, "retry", d, "failures", failures)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			case <-a.catalogReq:
			}
		}
	}
}

func (a *App) deliverCatalog(r catalogResult) {
	for {
		select {
		case a.catalogRes <- r:
			return
		default:
			select {
			case <-a.catalogRes: // drop the stale result
			default:
			}
		}
	}
}

// eventsLoop follows /api/events, reconnecting with backoff. Every
// (re)connection and every drop asks for a fresh catalog: the daemon may
// have restarted with a new one.
func (a *App) eventsLoop(ctx context.Context) {
	b := daemon.Backoff{Min: a.cfg.RetryMin, Max: a.cfg.RetryMax}
	failures := 0
	for ctx.Err() == nil {
		connected := false
		err := a.cfg.Daemon.Events(ctx, func() {
			connected = true
			failures = 0
			b.Reset()
			a.requestCatalog()
			a.fetchSetup(ctx) // the daemon may have restarted set up, or moved
		}, func(ev api.Event) {
			select {
			case a.daemonEv <- ev:
			case <-ctx.Done():
			}
		}, func(err error) { a.log.Warn("daemon event refused", "err", err) })
		if ctx.Err() != nil {
			return
		}
		a.requestCatalog()
		d := b.Next()
		if connected {
			a.log.Info("event stream ended", "err", err, "retry", d)
		} else if failures++; failures == 1 {
			a.log.Warn("event stream unavailable", "err", err, "retry", d)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(d):
		}
	}
}

func (a *App) onDaemonEvent(ctx context.Context, ev api.Event) {
	switch ev.Type {
	case api.EventKey:
		switch ev.Key.Action {
		case api.KeyRelease:
			return
		case api.KeyRepeat:
			a.do(ctx, a.model.KeyRepeat(ir.Key(ev.Key.Key), a.now()))
			return
		}
		a.key(ctx, ir.Key(ev.Key.Key))
	case api.EventPairing:
		a.model.ShowPairing(*ev.Pairing)
	case api.EventPaired:
		a.model.Paired()
		a.lastRefresh = time.Time{} // the Pairing page lists the new device at the next tick
	case api.EventCatalog:
		a.requestCatalog()
	case api.EventNetwork:
		a.fetchNetwork(ctx)
	}
}

func (a *App) key(ctx context.Context, k ir.Key) {
	a.do(ctx, a.model.Key(k, a.now()))
}

func (a *App) onPlayerEvent(ctx context.Context, ev mpv.Event) {
	now := a.now()
	switch ev.Kind {
	case mpv.KindClientMessage:
		if len(ev.Args) == 2 && ev.Args[0] == mpv.KeyMessage {
			a.key(ctx, ir.Key(ev.Args[1]))
		}
	case mpv.KindStartFile:
		a.loaded, a.episode = false, false
		clear(a.trackLists) // the new file's lists follow
	case mpv.KindFileLoaded:
		a.loaded = true
		a.checkEpisode()
		a.applyTracks(ctx)
	case mpv.KindPlaybackRestart:
		if a.episode {
			a.model.Restarted()
		}
		if a.episode && !a.model.Play.Started {
			a.firstFrame = time.Since(a.playAt)
			a.log.Info("first frame", "episode", a.model.Play.Episode.ID, "after", a.firstFrame)
			a.model.Started(now)
			a.model.SetVolume(a.volume, a.muted)
		}
	case mpv.KindEndFile:
		if ev.EndReason == "error" && a.model.Screen == screens.Player {
			a.log.Warn("episode failed to play", "episode", a.model.Play.Episode.ID, "err", ev.EndError)
			a.do(ctx, a.model.PlaybackFailed(ev.EndError))
			a.explainFailure(ctx, a.model.Play.Episode)
		}
	case mpv.KindPropertyChange:
		switch ev.Name {
		case "osd-width", "osd-height":
			a.osdSize(ev.Name, ev.Value)
		case "path":
			a.path, _ = ev.Value.(string)
			a.checkEpisode()
			a.applyTracks(ctx)
		case "track-list", "chapter-list":
			v, _ := ev.Value.(string)
			a.trackLists[ev.Name] = v
			a.applyTracks(ctx)
		case "time-pos":
			if v, ok := ev.Value.(float64); ok && a.episode {
				a.model.Position(v)
			}
		case "duration":
			if v, ok := ev.Value.(float64); ok && a.episode {
				a.model.Duration(v)
			}
		case "pause":
			if v, ok := ev.Value.(bool); ok && a.episode {
				a.model.Paused(v, now)
			}
		case "cache-buffering-state":
			if v, ok := ev.Value.(int64); ok {
				a.cachePct = int(v)
				a.model.Buffering(a.model.Play.Buffering, a.cachePct)
			}
		case "demuxer-cache-time":
			if v, ok := ev.Value.(float64); ok && a.episode {
				a.model.CacheEnd(v)
			}
		case "volume", "mute":
			a.onVolume(ev)
		case "paused-for-cache":
			if v, ok := ev.Value.(bool); ok && a.episode {
				a.model.Buffering(v, a.cachePct)
			}
		case "eof-reached":
			if v, ok := ev.Value.(bool); ok && v && a.episode {
				a.do(ctx, a.model.EndOfFile(now))
			}
		}
	}
}

// checkEpisode decides whether mpv's current file is the episode the model
// plays (file-loaded and the path property arrive in either order).
func (a *App) checkEpisode() {
	a.episode = a.loaded && a.model.Screen == screens.Player && a.path == a.cfg.Daemon.URL(a.model.Play.Episode.StreamURL)
}

// do carries out the model's actions on mpv and the daemon.
func (a *App) do(ctx context.Context, actions []screens.Action) {
	for _, act := range actions {
		var err error
		switch act := act.(type) {
		case screens.Play:
			a.episode, a.loaded = false, false
			a.lastPut = a.now()
			a.playAt = time.Now()
			// A track chosen in a menu sets mpv's aid/sid for every file
			// after it; each episode starts from the household's
			// languages (alang/slang) and its show's remembered choice.
			opts := "start=" + strconv.FormatFloat(act.Start, 'f', 3, 64) + ",aid=auto,sid=auto" + a.trackOptions(act.Episode.ID)
			err = a.cfg.Player.Command("loadfile", a.cfg.Daemon.URL(act.Episode.StreamURL), "replace", opts)
			if err == nil {
				err = a.cfg.Player.SetProperty("pause", "no")
			}
			a.switchTVInput(ctx)
		case screens.Stop:
			a.episode, a.loaded = false, false
			err = a.cfg.Player.Command("loadfile", a.backdrop, "replace")
			if !act.Keep {
				a.putResume(ctx, act.Episode, act.Position, act.Duration, true)
			}
		case screens.Unload:
			a.episode, a.loaded = false, false
			err = a.cfg.Player.Command("loadfile", a.backdrop, "replace")
		case screens.Volume:
			if act.ToggleMute {
				err = a.cfg.Player.Command("cycle", "mute")
			} else {
				err = a.cfg.Player.Command("add", "volume", strconv.Itoa(act.Delta))
			}
		case screens.Seek:
			err = a.cfg.Player.Command("seek", strconv.FormatFloat(act.To, 'f', 3, 64), "absolute+exact")
		case screens.SetPause:
			err = a.cfg.Player.SetProperty("pause", map[bool]string{true: "yes", false: "no"}[act.Paused])
		case screens.Refresh:
			a.refreshSettings(ctx, true)
		case screens.PutSettings:
			a.queuePut(act.Update)
		case screens.LearnCommand:
			a.learnCommand(ctx, act.Cmd)
		case screens.RequestPairing:
			a.requestPairing(ctx)
		case screens.Unpair:
			a.unpair(ctx, act.ID)
		case screens.ScanWifi:
			a.scanWifi(ctx)
		case screens.JoinWifi:
			a.joinWifi(ctx, act.Join)
		case screens.SetTrack:
			v := "no"
			if act.ID > 0 {
				v = strconv.Itoa(act.ID)
			}
			err = a.cfg.Player.SetProperty(act.Prop, v)
		case screens.SaveTrackPrefs:
			a.saveTrackPrefs(act.Shows)
		case screens.SetLanguage:
			a.setLanguage(act.Language)
		case screens.MarkWatched:
			a.markWatched(ctx, act)
		}
		if err != nil {
			a.log.Warn("player", "action", fmt.Sprintf("%T", act), "err", err)
		}
	}
}

func (a *App) maybePutResume(ctx context.Context, now time.Time) {
	p := a.model.Play
	if a.model.Screen != screens.Player || !a.episode || !p.Started || now.Sub(a.lastPut) < a.cfg.ResumeEvery {
		return
	}
	a.lastPut = now
	a.putResume(ctx, p.Episode.ID, p.Position, p.Duration, false)
}

// switchTVInput asks the daemon to make the TV switch to the box's HDMI
// input (CEC Active Source) when playback starts, in the background: a box
// without CEC answers 404 or 503 and nothing else happens.
func (a *App) switchTVInput(ctx context.Context) {
	go func() {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := a.cfg.Daemon.ActiveSource(cctx); err != nil {
			a.log.Debug("CEC active source", "err", err)
		}
	}()
}

// putResume stores a resume point in the background; after leaving an
// episode the catalog is reloaded so the home screen shows the daemon's view.
func (a *App) putResume(ctx context.Context, episode string, pos, dur float64, reload bool) {
	go func() {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := a.cfg.Daemon.PutResume(pctx, episode, api.ResumeUpdate{Seconds: pos, DurationSeconds: dur}); err != nil {
			a.log.Warn("store resume point", "episode", episode, "err", err)
		}
		if reload {
			a.requestCatalog()
		}
	}()
}

// leaveForShutdown stores the resume point synchronously (bounded) when
// the interface stops during playback.
func (a *App) leaveForShutdown() {
	p := a.model.Play
	if a.model.Screen != screens.Player || !p.Started || p.Failed != "" {
		return // nothing shown, or it failed: the stored point stands
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := a.cfg.Daemon.PutResume(ctx, p.Episode.ID, api.ResumeUpdate{Seconds: p.Position, DurationSeconds: p.Duration}); err != nil {
		a.log.Warn("store resume point", "episode", p.Episode.ID, "err", err)
	}
}

// Overlay ids for the ASS layers (osd-overlay ids are separate from
// overlay-add bitmap ids).
var layers = []struct {
	name string
	id   int
	z    int
}{{"home", 1, 0}, {"osd", 2, 1}, {"top", 3, 2}}

// render sends what changed since the last render to mpv.
func (a *App) render() {
	a.renders++
	defer a.prunePosters(MaxPosters)
	f := screens.Render(&a.model, a.now())
	a.placeSubtitles(a.model.Screen == screens.Player && f.OSD != "")
	f.Posters = scaleSlots(f.Posters, a.osdW, a.osdH)
	for _, l := range layers {
		ass := map[string]string{"home": f.Home, "osd": f.OSD, "top": f.Top}[l.name]
		if a.sent[l.name] == ass {
			continue
		}
		var err error
		if ass == "" {
			err = a.cfg.Player.Command("osd-overlay", strconv.Itoa(l.id), "none", "")
		} else {
			err = a.cfg.Player.Command("osd-overlay", strconv.Itoa(l.id), "ass-events", ass,
				strconv.Itoa(screens.Width), strconv.Itoa(screens.Height), strconv.Itoa(l.z), "no")
		}
		if err != nil {
			a.log.Warn("osd overlay", "layer", l.name, "err", err)
			continue
		}
		a.sent[l.name] = ass
	}
	settled := a.model.Loaded || a.model.Offline
	want := make(map[int]bool)
	for _, s := range f.Posters {
		key := posterKey(s)
		ps := a.posters[key]
		if ps == nil {
			ps = &posterState{}
			a.posters[key] = ps
		}
		ps.used = a.renders
		if ps.file == "" {
			if !ps.loading && !ps.failed {
				ps.loading = true
				go a.fetchPoster(key, s)
			}
			if !ps.failed {
				settled = false
			}
			continue
		}
		want[s.ID] = true
		if cur, ok := a.shown[s.ID]; ok && cur == (shownPoster{key, s.X, s.Y}) {
			continue
		}
		err := a.cfg.Player.Command("overlay-add", strconv.Itoa(s.ID), strconv.Itoa(s.X), strconv.Itoa(s.Y),
			ps.file, "0", "bgra", strconv.Itoa(s.W), strconv.Itoa(s.H), strconv.Itoa(s.W*4))
		if err != nil {
			a.log.Warn("overlay-add", "poster", s.URL, "err", err)
			continue
		}
		a.shown[s.ID] = shownPoster{key, s.X, s.Y}
	}
	for id := range a.shown {
		if !want[id] {
			if err := a.cfg.Player.Command("overlay-remove", strconv.Itoa(id)); err != nil {
				a.log.Warn("overlay-remove", "id", id, "err", err)
			}
			delete(a.shown, id)
		}
	}
	st := probeState{model: a.model, settled: settled, frame: frameView{f}, firstFrame: a.firstFrame}
	select {
	case a.probe <- st:
	default:
		select {
		case <-a.probe:
		default:
		}
		select {
		case a.probe <- st:
		default:
		}
	}
}

func posterKey(s screens.PosterSlot) string {
	return fmt.Sprintf("%s@%dx%d", s.URL, s.W, s.H)
}

func (a *App) fetchPoster(key string, s screens.PosterSlot) {
	a.posterSem <- struct{}{}
	defer func() { <-a.posterSem }()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	r := posterResult{key: key}
	img, err := a.cfg.Daemon.Poster(ctx, s.URL)
	if err == nil {
		sum := sha256.Sum256([]byte(key))
		r.file = filepath.Join(a.cfg.CacheDir, "posters", hex.EncodeToString(sum[:12])+".bgra")
		err = writeBGRA(r.file, img, s.W, s.H)
	}
	r.err = err
	a.posterRes <- r
}

func (a *App) onPoster(r posterResult) {
	ps := a.posters[r.key]
	if ps == nil {
		return
	}
	ps.loading = false
	if r.err != nil {
		a.log.Warn("poster", "err", r.err)
		ps.failed = true
		return
	}
	ps.file = r.file
}

// writeBGRA scales img to cover w x h (cropping the excess, centred) and
// writes premultiplied BGRA rows, as overlay-add reads them.
func writeBGRA(path string, img image.Image, w, h int) error {
	buf := ScaleBGRA(img, w, h)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ScaleBGRA scales img to cover w x h with bilinear filtering (cropping the
// excess, centred) and returns premultiplied BGRA bytes, w*4 per row.
func ScaleBGRA(img image.Image, w, h int) []byte {
	b := img.Bounds()
	src := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src) // premultiplied RGBA, fast paths for common types
	sw, sh := float64(b.Dx()), float64(b.Dy())
	scale := max(float64(w)/sw, float64(h)/sh)
	ox := (sw - float64(w)/scale) / 2
	oy := (sh - float64(h)/scale) / 2
	out := make([]byte, w*h*4)
	clampX := func(x int) int { return min(max(x, 0), b.Dx()-1) }
	clampY := func(y int) int { return min(max(y, 0), b.Dy()-1) }
	for y := 0; y < h; y++ {
		fy := oy + (float64(y)+0.5)/scale - 0.5
		y0 := int(math.Floor(fy))
		ty := fy - float64(y0)
		r0 := src.Pix[clampY(y0)*src.Stride:]
		r1 := src.Pix[clampY(y0+1)*src.Stride:]
		for x := 0; x < w; x++ {
			fx := ox + (float64(x)+0.5)/scale - 0.5
			x0 := int(math.Floor(fx))
			tx := fx - float64(x0)
			i0, i1 := clampX(x0)*4, clampX(x0+1)*4
			o := (y*w + x) * 4
			for c := 0; c < 4; c++ {
				v := (float64(r0[i0+c])*(1-tx)+float64(r0[i1+c])*tx)*(1-ty) + (float64(r1[i0+c])*(1-tx)+float64(r1[i1+c])*tx)*ty
				// RGBA -> BGRA: swap R and B.
				oc := c
				if c == 0 {
					oc = 2
				} else if c == 2 {
					oc = 0
				}
				out[o+oc] = uint8(v + 0.5)
			}
		}
	}
	return out
}

// writeBackdrop renders the home screen's dark background as a PNG (mpv
// needs something loaded for window screenshots, and a still costs
// nothing). It is a smooth gradient, so a quarter of the screen's pixels is
// enough (mpv scales it); an existing file is reused.
func writeBackdrop(dir string) (string, error) {
	path := filepath.Join(dir, "backdrop-v1.png")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	img := Backdrop(screens.Width/2, screens.Height/2)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return "", fmt.Errorf("backdrop: %w", err)
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		return "", fmt.Errorf("backdrop: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("backdrop: %w", err)
	}
	return path, os.Rename(tmp, path)
}

// Backdrop is a dark blue-black vertical gradient with a soft glow at the
// top right, behind the hero poster.
func Backdrop(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		t := float64(y) / float64(h-1)
		dy := float64(y-h/5) / float64(h)
		row := img.Pix[y*img.Stride:]
		for x := 0; x < w; x++ {
			dx := float64(x-w*3/4) / float64(w)
			glow := max(0, 1-(dx*dx+dy*dy)*5) * 22
			row[4*x+0] = uint8(14*(1-t) + 6*t + glow*0.5)
			row[4*x+1] = uint8(22*(1-t) + 8*t + glow*0.7)
			row[4*x+2] = uint8(38*(1-t) + 12*t + glow)
			row[4*x+3] = 255
		}
	}
	return img
}
