package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// Viewer is one player's source: an HTTP client and the stream URL.
type Viewer struct {
	Client *http.Client
	URL    string
}

// A viewer whose connection fails is tried again dialAttempts times in all,
// dialRetry apart.
const (
	dialAttempts = 10
	dialRetry    = 500 * time.Millisecond
)

// Crowd says how viewers join.
type Crowd struct {
	Player PlayerConfig
	Size   int64         // stream bytes
	Join   time.Duration // viewers start at uniform random times within it
	Cap    time.Duration // a viewer still going after Cap (from its start) is cut and counted as it stands
	Seed   uint64        // of the join times
	// Ready, when set, is waited on per viewer (index i) before its join
	// delay starts: the premiere's boxes press play only once their own
	// box has the key. Joined then counts from Watch's start to the press.
	Ready func(ctx context.Context, i int) error
}

// Watch plays every viewer's stream as the crowd says and returns their
// results in viewer order. Blocks until all have ended (ctx cancels them).
func Watch(ctx context.Context, clock Clock, c Crowd, viewers []Viewer) []PlayResult {
	rng := rand.New(rand.NewPCG(c.Seed, 1))
	out := make([]PlayResult, len(viewers))
	var wg sync.WaitGroup
	for i, v := range viewers {
		delay := time.Duration(0)
		if c.Join > 0 {
			delay = time.Duration(rng.Int64N(int64(c.Join)))
		}
		wg.Go(func() {
			t0 := clock.Now()
			if c.Ready != nil {
				if err := c.Ready(ctx, i); err != nil {
					out[i] = PlayResult{Err: err.Error()}
					return
				}
			}
			if err := clock.Sleep(ctx, delay); err != nil {
				out[i] = PlayResult{Err: err.Error()}
				return
			}
			joined := delay
			if c.Ready != nil {
				joined = clock.Now().Sub(t0)
			}
			out[i] = watchOne(ctx, clock, c, v)
			out[i].Joined = joined
		})
	}
	wg.Wait()
	return out
}

func watchOne(ctx context.Context, clock Clock, c Crowd, v Viewer) PlayResult {
	start := clock.Now()
	ctx, cancel := context.WithTimeout(ctx, c.Cap)
	defer cancel()
	fail := func(err error) PlayResult {
		return NewPlayback(c.Player, c.Size, start).Finish(clock.Now(), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.URL, nil)
	if err != nil {
		return fail(err)
	}
	// A connection that could not be made is tried again, as a player
	// does; the time counts towards the first frame. (In the lab a
	// neighbour entry that failed while the machine was saturated answers
	// "no route to host" for a few seconds.)
	var resp *http.Response
	for attempt := 1; ; attempt++ {
		resp, err = v.Client.Do(req)
		var op *net.OpError
		if err == nil || attempt == dialAttempts || !errors.As(err, &op) || op.Op != "dial" {
			break
		}
		if clock.Sleep(ctx, dialRetry) != nil {
			break
		}
	}
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(fmt.Errorf("GET %s: %s", v.URL, resp.Status))
	}
	return Play(ctx, clock, c.Player, resp.Body, c.Size, start)
}

// SeekConfig is one seek: a Range request at a position, timed to the
// arrival of its first Probe bytes, then held for Hold of playback (read at
// BytesPerSecond) as a viewer would.
type SeekConfig struct {
	Probe          int64 // bytes that count as "first bytes of the new position" (64 KiB)
	Hold           time.Duration
	BytesPerSecond float64
	Size           int64         // stream bytes
	Timeout        time.Duration // for the first Probe bytes
}

// seekOnce makes the request for byte off (as mpv makes one per seek) and
// returns the time to its first Probe bytes.
func seekOnce(ctx context.Context, clock Clock, cfg SeekConfig, v Viewer, off int64) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout+cfg.Hold)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.URL, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
	start := clock.Now()
	resp, err := v.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent {
		return 0, fmt.Errorf("status %s, want 206", resp.Status)
	}
	if _, err := io.CopyN(io.Discard, resp.Body, cfg.Probe); err != nil {
		return 0, err
	}
	took := clock.Now().Sub(start)
	// Keep playing from there for Hold, as a viewer would, at the playback rate.
	hold := int64(cfg.BytesPerSecond * cfg.Hold.Seconds())
	rest := min(hold-cfg.Probe, cfg.Size-off-cfg.Probe)
	if rest > 0 {
		holdStart := clock.Now()
		if _, err := io.CopyN(io.Discard, resp.Body, rest); err != nil {
			return took, err
		}
		if err := clock.Sleep(ctx, cfg.Hold-clock.Now().Sub(holdStart)); err != nil && ctx.Err() == nil {
			return took, err
		}
	}
	return took, nil
}
