// Package daemon is the UI's HTTP client for the box's daemon API (appliance/api).
package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // posters may be JPEG
	_ "image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/catalog"
)

// Client talks to one daemon. It is safe for concurrent use.
type Client struct {
	base *url.URL
	http *http.Client
}

// New returns a client for the daemon at base (e.g. http://127.0.0.1:8080).
// hc carries no timeout of its own: every call takes a context. nil means a
// fresh http.Client.
func New(base string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("daemon URL %q: want http://host:port", base)
	}
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: u, http: hc}, nil
}

// URL resolves a daemon-relative path such as EpisodeView.StreamURL.
func (c *Client) URL(path string) string {
	ref, err := url.Parse(path)
	if err != nil {
		return c.base.String() + path
	}
	return c.base.ResolveReference(ref).String()
}

// Limits on what the client reads.
const (
	maxCatalogBytes = 8 << 20
	maxPosterBytes  = 16 << 20
	maxEventBytes   = 64 << 10 // one SSE event
)

// Catalog fetches GET /api/catalog.
func (c *Client) Catalog(ctx context.Context) (api.CatalogView, error) {
	var v api.CatalogView
	body, err := c.get(ctx, "/api/catalog", maxCatalogBytes)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return v, fmt.Errorf("catalog: %w", err)
	}
	return v, nil
}

// Poster fetches and decodes a poster (PNG or JPEG) at a daemon-relative path.
func (c *Client) Poster(ctx context.Context, path string) (image.Image, error) {
	body, err := c.get(ctx, path, maxPosterBytes)
	if err != nil {
		return nil, err
	}
	img, err := DecodePoster(body)
	if err != nil {
		return nil, fmt.Errorf("poster %s: %w", path, err)
	}
	return img, nil
}

// DecodePoster decodes a PNG or JPEG poster after reading its header alone
// (catalog.CheckPoster): a file that declares more pixels than a poster
// may have is refused before a byte of it is decoded, so a poster bomb
// cannot exhaust a 1 GiB box's memory, whoever cached it.
func DecodePoster(data []byte) (image.Image, error) {
	if _, err := catalog.CheckPoster(data, ""); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	return img, err
}

// PutResume stores where playback of episode stopped (PUT /api/resume/{episode}).
func (c *Client) PutResume(ctx context.Context, episode string, u api.ResumeUpdate) error {
	data, err := json.Marshal(u)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.URL("/api/resume/"+url.PathEscape(episode)), bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("put resume %s: %w", episode, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("put resume %s: %s", episode, resp.Status)
	}
	return nil
}

// ActiveSource asks the daemon to switch the TV to the box's input over
// HDMI-CEC (POST /api/remote/cec/active-source). It blocks until the daemon
// answers; a box without CEC answers with an error status, returned as is.
func (c *Client) ActiveSource(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL("/api/remote/cec/active-source"), nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("active source: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("active source: %s", resp.Status)
	}
	return nil
}

func (c *Client) get(ctx context.Context, path string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(path), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("get %s: %s", path, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", path, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("get %s: larger than %d bytes", path, limit)
	}
	return body, nil
}

// Events reads GET /api/events once and calls fn for every event until the
// stream ends, fails or ctx ends. connected is called once the daemon
// answered 200. It always returns a non-nil error (io.EOF when the daemon
// closed the stream). Malformed events are skipped and reported to bad.
func (c *Client) Events(ctx context.Context, connected func(), fn func(api.Event), bad func(error)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL("/api/events"), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("events: %s", resp.Status)
	}
	if connected != nil {
		connected()
	}
	err = ReadSSE(resp.Body, func(name string, data []byte) {
		ev, err := ParseEvent(name, data)
		if err != nil {
			if bad != nil {
				bad(err)
			}
			return
		}
		fn(ev)
	})
	if err == nil {
		err = io.EOF
	}
	return err
}

// ErrMalformed wraps every reason an event is refused.
var ErrMalformed = errors.New("malformed event")

// ParseEvent decodes one SSE event's data as an api.Event. name is the SSE
// "event:" field; when present it must match the envelope's type.
func ParseEvent(name string, data []byte) (api.Event, error) {
	var ev api.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return ev, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if name != "" && name != "message" && name != ev.Type {
		return ev, fmt.Errorf("%w: event %q carries type %q", ErrMalformed, name, ev.Type)
	}
	switch ev.Type {
	case api.EventKey:
		if ev.Key == nil || ev.Key.Key == "" {
			return ev, fmt.Errorf("%w: key event without a key", ErrMalformed)
		}
	case api.EventPairing:
		if ev.Pairing == nil || ev.Pairing.Code == "" {
			return ev, fmt.Errorf("%w: pairing event without a code", ErrMalformed)
		}
	case api.EventPaired, api.EventCatalog, api.EventNetwork:
	default:
		return ev, fmt.Errorf("%w: unknown type %q", ErrMalformed, ev.Type)
	}
	return ev, nil
}

// ReadSSE parses a text/event-stream (the subset the daemon sends: event,
// data, comments; id and retry are ignored) and calls fn per dispatched
// event. It returns nil at end of stream, or the read error. Events larger
// than 64 KiB are an error (the stream is then out of step).
func ReadSSE(r io.Reader, fn func(name string, data []byte)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxEventBytes)
	var name string
	var data []byte
	hasData := false
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if hasData {
				fn(name, data)
			}
			name, data, hasData = "", nil, false
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			name = value
		case "data":
			if hasData {
				data = append(data, '\n')
			}
			data = append(data, value...)
			hasData = true
			if len(data) > maxEventBytes {
				return fmt.Errorf("event stream: event larger than %d bytes", maxEventBytes)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("event stream: %w", err)
	}
	return nil
}

// Backoff is the retry schedule for an unreachable daemon: it starts at Min
// and doubles up to Max. Not safe for concurrent use.
type Backoff struct {
	Min, Max time.Duration
	next     time.Duration
}

// Next returns the delay before the next attempt.
func (b *Backoff) Next() time.Duration {
	if b.next == 0 {
		b.next = b.Min
	}
	d := b.next
	b.next *= 2
	if b.next > b.Max {
		b.next = b.Max
	}
	return d
}

// Reset starts the schedule over after a success.
func (b *Backoff) Reset() { b.next = 0 }

// Port is the daemon's TCP port as its base URL names it (80 or 443 when
// it names none): the port phones on the LAN reach the API on.
func (c *Client) Port() string {
	if p := c.base.Port(); p != "" {
		return p
	}
	if c.base.Scheme == "https" {
		return "443"
	}
	return "80"
}
