// Package boottest waits for and judges what a booted atomicbox image shows in QEMU: serial console lines, gokrazy's web interface, atomicboxd's API and the TV picture.
package boottest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A Check is one attempt at a condition. It returns nil when the condition
// holds, with a short detail worth printing (may be ""), and must return by
// ctx's deadline.
type Check func(ctx context.Context) (detail string, err error)

// ErrExited is returned by Wait when the watched process is gone.
var ErrExited = errors.New("QEMU exited")

// Wait runs check every interval until it holds, alive fails (its error is
// returned) or ctx ends. On ctx's end the error says what the last attempt
// saw. Blocks; the first attempt is immediate.
func Wait(ctx context.Context, interval time.Duration, alive func() error, check Check) (string, error) {
	var last error
	for {
		d, err := check(ctx)
		if err == nil {
			return d, nil
		}
		last = err
		if ctx.Err() != nil {
			return "", fmt.Errorf("%w (last attempt: %v)", ctx.Err(), last)
		}
		if alive != nil {
			if err := alive(); err != nil {
				return "", err
			}
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", fmt.Errorf("%w (last attempt: %v)", ctx.Err(), last)
		case <-t.C:
		}
	}
}

// ProcessAlive returns an alive function for Wait: ErrExited once process
// pid has exited, including as an unreaped zombie of the shell that started
// it. procDir is normally /proc.
func ProcessAlive(procDir string, pid int) func() error {
	return func() error {
		b, err := os.ReadFile(fmt.Sprintf("%s/%d/stat", procDir, pid))
		if err != nil {
			return ErrExited
		}
		// "pid (comm) S ...": the state follows the last ')'.
		if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) && (b[i+2] == 'Z' || b[i+2] == 'X') {
			return ErrExited
		}
		return nil
	}
}

// ConsoleLine checks that the console log file has a line matching re
// (carriage returns removed). The detail is the first submatch if re has
// one, else the line.
func ConsoleLine(file string, re *regexp.Regexp) Check {
	return func(ctx context.Context) (string, error) {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		for l := range strings.SplitSeq(strings.ReplaceAll(string(b), "\r", ""), "\n") {
			if m := re.FindStringSubmatch(l); m != nil {
				if len(m) > 1 {
					return m[1], nil
				}
				return l, nil
			}
		}
		return "", fmt.Errorf("no console line matches %q", re)
	}
}

// Client asks one HTTP server what a test needs. The zero value has no
// credentials; each request is bounded by Timeout (default 10 s) and ctx.
type Client struct {
	HTTP    *http.Client // nil: http.DefaultClient
	Token   string       // bearer token (atomicboxd pairing), or ""
	User    string       // "user:password" for basic auth (gokrazy), or ""
	Timeout time.Duration
}

// Get fetches url and returns its status and body; a non-nil error means no
// answer at all.
func (c *Client) Get(ctx context.Context, url string) (int, []byte, error) {
	resp, err := c.do(ctx, url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (c *Client) do(ctx context.Context, url string) (*http.Response, error) {
	to := c.Timeout
	if to == 0 {
		to = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, to)
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if u, p, ok := strings.Cut(c.User, ":"); ok {
		req.SetBasicAuth(u, p)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = cancelBody{resp.Body, cancel}
	return resp, nil
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelBody) Close() error { err := b.ReadCloser.Close(); b.cancel(); return err }

// Status checks that url answers with status want, or with any status when
// want is 0. The detail is the status.
func (c *Client) Status(url string, want int) Check {
	return func(ctx context.Context) (string, error) {
		got, _, err := c.Get(ctx, url)
		if err != nil {
			return "", err
		}
		if want != 0 && got != want {
			return "", fmt.Errorf("%s: status %d, want %d", url, got, want)
		}
		return strconv.Itoa(got), nil
	}
}

// JSON checks that url answers 2xx with JSON that judge accepts.
func JSON[T any](c *Client, url string, judge func(T) (string, error)) Check {
	return func(ctx context.Context) (string, error) {
		st, b, err := c.Get(ctx, url)
		if err != nil {
			return "", err
		}
		if st/100 != 2 {
			return "", fmt.Errorf("%s: status %d", url, st)
		}
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return "", fmt.Errorf("%s: %w", url, err)
		}
		return judge(v)
	}
}

// Catalog is the part of atomicboxd's /api/catalog the tests read.
type Catalog struct {
	Network string `json:"network"`
	Problem string `json:"problem"`
	Shows   []struct {
		Episodes []struct {
			ID              string  `json:"id"`
			DurationSeconds float64 `json:"durationSeconds"`
		} `json:"episodes"`
	} `json:"shows"`
}

// Verified accepts a catalog with shows and no problem (a refused catalog
// names its problem); the detail is "NETWORK / N shows".
func (c Catalog) Verified() (string, error) {
	if c.Problem != "" {
		return "", fmt.Errorf("catalog problem: %s", c.Problem)
	}
	if len(c.Shows) == 0 {
		return "", errors.New("catalog has no shows")
	}
	return fmt.Sprintf("%s / %d shows", c.Network, len(c.Shows)), nil
}

// HasEpisode accepts a catalog that lists episode id.
func (c Catalog) HasEpisode(id string) (string, error) {
	for _, s := range c.Shows {
		for _, e := range s.Episodes {
			if e.ID == id {
				return id, nil
			}
		}
	}
	return "", fmt.Errorf("catalog has no episode %s", id)
}

// Stats is the part of atomicboxd's /api/stats the tests read.
type Stats struct {
	Torrents []TorrentStats `json:"torrents"`
	Total    struct {
		BytesUploaded int64 `json:"bytesUploaded"`
	} `json:"total"`
}

// TorrentStats is one episode's torrent in Stats.
type TorrentStats struct {
	Episode          string  `json:"episode"`
	Completion       float64 `json:"completion"`
	BytesFromPeers   int64   `json:"bytesFromPeers"`
	BytesFromWebSeed int64   `json:"bytesFromWebSeed"`
}

func (s Stats) torrent(id string) (TorrentStats, error) {
	for _, t := range s.Torrents {
		if t.Episode == id {
			return t, nil
		}
	}
	return TorrentStats{}, fmt.Errorf("no torrent for %s", id)
}

// Complete accepts stats in which episode id is wholly on the box.
func (s Stats) Complete(id string) (string, error) {
	t, err := s.torrent(id)
	if err != nil {
		return "", err
	}
	if t.Completion < 1 {
		return "", fmt.Errorf("%s at completion %g", id, t.Completion)
	}
	return "", nil
}

// FromPeersOnly accepts a leecher's stats in which episode id came from
// peers and nothing from the web seed.
func (s Stats) FromPeersOnly(id string) error {
	t, err := s.torrent(id)
	if err != nil {
		return err
	}
	if t.BytesFromPeers <= 0 || t.BytesFromWebSeed != 0 {
		return fmt.Errorf("%s: %d bytes from peers, %d from the web seed (want >0 and 0)", id, t.BytesFromPeers, t.BytesFromWebSeed)
	}
	return nil
}

// Uploaded accepts stats of a box that uploaded something.
func (s Stats) Uploaded() error {
	if s.Total.BytesUploaded <= 0 {
		return errors.New("box uploaded nothing")
	}
	return nil
}

// NotDownloaded accepts stats in which the torrent of episode id fetched no
// bytes in this run (the library was kept across a restart).
func (s Stats) NotDownloaded(id string) error {
	t, err := s.torrent(id)
	if err != nil {
		return err
	}
	if n := t.BytesFromPeers + t.BytesFromWebSeed; n != 0 {
		return fmt.Errorf("%s downloaded again: %d bytes", id, n)
	}
	return nil
}

// Resume is the part of atomicboxd's /api/resume/{episode} the tests read.
type Resume struct {
	Seconds   float64   `json:"seconds"`
	Watched   bool      `json:"watched"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Stored accepts the record of an episode whose playback the TV reported
// to the daemon (periodically while playing, and when leaving the player).
func (r Resume) Stored() (string, error) {
	if r.UpdatedAt.IsZero() {
		return "", errors.New("no resume record stored yet")
	}
	return fmt.Sprintf("seconds=%g watched=%v", r.Seconds, r.Watched), nil
}

// SameResume accepts two JSON resume records that are equal and have an
// updatedAt.
func SameResume(a, b []byte) error {
	var x, y map[string]any
	if err := json.Unmarshal(a, &x); err != nil {
		return fmt.Errorf("resume before: %w", err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return fmt.Errorf("resume after: %w", err)
	}
	if !jsonEqual(x, y) {
		return fmt.Errorf("resume record changed: %s then %s", bytes.TrimSpace(a), bytes.TrimSpace(b))
	}
	if u, _ := x["updatedAt"].(string); u == "" {
		return fmt.Errorf("resume record without updatedAt: %s", bytes.TrimSpace(a))
	}
	return nil
}

func jsonEqual(a, b map[string]any) bool {
	x, _ := json.Marshal(a) // maps marshal with sorted keys
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// ColdplugLine is what the coldplug service logs when it is done:
// "coldplug: N modules in D: [m1 m2 ...]".
type ColdplugLine struct {
	N       int
	Modules []string
}

var coldplugRE = regexp.MustCompile(`coldplug: (\d+) modules in [^:]*: \[([^\]]*)\]`)

// ParseColdplugLine finds the coldplug summary in one log line (gokrazy
// prefixes a timestamp).
func ParseColdplugLine(line string) (ColdplugLine, bool) {
	m := coldplugRE.FindStringSubmatch(line)
	if m == nil {
		return ColdplugLine{}, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return ColdplugLine{}, false
	}
	return ColdplugLine{N: n, Modules: strings.Fields(m[2])}, true
}

// Coldplug checks gokrazy's log of the coldplug service (url: the /log
// stream, which never ends: it is read for the client's timeout) for a
// summary naming every module in want. The detail is the line.
func (c *Client) Coldplug(url string, want ...string) Check {
	return func(ctx context.Context) (string, error) {
		resp, err := c.do(ctx, url)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var seen string
		for sc.Scan() {
			l, ok := ParseColdplugLine(sc.Text())
			if !ok {
				continue
			}
			seen = sc.Text()
			if missing := without(want, l.Modules); len(missing) == 0 {
				return sc.Text(), nil
			}
		}
		if seen != "" {
			return "", fmt.Errorf("coldplug did not load all of %v: %s", want, seen)
		}
		return "", errors.New("no coldplug summary in its log yet")
	}
}

// without returns the names in want that are not in have.
func without(want, have []string) []string {
	var out []string
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			out = append(out, w)
		}
	}
	return out
}
