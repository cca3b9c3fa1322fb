package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/lab/procstat"
)

// DaemonConfig is one box: an atomicboxd process.
type DaemonConfig struct {
	Bin        string   // path of atomicboxd
	NS         string   // network namespace to run in; "" = this one
	DataDir    string   // the box's own data dir
	APIAddr    string   // -listen, e.g. 127.0.0.1:8080 (inside NS)
	BTPort     int      // -bt-port
	Channel    string   // -channel: the origin's base URL
	NetworkKey string   // -network-key
	Peers      []string // -peer host:port, each
	Trackers   bool     // announce to the catalog's trackers (else -no-trackers)
	LogPath    string   // stdout and stderr go here
	Env        []string // added to this process's environment, e.g. GOMAXPROCS=1
	Args       []string // more flags, e.g. -cpuprofile FILE
}

// Daemon is a running atomicboxd. Its methods are safe for concurrent use.
type Daemon struct {
	cfg    DaemonConfig
	cmd    *exec.Cmd
	done   chan struct{}
	err    error        // valid after done
	Client *http.Client // reaches APIAddr (dials inside NS)
}

// StartDaemon starts the process; it keeps running until Stop, whatever
// happens to ctx (only the start itself honours ctx).
func StartDaemon(ctx context.Context, cfg DaemonConfig) (*Daemon, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, err
	}
	args := []string{
		"-data", cfg.DataDir, "-listen", cfg.APIAddr, "-channel", cfg.Channel,
		"-network-key", cfg.NetworkKey, "-bt-port", strconv.Itoa(cfg.BTPort), "-no-dht",
	}
	if !cfg.Trackers {
		args = append(args, "-no-trackers")
	}
	for _, p := range cfg.Peers {
		args = append(args, "-peer", p)
	}
	args = append(args, cfg.Args...)
	name := cfg.Bin
	if cfg.NS != "" {
		args = append([]string{"netns", "exec", cfg.NS, cfg.Bin}, args...)
		name = "ip"
	}
	log, err := os.Create(cfg.LogPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), cfg.Env...)
	cmd.Stdout = log
	cmd.Stderr = log
	// Its own process group: a Ctrl-C in the terminal reaches only the
	// benchmark, which then stops the daemons in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", cfg.Bin, err)
	}
	d := &Daemon{cfg: cfg, cmd: cmd, done: make(chan struct{})}
	go func() {
		d.err = cmd.Wait()
		log.Close()
		close(d.done)
	}()
	dial := (&net.Dialer{}).DialContext
	if cfg.NS != "" {
		dial = DialerIn(cfg.NS)
	}
	d.Client = &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         dial,
		DisableCompression:  true,
		MaxIdleConnsPerHost: 4,
	}}
	return d, nil
}

// Config returns what the daemon was started with.
func (d *Daemon) Config() DaemonConfig { return d.cfg }

// URL is the daemon's API URL for path (starting with "/").
func (d *Daemon) URL(path string) string { return "http://" + d.cfg.APIAddr + path }

// Stop asks the daemon to stop (SIGTERM), waits up to grace, then kills it.
// Blocks until the process is gone.
func (d *Daemon) Stop(grace time.Duration) error {
	select {
	case <-d.done:
		return nil
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-d.done:
		return nil
	case <-t.C:
		d.cmd.Process.Kill()
		<-d.done
		return fmt.Errorf("%s did not stop within %v; killed", d.cfg.DataDir, grace)
	}
}

// CPUTime is the CPU time (user and system) the process has used so far.
func (d *Daemon) CPUTime() (time.Duration, error) {
	s, err := procstat.ReadProc("/proc", d.cmd.Process.Pid)
	if err != nil {
		return 0, err
	}
	return time.Duration(s.CPUTicks) * time.Second / procstat.ClockTicks, nil
}

// Exited reports whether the process has ended, and how.
func (d *Daemon) Exited() (bool, error) {
	select {
	case <-d.done:
		return true, d.err
	default:
		return false, nil
	}
}

// Stats fetches GET /api/stats.
func (d *Daemon) Stats(ctx context.Context) (api.Stats, error) {
	var s api.Stats
	err := d.getJSON(ctx, "/api/stats", &s)
	return s, err
}

// SetUplink tells the box its line's upload speed (PUT /api/settings
// {"uplink": ...}), as the household does in Settings: while a stream is
// open the box uploads a share of it.
func (d *Daemon) SetUplink(ctx context.Context, bytesPerSec int64) error {
	return d.putSettings(ctx, fmt.Sprintf(`{"uplink":%d}`, bytesPerSec))
}

// SetUploadCap caps the box's upload at bytesPerSec at all hours (PUT
// /api/settings, no overnight window), as a household does in Settings.
func (d *Daemon) SetUploadCap(ctx context.Context, bytesPerSec int64) error {
	return d.putSettings(ctx, fmt.Sprintf(`{"bandwidth":{"dayUp":%d,"dayDown":0,"night":{"enabled":false}}}`, bytesPerSec))
}

func (d *Daemon) putSettings(ctx context.Context, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, d.URL("/api/settings"), strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("PUT /api/settings %s: %s: %s", body, resp.Status, b)
	}
	return nil
}

func (d *Daemon) getJSON(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.URL(path), nil)
	if err != nil {
		return err
	}
	resp, err := d.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, b)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// WaitEpisode blocks until the daemon lists the episode in /api/stats (it
// has the catalog and the torrent) and holds at least completion (0..1) of
// it, or ctx ends, or the process exits.
func (d *Daemon) WaitEpisode(ctx context.Context, episode string, completion float64) error {
	var last error
	for {
		if exited, err := d.Exited(); exited {
			return fmt.Errorf("atomicboxd (%s) exited: %v; see %s", d.cfg.DataDir, err, d.cfg.LogPath)
		}
		s, err := d.Stats(ctx)
		if err == nil {
			last = fmt.Errorf("episode %s not listed", episode)
			for _, t := range s.Torrents {
				if t.Episode == episode {
					if t.Completion >= completion {
						return nil
					}
					last = fmt.Errorf("episode %s at %.3f, waiting for %.3f", episode, t.Completion, completion)
				}
			}
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("box %s: %w (last: %v)", d.cfg.DataDir, ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// EpisodeStats returns the daemon's figures for episode (zero if unlisted).
func (d *Daemon) EpisodeStats(ctx context.Context, episode string) (api.TransferStats, error) {
	s, err := d.Stats(ctx)
	if err != nil {
		return api.TransferStats{}, err
	}
	for _, t := range s.Torrents {
		if t.Episode == episode {
			return t.TransferStats, nil
		}
	}
	return api.TransferStats{}, errors.New("episode " + episode + " not listed")
}

// SetNightWindow turns the box's overnight window on around now (23 h 59
// min of the day, from an hour before now, no caps: the daemons run on UTC
// unless told a zone) or off, with no daytime caps: the premiere's boxes
// pre-fetch under it, as they would overnight.
func (d *Daemon) SetNightWindow(ctx context.Context, on bool, now time.Time) error {
	m := now.UTC().Hour()*60 + now.UTC().Minute()
	start := (m + 24*60 - 60) % (24 * 60)
	end := (start + 24*60 - 1) % (24 * 60)
	return d.putSettings(ctx, fmt.Sprintf(`{"bandwidth":{"dayUp":0,"dayDown":0,"night":{"enabled":%t,"startMinute":%d,"endMinute":%d}}}`, on, start, end))
}

// WaitPlayable blocks until the box's catalog lists the episode as
// playable (not locked: released, with its key), polling every
// 100 ms, or ctx ends.
func (d *Daemon) WaitPlayable(ctx context.Context, episode string) error {
	last := errors.New("episode " + episode + " not listed")
	for {
		var c api.CatalogView
		if err := d.getJSON(ctx, "/api/catalog", &c); err != nil {
			last = err
		}
		for _, sh := range c.Shows {
			for _, ep := range sh.Episodes {
				if ep.ID != episode {
					continue
				}
				if ep.Locked == "" {
					return nil
				}
				last = errors.New(ep.Locked)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("box %s: episode %s not playable: %w (last: %v)", d.cfg.DataDir, episode, ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
