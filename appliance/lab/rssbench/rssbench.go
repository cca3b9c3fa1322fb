// Package rssbench measures a seeding atomicboxd's memory and CPU: many
// torrents of generated content seeded to in-process leechers over
// loopback, which check every byte they receive.
package rssbench

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
	"golang.org/x/time/rate"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/lab/crashtest"
	"github.com/atomicnetwork/atomicbox/appliance/lab/procstat"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/swarm"
)

// hdBytesPerSecond is the generated episodes' nominal bit rate (8 Mbit/s,
// an HD episode): it sets their duration in the catalog and so the
// publisher's piece length (256 KiB), which sets what the daemon keeps per
// byte seeded.
const hdBytesPerSecond = 1e6

// Config is one benchmark run. Zero values are the small defaults.
type Config struct {
	Bin         string        // atomicboxd to run
	Work        string        // scratch directory (origin, daemon data dir, logs)
	Torrents    int           // episodes seeded; default 10
	Size        int64         // bytes per episode; default 16 MiB
	Leechers    int           // in-process leecher clients; default 4
	PerLeecher  int           // torrents each leecher downloads at once; default Torrents/Leechers (at least 1)
	LeecherRate int64         // download cap per leecher, bytes/s; 0 = 2 MiB/s
	Warmup      time.Duration // seeding before sampling starts; default 5 s
	Duration    time.Duration // sampling time; default 15 s
	Interval    time.Duration // between samples; default 500 ms
	DaemonEnv   []string      // extra environment for the daemon, e.g. GOMEMLIMIT=100MiB
	Log         *slog.Logger  // progress; nil = discard
}

// Result holds the figures of one run.
type Result struct {
	Torrents, Leechers int
	TotalBytes         int64         // content seeded
	PublishTime        time.Duration // the publisher hashing every episode
	VerifyTime         time.Duration // daemon start to every episode complete (it hashes the placed files)
	IdleRSS            int64         // bytes, after verifying, before leechers
	SteadyRSSMean      int64         // bytes, mean over the sampling window
	SteadyRSSMax       int64         // bytes, largest sample in the window
	PeakRSS            int64         // VmHWM at the end: the largest RSS of the whole run
	VerifyCPU          float64       // % of one core while verifying
	SteadyCPU          float64       // % of one core while seeding
	UploadRate         float64       // bytes/s the leechers received in the window
	Samples            int
	// Checked is how many bytes the leechers received that were the
	// episode's content at that offset, Wrong how many chunk writes were
	// not, over the whole run.
	Checked, Wrong int64
}

func (c *Config) defaults() {
	if c.Torrents == 0 {
		c.Torrents = 10
	}
	if c.Size == 0 {
		c.Size = 16 << 20
	}
	if c.Leechers == 0 {
		c.Leechers = 4
	}
	if c.PerLeecher == 0 {
		c.PerLeecher = max(1, c.Torrents/c.Leechers)
	}
	if c.LeecherRate == 0 {
		c.LeecherRate = 2 << 20
	}
	if c.Warmup == 0 {
		c.Warmup = 5 * time.Second
	}
	if c.Duration == 0 {
		c.Duration = 15 * time.Second
	}
	if c.Interval == 0 {
		c.Interval = 500 * time.Millisecond
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Run publishes the channel (episodeBytes content), places the episode
// files in a fresh data dir (hard links to the publisher's), starts the daemon, waits until it has verified them,
// then runs the leechers and samples the daemon's /proc figures. It blocks
// for the whole run (about Warmup + Duration plus hashing) and stops the
// daemon before returning.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg.defaults()
	res := Result{Torrents: cfg.Torrents, Leechers: cfg.Leechers, TotalBytes: int64(cfg.Torrents) * cfg.Size}
	if cfg.Size%(256<<10) != 0 {
		return res, fmt.Errorf("size %d is not a multiple of 256 KiB", cfg.Size)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	baseURL := "http://" + ln.Addr().String() + "/"
	t0 := time.Now()
	ch, err := publishContent(ctx, cfg.Work, baseURL, cfg.Torrents, cfg.Size)
	if err != nil {
		ln.Close()
		return res, err
	}
	res.PublishTime = time.Since(t0)
	cfg.Log.Info("published", "torrents", cfg.Torrents, "bytes", res.TotalBytes, "took", res.PublishTime)
	srv := &http.Server{Handler: publish.NewOrigin(ch.Dir, publish.OriginOptions{}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	data := filepath.Join(cfg.Work, "box")
	media := filepath.Join(data, swarm.MediaDir)
	if err := os.MkdirAll(media, 0o755); err != nil {
		return res, err
	}
	for i, id := range ch.ids {
		// A link keeps one copy of the content on disk (100 episodes of
		// 52 MiB are 5.1 GiB); the daemon only reads its media files.
		dst := filepath.Join(media, ch.Names[id])
		if err := os.Link(ch.src[i], dst); err != nil {
			if err := writeEpisode(dst, i+1, cfg.Size); err != nil {
				return res, err
			}
		}
	}
	apiPort, err := crashtest.FreePort()
	if err != nil {
		return res, err
	}
	btPort, err := crashtest.FreePort()
	if err != nil {
		return res, err
	}
	logPath := filepath.Join(cfg.Work, "atomicboxd.log")
	t0 = time.Now()
	p, err := crashtest.Start(ctx, cfg.Bin, crashtest.DaemonArgs(data, apiPort, btPort, ch.Channel), logPath, cfg.DaemonEnv...)
	if err != nil {
		return res, err
	}
	defer p.Stop(20 * time.Second)
	api := &apiClient{base: fmt.Sprintf("http://127.0.0.1:%d", apiPort), client: &http.Client{Timeout: 10 * time.Second}}
	before, _ := procstat.ReadProc("/proc", p.Pid())
	if err := waitComplete(ctx, api, p, cfg.Torrents); err != nil {
		return res, fmt.Errorf("%w (log: %s)", err, logPath)
	}
	res.VerifyTime = time.Since(t0)
	idle, err := procstat.ReadProc("/proc", p.Pid())
	if err != nil {
		return res, err
	}
	res.IdleRSS = idle.RSS
	res.VerifyCPU = cpuPercent(idle.CPUTicks-before.CPUTicks, res.VerifyTime)
	cfg.Log.Info("daemon verified the placed files", "took", res.VerifyTime, "rss_mib", idle.RSS>>20)

	lctx, stopLeechers := context.WithCancel(ctx)
	var checked, wrong atomic.Int64
	store := checkStorage{episodes: ch.hashes, checked: &checked, wrong: &wrong}
	counts := make([]atomic.Int64, cfg.Leechers)
	received := func() (n int64) {
		for i := range counts {
			n += counts[i].Load()
		}
		return n
	}
	errc := make(chan error, cfg.Leechers)
	var wg sync.WaitGroup
	for i := range cfg.Leechers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []string
			for k := range cfg.PerLeecher {
				mine = append(mine, ch.ids[(i*cfg.PerLeecher+k)%len(ch.ids)])
			}
			if err := leech(lctx, ch, store, mine, fmt.Sprintf("127.0.0.1:%d", btPort), rate.Limit(cfg.LeecherRate), &counts[i]); err != nil {
				errc <- fmt.Errorf("leecher %d: %w", i, err)
			}
		}()
	}
	defer func() { stopLeechers(); wg.Wait() }()

	select {
	case <-time.After(cfg.Warmup):
	case err := <-errc:
		return res, err
	case <-ctx.Done():
		return res, ctx.Err()
	}
	start, err := procstat.ReadProc("/proc", p.Pid())
	if err != nil {
		return res, err
	}
	startBytes, startTime := received(), time.Now()
	var sum int64
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	last := start
	for time.Since(startTime) < cfg.Duration {
		select {
		case <-tick.C:
		case err := <-errc:
			return res, err
		case <-ctx.Done():
			return res, ctx.Err()
		}
		if exited, err := p.Exited(); exited {
			return res, fmt.Errorf("atomicboxd exited while seeding: %v (log: %s)", err, logPath)
		}
		s, err := procstat.ReadProc("/proc", p.Pid())
		if err != nil {
			return res, err
		}
		res.Samples++
		sum += s.RSS
		res.SteadyRSSMax = max(res.SteadyRSSMax, s.RSS)
		last = s
	}
	elapsed := time.Since(startTime)
	res.SteadyRSSMean = sum / int64(max(res.Samples, 1))
	res.SteadyCPU = cpuPercent(last.CPUTicks-start.CPUTicks, elapsed)
	res.UploadRate = float64(received()-startBytes) / elapsed.Seconds()
	res.PeakRSS = last.HWM
	stopLeechers()
	wg.Wait()
	res.Checked, res.Wrong = checked.Load(), wrong.Load()
	return res, nil
}

func cpuPercent(ticks int64, d time.Duration) float64 {
	return 100 * float64(ticks) / procstat.ClockTicks / d.Seconds()
}

type contentChannel struct {
	*crashtest.Channel
	ids    []string
	src    []string              // the episodes' files, as published
	hashes map[metainfo.Hash]int // infohash -> episode number (episodeBytes)
}

// publishContent publishes n episodes of size bytes, episode i (from 1)
// holding episodeBytes(i).
func publishContent(ctx context.Context, work, baseURL string, n int, size int64) (*contentChannel, error) {
	src := filepath.Join(work, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return nil, err
	}
	show := publish.ManifestShow{ID: "load", Title: "Load"}
	var ids, files []string
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("z%03d", i)
		video := filepath.Join(src, id+".mp4")
		if err := writeEpisode(video, i, size); err != nil {
			return nil, err
		}
		ids, files = append(ids, id), append(files, video)
		show.Episodes = append(show.Episodes, publish.ManifestEpisode{ID: id, Season: 1, Number: i, Title: id, Video: video, DurationSeconds: float64(size) / hdBytesPerSecond})
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(work, "origin")
	c, err := publish.Publish(ctx, &publish.Manifest{Network: "Load Channel", Shows: []publish.ManifestShow{show}}, src,
		publish.Options{OriginDir: dir, BaseURL: baseURL, Key: key})
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	ch := &crashtest.Channel{Dir: dir, BaseURL: baseURL, Key: key, Catalog: c, Files: map[string]string{}, Names: map[string]string{}}
	hashes := make(map[metainfo.Hash]int)
	for i, id := range ids {
		ch.Names[id] = id + ".mp4"
		ch.Files[id] = filepath.Join(dir, publish.MediaDir, id+".mp4")
		mi, err := metainfo.LoadFromFile(filepath.Join(dir, publish.TorrentDir, id+".torrent"))
		if err != nil {
			return nil, err
		}
		hashes[mi.HashInfoBytes()] = i + 1
	}
	return &contentChannel{Channel: ch, ids: ids, src: files, hashes: hashes}, nil
}

type apiClient struct {
	base   string
	client *http.Client
}

// waitComplete polls /api/stats until n torrents are listed complete.
func waitComplete(ctx context.Context, c *apiClient, p *crashtest.Process, n int) error {
	var last error
	for {
		if exited, err := p.Exited(); exited {
			return fmt.Errorf("atomicboxd exited: %v", err)
		}
		st, err := c.stats(ctx)
		if err != nil {
			last = err
		} else {
			done := 0
			for _, t := range st.Torrents {
				if t.Completion >= 1 {
					done++
				}
			}
			if done == n {
				return nil
			}
			last = fmt.Errorf("%d of %d torrents listed, %d complete", len(st.Torrents), n, done)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the daemon to verify: %w (last: %v)", ctx.Err(), last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (c *apiClient) stats(ctx context.Context) (api.Stats, error) {
	var s api.Stats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/stats", nil)
	if err != nil {
		return s, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("GET /api/stats: %s", resp.Status)
	}
	return s, jsonDecode(resp.Body, &s)
}

// leech runs one leecher client: it downloads each of its episodes from
// the daemon (never from the origin: the web seed is stripped) into store,
// which checks every byte, drops it when complete and starts again, until
// ctx ends. received is kept at the
// client's useful bytes read (updated every 200 ms). It blocks until ctx ends; errors are setup failures.
func leech(ctx context.Context, ch *contentChannel, store checkStorage, ids []string, daemon string, limit rate.Limit, received *atomic.Int64) error {
	tc := torrent.NewDefaultClientConfig()
	tc.DefaultStorage = store
	tc.Seed = false
	tc.NoUpload = true
	tc.DisablePEX = true
	tc.NoDHT = true
	tc.DisableTrackers = true
	tc.DisableUTP = true
	tc.DisableIPv6 = true
	tc.NoDefaultPortForwarding = true
	tc.ListenPort = 0
	tc.ListenHost = func(string) string { return "127.0.0.1" }
	tc.DownloadRateLimiter = rate.NewLimiter(limit, 256<<10)
	tc.Slogger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cl, err := torrent.NewClient(tc)
	if err != nil {
		return err
	}
	defer cl.Close()
	addr, err := net.ResolveTCPAddr("tcp", daemon)
	if err != nil {
		return err
	}
	var mis []*metainfo.MetaInfo
	for _, id := range ids {
		mi, err := metainfo.LoadFromFile(filepath.Join(ch.Dir, publish.TorrentDir, id+".torrent"))
		if err != nil {
			return err
		}
		mi.UrlList = nil
		mis = append(mis, mi)
	}
	var wg sync.WaitGroup
	for _, mi := range mis {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t, err := cl.AddTorrent(mi)
				if err != nil {
					return
				}
				t.AddPeers([]torrent.PeerInfo{{Addr: addr, Trusted: true}})
				t.DownloadAll()
				select {
				case <-t.Complete().On():
				case <-ctx.Done():
				}
				t.Drop()
			}
		}()
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		st := cl.Stats()
		received.Store(st.BytesReadUsefulData.Int64())
		select {
		case <-tick.C:
		case <-ctx.Done():
			wg.Wait()
			return nil
		}
	}
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

// WriteTable prints r as a table and a last line of key=value figures
// (sizes in MiB, CPU in % of one core, times in seconds).
func WriteTable(w io.Writer, r Result, budget int64) {
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	fmt.Fprintf(w, "seeding %d torrents (%.0f MiB) to %d leechers\n", r.Torrents, mib(r.TotalBytes), r.Leechers)
	fmt.Fprintf(w, "%-34s %10s\n", "figure", "value")
	for _, row := range []struct {
		name string
		v    string
	}{
		{"publisher hashing", fmt.Sprintf("%.1f s", r.PublishTime.Seconds())},
		{"daemon start to all verified", fmt.Sprintf("%.1f s", r.VerifyTime.Seconds())},
		{"daemon CPU while verifying", fmt.Sprintf("%.0f %%", r.VerifyCPU)},
		{"RSS idle (after verifying)", fmt.Sprintf("%.1f MiB", mib(r.IdleRSS))},
		{"RSS seeding, mean", fmt.Sprintf("%.1f MiB", mib(r.SteadyRSSMean))},
		{"RSS seeding, max sample", fmt.Sprintf("%.1f MiB", mib(r.SteadyRSSMax))},
		{"RSS peak (VmHWM, whole run)", fmt.Sprintf("%.1f MiB", mib(r.PeakRSS))},
		{"daemon CPU while seeding", fmt.Sprintf("%.0f %%", r.SteadyCPU)},
		{"upload to leechers", fmt.Sprintf("%.1f MiB/s", r.UploadRate/(1<<20))},
		{"leecher bytes checked, whole run", fmt.Sprintf("%.1f MiB", mib(r.Checked))},
		{"leecher chunks not the content", fmt.Sprintf("%d", r.Wrong)},
		{"RSS budget", fmt.Sprintf("%.0f MiB", mib(budget))},
	} {
		fmt.Fprintf(w, "%-34s %10s\n", row.name, row.v)
	}
	fmt.Fprintf(w, "torrents=%d leechers=%d content_mib=%.0f publish_s=%.1f verify_s=%.1f verify_cpu_pct=%.0f idle_rss_mib=%.1f steady_rss_mib=%.1f steady_rss_max_mib=%.1f peak_rss_mib=%.1f seed_cpu_pct=%.0f upload_mibps=%.1f checked_mib=%.1f wrong_chunks=%d budget_mib=%.0f within_budget=%t\n",
		r.Torrents, r.Leechers, mib(r.TotalBytes), r.PublishTime.Seconds(), r.VerifyTime.Seconds(), r.VerifyCPU,
		mib(r.IdleRSS), mib(r.SteadyRSSMean), mib(r.SteadyRSSMax), mib(r.PeakRSS), r.SteadyCPU, r.UploadRate/(1<<20), mib(r.Checked), r.Wrong, mib(budget), r.PeakRSS <= budget)
}
