// Command powercut cuts the power of an amd64 atomicbox image in QEMU at
// random moments while a client streams episodes and writes resume
// positions, settings, the keymap and pairings through the API, and
// checks after every cut that /perm holds, in every state file, the
// acknowledged or the in-flight value, and after every boot that the box
// serves them and the published bytes. scripts/powercut-test.sh runs it
// (make powercut-test) inside a private network namespace with the origin
// served on 127.0.0.1:8970.
//
// It reads the disk image -img (changed in place: it is the box's disk),
// the origin directory -origin (the published files to compare with) and
// writes its scratch files under -work. The last line on stdout is
// cuts= files_checked= bytes_compared= lost_acknowledged= corrupt=.
//
// The power cut. QEMU is killed with SIGKILL: the guest's RAM is gone, and
// with it the guest's page cache and the ext4 journal not yet committed,
// so a write the box did not fsync is lost exactly as on a real box. The
// disk is attached with cache=none: QEMU opens the image with O_DIRECT and
// the guest sees a disk with a volatile write cache that it must flush
// (ext4 does, on fsync and journal commits); so the image file holds
// exactly the writes the guest submitted to its disk, nothing from QEMU's
// or the host's page cache that the guest has not written. What this does
// not model is a disk that loses writes it acknowledged but was not asked
// to flush: the host stays up, so writes QEMU handed to the host before the
// kill stay in the file. A missing fsync in the box shows anyway, because
// without it the data never leaves the guest's page cache in time (ext4
// writes back dirty data after up to 30 s and commits its journal every
// 5 s; the cuts come seconds after the writes).
//
// /perm is checked on a copy: the partition is copied out of the image,
// e2fsck -fy replays its journal there (as the kernel would at mount), and
// debugfs dumps /perm/atomicbox's files; the image itself is left for the
// next boot to recover on its own.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/anacrolix/torrent/metainfo"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/image/powercut"
)

// permOffset is where /perm starts in a gokrazy image (boot FAT and two
// root partitions before it); 1104 MiB exactly.
const permOffset = 1157627904

// resumeDuration keeps the written positions far from "watched".
const resumeDuration = 1e7

type config struct {
	img, origin, work, token, apiBase string
	key                               ed25519.PublicKey
	cuts                              int
	seed                              uint64
	bootTimeout                       time.Duration
}

func main() {
	var c config
	var key string
	flag.StringVar(&c.img, "img", "", "the box's disk image (raw; changed in place)")
	flag.StringVar(&c.origin, "origin", "", "the published origin directory (catalog, torrents, media)")
	flag.StringVar(&c.work, "work", "", "scratch directory")
	flag.StringVar(&c.token, "token", "", "a token already in the image's pairing.json")
	flag.StringVar(&key, "network-key", "", "the network's public key (base64)")
	flag.StringVar(&c.apiBase, "api", "http://127.0.0.1:8080", "the box's API as QEMU forwards it")
	flag.IntVar(&c.cuts, "cuts", 20, "power cuts")
	flag.Uint64Var(&c.seed, "seed", 0, "random seed; 0 = from the clock (printed)")
	flag.DurationVar(&c.bootTimeout, "boot-timeout", 4*time.Minute, "longest wait from QEMU start to the API's answer")
	flag.Parse()
	pub, err := catalog.ParsePublicKey(key)
	if err != nil || c.img == "" || c.origin == "" || c.work == "" || c.token == "" {
		fmt.Fprintln(os.Stderr, "usage: powercut -img IMG -origin DIR -work DIR -token TOKEN -network-key KEY [-cuts N]", err)
		os.Exit(2)
	}
	c.key = pub
	if c.seed == 0 {
		c.seed = uint64(time.Now().UnixNano())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
	defer cancel()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "powercut:", err)
		os.Exit(1)
	}
}

// episode is one published episode and its bytes.
type episode struct {
	id   string
	want []byte
}

func loadEpisodes(origin string) ([]episode, error) {
	data, err := os.ReadFile(filepath.Join(origin, catalog.CatalogFile))
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Parse(data)
	if err != nil {
		return nil, err
	}
	var eps []episode
	for _, sh := range cat.Shows {
		for _, ep := range sh.Episodes {
			mi, err := metainfo.LoadFromFile(filepath.Join(origin, filepath.FromSlash(ep.Torrent)))
			if err != nil {
				return nil, err
			}
			info, err := mi.UnmarshalInfo()
			if err != nil {
				return nil, err
			}
			b, err := os.ReadFile(filepath.Join(origin, publish.MediaDir, info.BestName()))
			if err != nil {
				return nil, err
			}
			eps = append(eps, episode{id: ep.ID, want: b})
		}
	}
	if len(eps) == 0 {
		return nil, errors.New("the origin's catalog has no episodes")
	}
	return eps, nil
}

// totals are the figures of the last line, plus failures: requests the
// box refused or cut while it was up and not being cut.
type totals struct {
	filesChecked, lost, corrupt, failures int
	bytesCompared                         atomic.Int64
	problems                              []string
}

func (t *totals) add(r *powercut.Report) {
	t.filesChecked += r.FilesChecked
	t.lost += r.LostAcknowledged
	t.corrupt += r.Corrupt
	t.problems = append(t.problems, r.Problems...)
}

func run(ctx context.Context, c config) error {
	start := time.Now()
	log := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "powercut: [%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	log("seed %d (rerun with -seed=%d)", c.seed, c.seed)
	rng := rand.New(rand.NewPCG(c.seed, c.seed>>1|1))
	eps, err := loadEpisodes(c.origin)
	if err != nil {
		return fmt.Errorf("origin: %w", err)
	}
	ids := make([]string, len(eps))
	for i, e := range eps {
		ids[i] = e.id
	}
	book := powercut.NewBook(ids)
	book.PairAcked(c.token)
	cl := &client{base: c.apiBase, token: c.token, http: &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}}}
	var tot totals
	var seq atomic.Int64
	var mu sync.Mutex
	failure := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		tot.failures++
		if len(tot.problems) < 40 {
			tot.problems = append(tot.problems, "failure: "+fmt.Sprintf(format, args...))
		}
	}
	var boots []time.Duration

	for cut := 0; cut <= c.cuts; cut++ {
		final := cut == c.cuts
		q, err := bootQEMU(ctx, c, cut)
		if err != nil {
			return err
		}
		duringBoot := !final && rng.IntN(100) < 15
		if duringBoot {
			// A cut while the box boots: mounting /perm, the daemon opening
			// and rewriting its state, the catalog being fetched.
			d := 3*time.Second + time.Duration(rng.Int64N(int64(20*time.Second)))
			log("cut %d: at %v, during boot", cut+1, d)
			sleepCtx(ctx, time.Until(q.started.Add(d)))
		} else {
			ready, err := cl.waitReady(ctx, q, len(eps), c.bootTimeout)
			if err != nil {
				q.kill()
				return fmt.Errorf("boot %d: %w\n%s", cut+1, err, q.serialTail())
			}
			boots = append(boots, ready)
			log("boot %d: API ready after %v", cut+1, ready.Round(100*time.Millisecond))
			// What the box serves must be what /perm held after the cut.
			for _, p := range cl.checkAPI(ctx, book) {
				tot.corrupt++
				tot.problems = append(tot.problems, fmt.Sprintf("boot %d: %s", cut+1, p))
			}
			if final {
				for _, e := range eps {
					n, err := cl.compareRange(ctx, e, 0, int64(len(e.want)))
					tot.bytesCompared.Add(n)
					if err != nil {
						failure("final stream %s: %v", e.id, err)
					}
				}
				q.kill()
				break
			}
			up := time.Second + time.Duration(rng.Int64N(int64(11*time.Second)))
			log("cut %d: %v after ready, under load", cut+1, up.Round(time.Millisecond))
			loadCtx, stopLoad := context.WithCancel(ctx)
			var cutting atomic.Bool
			var wg sync.WaitGroup
			load(loadCtx, &wg, cl, book, eps, &seq, &tot, &cutting, rng.Uint64(), failure)
			sleepCtx(ctx, up)
			cutting.Store(true)
			q.kill()
			stopLoad()
			wg.Wait()
		}
		if duringBoot {
			q.kill()
		}
		rep, err := checkPerm(ctx, c, book, cut)
		if err != nil {
			return fmt.Errorf("cut %d: read /perm: %w", cut+1, err)
		}
		tot.add(rep)
		log("cut %d: %d files checked, %d lost, %d corrupt", cut+1, rep.FilesChecked, rep.LostAcknowledged, rep.Corrupt)
		for _, p := range rep.Problems {
			log("cut %d: %s", cut+1, p)
		}
	}
	var sum time.Duration
	for _, b := range boots {
		sum += b
	}
	log("%d boots to a ready API, mean %v; %d failed requests while the box was up; wall %v",
		len(boots), (sum / time.Duration(max(len(boots), 1))).Round(100*time.Millisecond), tot.failures, time.Since(start).Round(time.Second))
	for _, p := range tot.problems {
		log("%s", p)
	}
	fmt.Printf("cuts=%d files_checked=%d bytes_compared=%d lost_acknowledged=%d corrupt=%d\n",
		c.cuts, tot.filesChecked, tot.bytesCompared.Load(), tot.lost, tot.corrupt)
	if tot.lost > 0 || tot.corrupt > 0 || tot.failures > 0 {
		return fmt.Errorf("%d acknowledged writes lost, %d corrupt, %d failed requests", tot.lost, tot.corrupt, tot.failures)
	}
	if tot.bytesCompared.Load() == 0 {
		return errors.New("no byte was compared")
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// load starts the client's writers and a streamer; they stop when ctx
// ends. A request that fails before cutting is set is a failure.
func load(ctx context.Context, wg *sync.WaitGroup, cl *client, book *powercut.Book, eps []episode,
	seq *atomic.Int64, tot *totals, cutting *atomic.Bool, seed uint64, failure func(string, ...any)) {
	pause := func(r *rand.Rand) {
		sleepCtx(ctx, time.Duration(50+r.IntN(250))*time.Millisecond)
	}
	report := func(what string, err error) {
		if err != nil && !cutting.Load() && ctx.Err() == nil {
			failure("%s: %v", what, err)
		}
	}
	wg.Add(5)
	go func() { // resume positions, one episode after another
		defer wg.Done()
		r := rand.New(rand.NewPCG(seed, 1))
		for ctx.Err() == nil {
			e := eps[r.IntN(len(eps))]
			reg := book.Resume[e.id]
			s := seq.Add(1)
			reg.Send(s)
			st, err := cl.do(ctx, http.MethodPut, "/api/resume/"+e.id, api.ResumeUpdate{Seconds: float64(s), DurationSeconds: resumeDuration}, nil)
			settle(reg, s, st, http.StatusNoContent, err)
			report("PUT resume", statusErr(st, http.StatusNoContent, err))
			pause(r)
		}
	}()
	go func() { // settings.json (keepFreePercent) and bandwidth.json (uplink) in one PUT
		defer wg.Done()
		r := rand.New(rand.NewPCG(seed, 2))
		for ctx.Err() == nil {
			s := seq.Add(1)
			kf, up := powercut.KeepFreeValue(s), int64(powercut.UplinkBase)+s
			book.KeepFree.Send(s)
			book.Uplink.Send(s)
			st, err := cl.do(ctx, http.MethodPut, "/api/settings", api.SettingsUpdate{KeepFreePercent: &kf, Uplink: &up}, nil)
			settle(&book.KeepFree, s, st, http.StatusOK, err)
			settle(&book.Uplink, s, st, http.StatusOK, err)
			report("PUT settings", statusErr(st, http.StatusOK, err))
			pause(r)
		}
	}()
	go func() { // keymap.json
		defer wg.Done()
		r := rand.New(rand.NewPCG(seed, 3))
		for ctx.Err() == nil {
			s := seq.Add(1)
			book.Keymap.Send(s)
			km := map[string]any{"version": 1, "defaults": true, "maps": []any{map[string]any{
				"name": "learned", "entries": []any{map[string]any{"protocol": "nec", "scancode": fmt.Sprintf("0x%04x", s), "key": "KEY_UP"}},
			}}}
			st, err := cl.do(ctx, http.MethodPut, "/api/remote/keymap", km, nil)
			settle(&book.Keymap, s, st, http.StatusNoContent, err)
			report("PUT keymap", statusErr(st, http.StatusNoContent, err))
			pause(r)
			pause(r)
		}
	}()
	go func() { // one pairing per boot, at a random moment
		defer wg.Done()
		r := rand.New(rand.NewPCG(seed, 4))
		sleepCtx(ctx, time.Duration(r.IntN(3000))*time.Millisecond)
		if ctx.Err() != nil || len(book.Tokens()) >= 28 { // the box keeps 32
			return
		}
		report("pairing", cl.pair(ctx, book))
	}()
	go func() { // ranges of episodes, every byte compared
		defer wg.Done()
		r := rand.New(rand.NewPCG(seed, 5))
		for ctx.Err() == nil {
			e := eps[r.IntN(len(eps))]
			size := int64(len(e.want))
			n := min(size, 64<<10+r.Int64N(1<<20))
			off := r.Int64N(size - n + 1)
			got, err := cl.compareRange(ctx, e, off, n)
			tot.bytesCompared.Add(got)
			if errors.Is(err, errCorrupt) {
				failure("stream %s: %v", e.id, err)
			} else {
				report("stream "+e.id, err)
			}
		}
	}()
}

// settle records the answer to a write of seq: acknowledged on want,
// refused on another status, still in flight when no answer came.
func settle(reg *powercut.Register, seq int64, status, want int, err error) {
	switch {
	case err != nil:
	case status == want:
		reg.Ack(seq)
	default:
		reg.Fail(seq)
	}
}

func statusErr(status, want int, err error) error {
	if err != nil {
		return err
	}
	if status != want {
		return fmt.Errorf("status %d, want %d", status, want)
	}
	return nil
}

// client talks to the box's API with a paired token.
type client struct {
	base, token string
	http        *http.Client
}

// do sends body (JSON, unless nil) and decodes a 2xx answer into out
// (unless nil). It returns the status, or an error when no answer came.
func (c *client) do(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, err
	}
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

var errCorrupt = errors.New("bytes differ from the published file")

// compareRange GETs [off, off+n) of e and compares every byte with the
// published file. It returns the bytes that arrived and matched.
func (c *client) compareRange(ctx context.Context, e episode, off, n int64) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/stream/"+e.id, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent && !(resp.StatusCode == http.StatusOK && off == 0 && n == int64(len(e.want))) {
		return 0, fmt.Errorf("range %d+%d: status %s", off, n, resp.Status)
	}
	var got int64
	buf := make([]byte, 64<<10)
	for {
		k, rerr := resp.Body.Read(buf)
		if k > 0 {
			if got+int64(k) > n {
				return got, fmt.Errorf("range %d+%d: more bytes than asked", off, n)
			}
			if !bytes.Equal(buf[:k], e.want[off+got:off+got+int64(k)]) {
				return got, fmt.Errorf("%w in [%d, %d)", errCorrupt, off+got, off+got+int64(k))
			}
			got += int64(k)
		}
		if rerr == io.EOF && got == n {
			return got, nil
		}
		if rerr != nil {
			return got, fmt.Errorf("range %d+%d: body ended after %d bytes: %v", off, n, got, rerr)
		}
	}
}

// pair pairs a new device the way a phone does: ask for a code, read it
// from the TV's event stream, send it back; the token the box answers
// with is acknowledged.
func (c *client) pair(ctx context.Context, book *powercut.Book) error {
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ectx, http.MethodGet, c.base+"/api/events", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("events: %s", resp.Status)
	}
	codes := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev api.Event
			if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == api.EventPairing && ev.Pairing != nil {
				codes <- ev.Pairing.Code
				return
			}
		}
	}()
	if st, err := c.do(ctx, http.MethodPost, "/api/pair/request", struct{}{}, nil); err != nil || st != http.StatusAccepted {
		return statusErr(st, http.StatusAccepted, err)
	}
	var code string
	select {
	case code = <-codes:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(10 * time.Second):
		return errors.New("no pairing code on the event stream within 10 s")
	}
	book.PairSent()
	var pr api.PairResponse
	st, err := c.do(ctx, http.MethodPost, "/api/pair", api.PairRequest{Code: code}, &pr)
	if err != nil || st != http.StatusOK {
		return statusErr(st, http.StatusOK, err)
	}
	book.PairAcked(pr.Token)
	return nil
}

// waitReady polls until the catalog lists n episodes and the stats list n
// torrents, and returns the time since QEMU started.
func (c *client) waitReady(ctx context.Context, q *qemu, n int, timeout time.Duration) (time.Duration, error) {
	deadline := q.started.Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if exited, err := q.exited(); exited {
			return 0, fmt.Errorf("QEMU exited: %v", err)
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		var cv api.CatalogView
		var st api.Stats
		status, err := c.do(rctx, http.MethodGet, "/api/catalog", nil, &cv)
		if err == nil && status == http.StatusOK {
			status, err = c.do(rctx, http.MethodGet, "/api/stats", nil, &st)
		}
		cancel()
		k := 0
		for _, s := range cv.Shows {
			k += len(s.Episodes)
		}
		switch {
		case err != nil:
			last = err
		case status != http.StatusOK:
			last = fmt.Errorf("status %d", status)
		case k != n || len(st.Torrents) != n:
			last = fmt.Errorf("catalog %d episodes, stats %d torrents, want %d", k, len(st.Torrents), n)
		default:
			return time.Since(q.started), nil
		}
		sleepCtx(ctx, 500*time.Millisecond)
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
	}
	return 0, fmt.Errorf("no ready API within %v (last: %v)", timeout, last)
}

// checkAPI compares what the booted box serves with the book (which
// CheckPerm rebased on /perm): resume positions, settings, the keymap and
// every acknowledged token. It returns one line per difference.
func (c *client) checkAPI(ctx context.Context, book *powercut.Book) []string {
	var bad []string
	for id, reg := range book.Resume {
		var r api.Resume
		if st, err := c.do(ctx, http.MethodGet, "/api/resume/"+id, nil, &r); err != nil || st != http.StatusOK {
			bad = append(bad, fmt.Sprintf("GET resume %s: %v", id, statusErr(st, http.StatusOK, err)))
		} else if int64(r.Seconds) != reg.Acked() {
			bad = append(bad, fmt.Sprintf("resume %s: the box says %v, /perm held %d", id, r.Seconds, reg.Acked()))
		}
	}
	var s api.SettingsView
	if st, err := c.do(ctx, http.MethodGet, "/api/settings", nil, &s); err != nil || st != http.StatusOK {
		bad = append(bad, fmt.Sprintf("GET settings: %v", statusErr(st, http.StatusOK, err)))
	} else {
		if a := book.KeepFree.Acked(); a != 0 && s.Storage.KeepFreePercent != powercut.KeepFreeValue(a) {
			bad = append(bad, fmt.Sprintf("keepFreePercent: the box says %d, /perm held %d", s.Storage.KeepFreePercent, powercut.KeepFreeValue(a)))
		}
		if a := book.Uplink.Acked(); a != 0 && s.Bandwidth.Uplink != powercut.UplinkBase+a {
			bad = append(bad, fmt.Sprintf("uplink: the box says %d, /perm held %d", s.Bandwidth.Uplink, powercut.UplinkBase+a))
		}
	}
	if a := book.Keymap.Acked(); a != 0 {
		var km struct {
			Maps []struct {
				Entries []struct {
					Scancode string `json:"scancode"`
				} `json:"entries"`
			} `json:"maps"`
		}
		want := fmt.Sprintf("0x%04x", a)
		if st, err := c.do(ctx, http.MethodGet, "/api/remote/keymap", nil, &km); err != nil || st != http.StatusOK {
			bad = append(bad, fmt.Sprintf("GET keymap: %v", statusErr(st, http.StatusOK, err)))
		} else if len(km.Maps) == 0 || len(km.Maps[0].Entries) == 0 || !strings.EqualFold(km.Maps[0].Entries[0].Scancode, want) {
			bad = append(bad, fmt.Sprintf("keymap: the box says %+v, /perm held %s", km.Maps, want))
		}
	}
	for i, tok := range book.Tokens() {
		tc := *c
		tc.token = tok
		if st, err := tc.do(ctx, http.MethodGet, "/api/pair/devices", nil, nil); err != nil || st != http.StatusOK {
			bad = append(bad, fmt.Sprintf("acknowledged token %d: %v", i+1, statusErr(st, http.StatusOK, err)))
		}
	}
	return bad
}

// qemu is one boot of the image.
type qemu struct {
	cmd     *exec.Cmd
	started time.Time
	serial  string
	done    chan struct{}
	err     error
}

func bootQEMU(ctx context.Context, c config, n int) (*qemu, error) {
	serial := filepath.Join(c.work, fmt.Sprintf("serial-%02d.log", n))
	cmd := exec.Command("qemu-system-x86_64", "-m", "2048", "-smp", "2", "-accel", "tcg",
		"-display", "none", "-vga", "none", "-device", "virtio-gpu-pci",
		// cache=none: see the package comment (the power cut).
		"-drive", "file="+c.img+",format=raw,if=virtio,cache=none",
		"-serial", "file:"+serial,
		"-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:8080-:8080,hostfwd=tcp:127.0.0.1:80-:80",
		"-device", "virtio-net-pci,netdev=n0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start QEMU: %w", err)
	}
	q := &qemu{cmd: cmd, started: time.Now(), serial: serial, done: make(chan struct{})}
	go func() { q.err = cmd.Wait(); close(q.done) }()
	return q, nil
}

// kill is the power cut: SIGKILL, then wait until QEMU is gone (its file
// descriptors closed, so the image holds all it will ever hold).
func (q *qemu) kill() {
	q.cmd.Process.Signal(syscall.SIGKILL)
	<-q.done
}

func (q *qemu) exited() (bool, error) {
	select {
	case <-q.done:
		return true, q.err
	default:
		return false, nil
	}
}

func (q *qemu) serialTail() string {
	b, _ := os.ReadFile(q.serial)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// checkPerm copies /perm out of the image, replays its journal there and
// judges /perm/atomicbox's files (see the package comment).
func checkPerm(ctx context.Context, c config, book *powercut.Book, n int) (*powercut.Report, error) {
	perm := filepath.Join(c.work, "perm.img")
	out := filepath.Join(c.work, fmt.Sprintf("perm-%02d", n))
	os.Remove(perm)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	if msg, err := exec.CommandContext(ctx, "dd", "if="+c.img, "of="+perm, "bs=1M", fmt.Sprintf("skip=%d", permOffset>>20),
		"conv=sparse", "status=none").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("dd: %v: %s", err, msg)
	}
	defer os.Remove(perm)
	fsck := exec.CommandContext(ctx, "e2fsck", "-fy", perm)
	msg, err := fsck.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() < 4 {
		err = nil // 1 and 2: errors corrected (a replayed journal is one)
	}
	if err != nil {
		rep := &powercut.Report{Corrupt: 1, Problems: []string{fmt.Sprintf("e2fsck: %v: %s", err, msg)}}
		return rep, nil
	}
	var script strings.Builder
	for _, d := range powercut.Dirs {
		src := filepath.Join("atomicbox", d)
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			return nil, err
		}
		ls, err := exec.CommandContext(ctx, "debugfs", "-R", "ls -p "+src, perm).Output()
		if err != nil {
			return nil, fmt.Errorf("debugfs ls %s: %w", src, err)
		}
		for _, line := range strings.Split(string(ls), "\n") {
			// /inode/mode/uid/gid/name/size/; regular files only
			f := strings.Split(line, "/")
			if len(f) < 7 || !strings.HasPrefix(f[2], "100") || f[5] == "" {
				continue
			}
			fmt.Fprintf(&script, "dump %s/%s %s\n", src, f[5], filepath.Join(out, d, f[5]))
		}
	}
	dump := exec.CommandContext(ctx, "debugfs", "-f", "-", perm)
	dump.Stdin = strings.NewReader(script.String())
	if msg, err := dump.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("debugfs dump: %v: %s", err, msg)
	}
	return powercut.CheckPerm(out, book, c.key)
}
