// Package bandwidth caps the box's BitTorrent upload and download rates on a
// daytime/overnight schedule and lets the family's own stream come first.
//
// The caps are applied to the *rate.Limiter objects the swarm hands to
// anacrolix (ClientConfig.UploadRateLimiter and DownloadRateLimiter), so a
// change takes effect on the next chunk without restarting the client.
// Scheduler.Configure puts them into a ClientConfig and works around an
// anacrolix v1.61 upload stall (see KeepAliveTimeout).
//
// The schedule follows Transmission's "alternative speed" idea: a window given
// by days of the week and a start and end minute of the local day, during
// which alternative caps apply (typically: upload freely overnight while the
// household sleeps). Windows whose end is not after their start cross
// midnight; the days name the day a window starts on. Times are read on the
// box's wall clock in its time.Location, one minute at a time, so daylight
// saving changes move the switch with the local clock: a window from 22:00 to
// 06:00 ends at 06:00 local time on the night the clocks change too.
//
// While a stream is open (Watching(true)) the box's own playback comes first:
//
//   - Upload is lowered to a share of the cap in force (WatchingUploadShare).
//     A home uplink is usually a fraction of the downlink; when the box's
//     upload fills it, the modem's upstream queue grows and the TCP
//     acknowledgements of the box's own download wait in that queue (ACK
//     starvation), so the stream's download slows to the pace of the ACKs and
//     the picture buffers although the downlink is idle. Keeping upload under
//     the uplink keeps that queue short. The default share is 3/4, not less:
//     the ACKs of a 50 Mbit/s download need about 1.1 Mbit/s (one 66-byte ACK
//     per two 1448-byte segments), a tenth of a 10 Mbit/s uplink, and in a
//     premiere every box must upload about one stream's bit rate while it
//     watches or the swarm falls back on the origin: the flash-crowd
//     benchmark (appliance/bench) with a quarter share starved (ttff p95 16 s,
//     rebuffering 24%).
//   - The download cap is lifted. anacrolix has one download limiter for the
//     whole client, so a cap meant to keep background pre-fetching polite
//     would also throttle the episode on screen; the family asked for that
//     episode, so it is not background traffic.
package bandwidth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/atomicnetwork/atomicbox/appliance/state"
	"golang.org/x/time/rate"
)

// Caps are rates in bytes per second. Zero means unlimited.
type Caps struct {
	Upload   int64 `json:"upload"`
	Download int64 `json:"download"`
}

// Window is a weekly schedule during which alternative caps apply.
type Window struct {
	Enabled bool `json:"enabled"`
	// Days the window starts on (0 Sunday .. 6 Saturday, as time.Weekday);
	// empty means every day. A window crossing midnight that starts on
	// Friday ends on Saturday morning.
	Days []time.Weekday `json:"days,omitempty"`
	// StartMinute and EndMinute are minutes after local midnight, 0..1439.
	// EndMinute <= StartMinute means the window crosses midnight (it may not
	// equal StartMinute).
	StartMinute int  `json:"startMinute"`
	EndMinute   int  `json:"endMinute"`
	Caps        Caps `json:"caps"` // the caps inside the window
}

// Settings is what the household configures. The zero value is "no caps,
// no schedule, default watching share".
type Settings struct {
	Day   Caps   `json:"day"`   // caps outside the window
	Night Window `json:"night"` // the overnight (alternative) schedule
	// UplinkBytesPerSec is the household's upload capacity when known (0:
	// unknown). It is what WatchingUploadShare applies to when no upload cap
	// is in force.
	UplinkBytesPerSec int64 `json:"uplinkBytesPerSec,omitempty"`
	// WatchingUploadShare is the part (0 < share <= 1) of the upload cap in
	// force that the box may use while a stream is open; 0 means
	// DefaultWatchingUploadShare.
	WatchingUploadShare float64 `json:"watchingUploadShare,omitempty"`
}

const (
	// DefaultWatchingUploadShare is used when Settings.WatchingUploadShare is 0.
	DefaultWatchingUploadShare = 0.75
	// DefaultWatchingUpload (bytes/s, 2 Mbit/s) is the upload cap while
	// watching when neither an upload cap nor the uplink is known: under the
	// upstream of most home lines, enough to keep seeding.
	DefaultWatchingUpload = 256 << 10
	// UploadBurst is the upload limiter's burst in bytes. It is set once and
	// never lowered: anacrolix panics when a queued peer request is longer
	// than the burst, and it tells peers that the burst is its maximum request
	// length. 1 MiB is what anacrolix chooses itself.
	UploadBurst = 1 << 20
	// DownloadBurst is the download limiter's burst in bytes; anacrolix
	// truncates each socket read to it (1 MiB is its own default).
	DownloadBurst = 1 << 20
)

// Validate reports the first thing wrong with s, in words for a person.
func (s Settings) Validate() error {
	for _, c := range []struct {
		name string
		v    int64
	}{
		{"daytime upload cap", s.Day.Upload}, {"daytime download cap", s.Day.Download},
		{"overnight upload cap", s.Night.Caps.Upload}, {"overnight download cap", s.Night.Caps.Download},
		{"uplink speed", s.UplinkBytesPerSec},
	} {
		if c.v < 0 {
			return fmt.Errorf("bandwidth: the %s cannot be negative (%d bytes/s); use 0 for unlimited", c.name, c.v)
		}
	}
	w := s.Night
	if w.StartMinute < 0 || w.StartMinute >= 24*60 || w.EndMinute < 0 || w.EndMinute >= 24*60 {
		return fmt.Errorf("bandwidth: the overnight window must start and end between 00:00 and 23:59 (got minutes %d and %d)", w.StartMinute, w.EndMinute)
	}
	if w.Enabled && w.StartMinute == w.EndMinute {
		return errors.New("bandwidth: the overnight window starts and ends at the same minute; give it a length")
	}
	for _, d := range w.Days {
		if d < time.Sunday || d > time.Saturday {
			return fmt.Errorf("bandwidth: %d is not a day of the week (0 is Sunday, 6 Saturday)", d)
		}
	}
	if math.IsNaN(s.WatchingUploadShare) || s.WatchingUploadShare < 0 || s.WatchingUploadShare > 1 {
		return fmt.Errorf("bandwidth: the upload share while watching must be between 0 and 1 (got %v)", s.WatchingUploadShare)
	}
	return nil
}

// InWindow reports whether local time lt (already in the box's location)
// falls inside w.
func (w Window) InWindow(lt time.Time) bool {
	if !w.Enabled {
		return false
	}
	m := lt.Hour()*60 + lt.Minute()
	day := lt.Weekday()
	on := func(d time.Weekday) bool { return len(w.Days) == 0 || slices.Contains(w.Days, d) }
	if w.StartMinute < w.EndMinute {
		return on(day) && m >= w.StartMinute && m < w.EndMinute
	}
	yesterday := (day + 6) % 7
	return (on(day) && m >= w.StartMinute) || (on(yesterday) && m < w.EndMinute)
}

// Limits is what is applied to the limiters, and why.
type Limits struct {
	Upload   int64 `json:"upload"`   // bytes/s, 0 unlimited
	Download int64 `json:"download"` // bytes/s, 0 unlimited
	Night    bool  `json:"night"`    // inside the overnight window
	Watching bool  `json:"watching"` // a stream is open
}

// LimitsFor computes the limits for settings s at a moment that is (night)
// or is not inside the window, with or without an open stream.
func LimitsFor(s Settings, night, watching bool) Limits {
	caps := s.Day
	if night {
		caps = s.Night.Caps
	}
	l := Limits{Upload: caps.Upload, Download: caps.Download, Night: night, Watching: watching}
	if watching {
		base := cmpOr(caps.Upload, s.UplinkBytesPerSec)
		share := s.WatchingUploadShare
		if share == 0 {
			share = DefaultWatchingUploadShare
		}
		if base == 0 {
			l.Upload = DefaultWatchingUpload
		} else {
			l.Upload = max(1, int64(float64(base)*share))
		}
		l.Download = 0
	}
	return l
}

func cmpOr(a, b int64) int64 {
	if a != 0 {
		return a
	}
	return b
}

// Clock is the wall clock the schedule follows. Real: SystemClock().
type Clock interface {
	Now() time.Time
	// NewTimer returns a channel that receives once d has passed and a stop
	// function with time.Timer.Stop's meaning.
	NewTimer(d time.Duration) (c <-chan time.Time, stop func() bool)
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
func (systemClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// SystemClock is the real wall clock.
func SystemClock() Clock { return systemClock{} }

// Options are the outside world of a Scheduler; zero fields get real defaults.
type Options struct {
	Clock    Clock          // default SystemClock()
	Location *time.Location // the household's time zone; default time.Local
	Log      *slog.Logger   // default slog.Default()
}

// Scheduler sets the swarm's limiters from the settings, the time of day and
// whether a stream is open. Its methods are safe for concurrent use.
type Scheduler struct {
	up, down *rate.Limiter
	path     string
	clock    Clock
	loc      *time.Location
	log      *slog.Logger

	wake chan struct{} // buffered 1: settings changed, re-plan the next boundary

	mu       sync.Mutex
	settings Settings
	watching bool
	applied  Limits
}

// New loads settings from path (a missing or corrupt file means no caps),
// applies them to up and down at once and returns the scheduler. up and down
// are the limiters given to anacrolix; both must be non-nil (anacrolix cannot
// adjust a nil download limiter later). path "" keeps settings in memory
// only. Call Run to follow the schedule.
func New(up, down *rate.Limiter, path string, opts Options) (*Scheduler, error) {
	if up == nil || down == nil {
		return nil, errors.New("bandwidth: both limiters are needed (anacrolix cannot adjust a nil limiter later)")
	}
	s := &Scheduler{
		up: up, down: down, path: path,
		clock: opts.Clock, loc: opts.Location, log: opts.Log,
		wake: make(chan struct{}, 1),
	}
	if s.clock == nil {
		s.clock = SystemClock()
	}
	if s.loc == nil {
		s.loc = time.Local
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if path != "" {
		var st Settings
		found, err := state.ReadJSON(path, &st, s.log)
		if err != nil {
			return nil, fmt.Errorf("bandwidth: %w", err)
		}
		if found {
			if err := st.Validate(); err != nil {
				s.log.Warn("bandwidth settings are invalid; running without caps", "path", path, "err", err)
			} else {
				s.settings = st
			}
		}
	}
	s.mu.Lock()
	s.applyLocked(s.clock.Now())
	s.mu.Unlock()
	return s, nil
}

// Settings returns the settings in force.
func (s *Scheduler) Settings() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.settings
	st.Night.Days = slices.Clone(st.Night.Days)
	return st
}

// SetSettings validates st, writes it to the settings file atomically and
// applies it at once. On any error nothing changes.
func (s *Scheduler) SetSettings(st Settings) error {
	if err := st.Validate(); err != nil {
		return err
	}
	st.Night.Days = slices.Clone(st.Night.Days)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.path != "" {
		if err := state.WriteJSON(s.path, st); err != nil {
			return fmt.Errorf("bandwidth: save settings: %w", err)
		}
	}
	s.settings = st
	s.applyLocked(s.clock.Now())
	s.poke()
	return nil
}

// SetLocation moves the night window to the household's time zone (nil:
// time.Local) and applies it at once; Run re-plans its next boundary.
func (s *Scheduler) SetLocation(loc *time.Location) {
	if loc == nil {
		loc = time.Local
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loc = loc
	s.applyLocked(s.clock.Now())
	s.poke()
}

// Watching tells the scheduler whether a stream is open on the box (the
// caller tracks its streams and says true while at least one is open).
// Applied at once.
func (s *Scheduler) Watching(active bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watching = active
	s.applyLocked(s.clock.Now())
}

// Limits returns what is applied now.
func (s *Scheduler) Limits() Limits {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied
}

// Run follows the schedule, switching the limiters at each window boundary,
// until ctx is done (it then returns ctx.Err()). Blocks; call it once.
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		s.mu.Lock()
		now := s.clock.Now()
		s.applyLocked(now)
		next, ok := nextChange(s.settings.Night, now, s.loc)
		s.mu.Unlock()
		wait := 24 * time.Hour // nothing scheduled: look again tomorrow anyway
		if ok {
			wait = next.Sub(now)
		}
		c, stop := s.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			stop()
			return ctx.Err()
		case <-s.wake:
			stop()
		case <-c:
		}
	}
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// applyLocked sets the limiters for now. Caller holds s.mu.
func (s *Scheduler) applyLocked(now time.Time) {
	l := LimitsFor(s.settings, s.settings.Night.InWindow(now.In(s.loc)), s.watching)
	setLimiter(s.up, l.Upload, UploadBurst, now)
	setLimiter(s.down, l.Download, DownloadBurst, now)
	if l != s.applied {
		s.log.Info("bandwidth limits", "upload", l.Upload, "download", l.Download, "night", l.Night, "watching", l.Watching)
	}
	s.applied = l
}

func setLimiter(lim *rate.Limiter, bytesPerSec int64, burst int, now time.Time) {
	want := rate.Inf
	if bytesPerSec > 0 {
		want = rate.Limit(bytesPerSec)
	}
	if lim.Burst() < burst {
		lim.SetBurstAt(now, burst)
	}
	if lim.Limit() != want {
		lim.SetLimitAt(now, want)
	}
}

// nextChange returns the first minute boundary after now at which being
// inside w changes, looking up to 8 days ahead (ok=false: never). It walks
// whole minutes of absolute time and reads each in loc, so skipped and
// repeated local hours are handled by the location's rules.
func nextChange(w Window, now time.Time, loc *time.Location) (time.Time, bool) {
	if !w.Enabled {
		return time.Time{}, false
	}
	cur := w.InWindow(now.In(loc))
	t := now.Truncate(time.Minute)
	for range 8 * 24 * 60 {
		t = t.Add(time.Minute)
		if w.InWindow(t.In(loc)) != cur {
			return t, true
		}
	}
	return time.Time{}, false
}

// KeepAliveTimeout is the ClientConfig.KeepAliveTimeout that Configure sets.
//
// anacrolix v1.61 can stall a rate-limited upload: when the limiter says
// "wait", the connection arms a timer that wakes its writer goroutine, but
// the writer subscribes to wake-ups only after it has finished filling its
// buffer; a timer that fires in between (a short wait on a busy CPU) is lost,
// and the writer sleeps until its keepalive timer, KeepAliveTimeout after the
// last write (one minute by default). Seen on this 2-core machine under load:
// uploads stopped for 20 s and more with requests queued. With a short
// keepalive timeout a lost wake-up costs at most this long; the price is a
// 4-byte keepalive message per idle, useful connection at this interval.
const KeepAliveTimeout = 500 * time.Millisecond

// Configure gives cfg the scheduler's limiters and bounds the upload stall
// described at KeepAliveTimeout. Call it before torrent.NewClient.
func (s *Scheduler) Configure(cfg *torrent.ClientConfig) {
	cfg.UploadRateLimiter = s.up
	cfg.DownloadRateLimiter = s.down
	if cfg.KeepAliveTimeout <= 0 || cfg.KeepAliveTimeout > KeepAliveTimeout {
		cfg.KeepAliveTimeout = KeepAliveTimeout
	}
}
