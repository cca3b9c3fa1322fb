// Command atomicboxd is the box's daemon: it follows the channel's signed
// catalog, streams and seeds its episodes over BitTorrent (the origin is
// only a web seed) and serves the HTTP API for the TV UI and phones.
//
// It reads and writes only the -data directory:
//
//	catalog/            last good catalog.json + catalog.json.sig
//	torrents/<id>.torrent   checked against the signed info hash
//	media/<id>.mp4      episode files (a script may pre-place complete files
//	                    here before the first start; they are hashed and seeded)
//	swarm/              piece completion records; swarm/running while up
//	                    (found at start = unclean stop: everything is re-verified)
//	posters/            cached poster images
//	resume.json         playback positions
//	pairing.json        hashes of paired phones' tokens
//	settings.json       disk budget (keep-free share) and TV video mode
//	bandwidth.json      upload/download caps and the overnight window
//	ledger.json         contribution ledger (per UTC day and torrent)
//	boxkey              the box's ed25519 key signing ledger reports (0600)
//	wifi.json           the Wi-Fi network joined last, with its passphrase (0600)
//
// It also reads atomicbox.txt on the boot partition (-boot-config, moved
// into the data dir as bootconfig.json) and the settings baked into the
// image (-baked-config): the channel and key come from the flags, else
// atomicbox.txt, else the image. It serves the API on -listen and
// BitTorrent on -bt-port. Missing channel or network key exits 125 so
// gokrazy does not restart it. With -wifi it joins the Wi-Fi network that
// atomicbox.txt (wifi_ssid, wifi_psk) or the API names, runs DHCP on it and
// writes the DNS servers to -wifi-resolv-conf.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // gokrazy has no zoneinfo: -timezone needs the embedded database

	"github.com/atomicnetwork/atomicbox/appliance/box"
	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/dhcp4"
	"github.com/atomicnetwork/atomicbox/appliance/remotes"
	"github.com/atomicnetwork/atomicbox/appliance/swarm"
	"github.com/atomicnetwork/atomicbox/appliance/wifi"
)

// exitConfig tells gokrazy not to restart a daemon that cannot work.
const exitConfig = 125

type peerList []string

func (p *peerList) String() string     { return strings.Join(*p, ",") }
func (p *peerList) Set(s string) error { *p = append(*p, s); return nil }

type flags struct {
	data, listen, channel, key, keyFile string
	btPort                              int
	peers                               peerList
	refresh, policyEvery                time.Duration
	noDHT, noTrackers, utp, push        bool
	conns                               int // peer connections per episode; 0 = swarm.DefaultConnsPerTorrent
	seedConns                           int // peer connections per fully held episode; 0 = three times conns
	sendQueue                           int // bytes unsent per peer connection; 0 = swarm.DefaultSendQueue, -1 = the kernel's
	apiAllowPublic                      bool
	irChip, cecDevice, inputDir         string
	irLine                              int
	grabInput                           bool
	bootConfig, baked                   string
	timezone                            string
	wifi, wifiResolvConf                string
	collector                           string
}

// version is set at build time: -ldflags "-X main.version=2026.11.25-abc1234".
var version = "dev"

// errConfig marks configuration errors (exit 125).
var errConfig = errors.New("configuration")

func main() {
	var f flags
	flag.StringVar(&f.data, "data", "/perm/atomicbox", "data directory")
	flag.StringVar(&f.listen, "listen", "127.0.0.1:8080", "API listen address (the box image uses :8080)")
	flag.StringVar(&f.channel, "channel", "", "channel base URL, e.g. https://tv.example/channel/")
	flag.StringVar(&f.key, "network-key", "", "the network's ed25519 public key (base64)")
	flag.StringVar(&f.keyFile, "network-key-file", "", "file holding the network key (instead of -network-key)")
	flag.IntVar(&f.btPort, "bt-port", 42069, "BitTorrent port (0 = random)")
	flag.Var(&f.peers, "peer", "host:port of a peer to add to every torrent (repeatable)")
	flag.DurationVar(&f.refresh, "refresh", 5*time.Minute, "catalog refresh interval")
	flag.DurationVar(&f.policyEvery, "policy-every", time.Minute, "interval of the disk and pre-fetch rounds (the benchmark's premiere shortens it)")
	flag.BoolVar(&f.noDHT, "no-dht", false, "disable the DHT")
	flag.BoolVar(&f.noTrackers, "no-trackers", false, "do not announce to trackers")
	flag.BoolVar(&f.apiAllowPublic, "api-allow-public", false, "answer API requests from addresses that are not loopback, link-local or private (a global IPv6 address, a forwarded port); paired devices only, as always")
	flag.BoolVar(&f.push, "push", false, "speak atomicbox_push: ask peers to push the pieces a stream needs within seconds, and push theirs, earliest deadline first (off: it raised rebuffering in the 30-box flash crowd)")
	flag.IntVar(&f.conns, "conns-per-episode", 0, "peer connections per episode (0 = the swarm's default; a fully held episode gets three times as many)")
	flag.IntVar(&f.seedConns, "seed-conns", 0, "peer connections per fully held episode (0 = three times -conns-per-episode); the network's seed box on a server uplink: about its uplink over half the bit rate, e.g. 250 at 1 Gbit/s and 8 Mbit/s")
	flag.IntVar(&f.sendQueue, "send-queue", 0, "bytes each peer TCP connection may hold unsent in the kernel (0 = the swarm's default, 16 KiB; -1 = the kernel's own, megabytes: side-by-side runs)")
	flag.BoolVar(&f.utp, "utp", false, "also speak BitTorrent over uTP (TCP only by default: anacrolix's uTP costs CPU per packet)")
	flag.IntVar(&f.irLine, "ir-line", -1, "GPIO line of the IR receiver (the box image uses 18); -1 = no IR")
	flag.StringVar(&f.irChip, "ir-chip", "", "GPIO chip of the IR receiver (default: found by label, Pi 4 and Pi 5)")
	flag.StringVar(&f.cecDevice, "cec", "", "HDMI-CEC adapter, e.g. /dev/cec0 (the TV's own remote); empty = none")
	flag.StringVar(&f.inputDir, "input-dir", "", "input devices to watch for keyboards and USB IR receivers, e.g. /dev/input; empty = none")
	flag.StringVar(&f.bootConfig, "boot-config", "", `where the box configuration file (atomicbox.txt) comes from: "" = nowhere (desktop), "auto" = the boot partition (the image), or a directory`)
	flag.StringVar(&f.baked, "baked-config", "", "file of settings built into the image (atomicbox.txt format, written by make image CHANNEL=… NETWORK_KEY=…): used where the flags and atomicbox.txt leave a value unset")
	flag.BoolVar(&f.grabInput, "grab-input", false, "grab input devices exclusively (on the box; never on a desktop)")
	flag.StringVar(&f.timezone, "timezone", "", "household time zone for the overnight window, e.g. Europe/Berlin (default: $TZ, else UTC)")
	flag.StringVar(&f.wifi, "wifi", "", `Wi-Fi station interface: "" = no Wi-Fi (desktop), "auto" = the first one the kernel has (the Pi image), or a name such as wlan0`)
	flag.StringVar(&f.wifiResolvConf, "wifi-resolv-conf", "/tmp/resolv.conf", "where the Wi-Fi DHCP lease's DNS servers are written (gokrazy's /etc/resolv.conf points there); empty = nowhere")
	flag.StringVar(&f.collector, "collector", "", "the network's contribution collector (atomicpublish collect), e.g. https://tv.example/collector: the box sends it its signed daily reports hourly and shows what it confirmed; empty = none")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile (pprof) to this file until the daemon stops (the benchmark profiles a box with it)")
	memLimit := flag.Int64("memory-limit", 100<<20, "soft memory limit in bytes for the Go runtime (GOMEMLIMIT in the environment wins): the daemon shares a 1 GiB Pi with the UI; seeding 100 torrents peaked at 159 MiB without it, 103 MiB with 100 MiB")
	flag.Parse()
	if os.Getenv("GOMEMLIMIT") == "" && *memLimit > 0 {
		debug.SetMemoryLimit(*memLimit)
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			log.Error("atomicboxd", "err", err)
			os.Exit(1)
		}
		defer stopProfile()
	}
	if err := run(ctx, f, log); err != nil {
		stopProfileBeforeExit()
		log.Error("atomicboxd", "err", err)
		if errors.Is(err, errConfig) {
			os.Exit(exitConfig)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, f flags, log *slog.Logger) error {
	seed, fresh := applyBootConfig(&f, log)
	if f.conns < 0 || f.conns > 1000 {
		return fmt.Errorf("%w: -conns-per-episode %d: want 0 (the default) to 1000", errConfig, f.conns)
	}
	if f.seedConns < 0 || f.seedConns > 5000 {
		return fmt.Errorf("%w: -seed-conns %d: want 0 (the default) to 5000", errConfig, f.seedConns)
	}
	if f.channel == "" {
		return fmt.Errorf("%w: no -channel given; set the channel base URL", errConfig)
	}
	if !strings.HasSuffix(f.channel, "/") {
		f.channel += "/"
	}
	keyText := f.key
	if f.keyFile != "" {
		b, err := os.ReadFile(f.keyFile)
		if err != nil {
			return fmt.Errorf("%w: -network-key-file: %v", errConfig, err)
		}
		keyText = strings.TrimSpace(string(b))
	}
	if keyText == "" {
		return fmt.Errorf("%w: no -network-key or -network-key-file given", errConfig)
	}
	pub, err := catalog.ParsePublicKey(keyText)
	if err != nil {
		return fmt.Errorf("%w: network key: %v", errConfig, err)
	}
	if err := os.MkdirAll(f.data, 0o755); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", f.listen, err)
	}
	loc := time.Local
	if f.timezone != "" {
		if loc, err = time.LoadLocation(f.timezone); err != nil {
			ln.Close()
			return fmt.Errorf("%w: -timezone: %v", errConfig, err)
		}
	}
	host, _ := os.Hostname()
	rc := &remotes.Config{CECDevice: f.cecDevice, InputDir: f.inputDir, GrabInput: f.grabInput}
	if f.irLine >= 0 {
		rc.IR = &remotes.IRConfig{Chip: f.irChip, Line: f.irLine}
	}
	d, err := box.StartDaemon(ctx, box.DaemonConfig{
		DataDir: f.data, ChannelURL: f.channel, PublicKey: pub, Listener: ln, Refresh: f.refresh, Policy: f.policyEvery, Log: log, Remote: rc,
		Location: loc, Version: version, Hostname: host, Wifi: wifiConfig(f, host, seed, fresh, log), WatchNetwork: true,
		APIAllowPublic: f.apiAllowPublic, CollectorURL: f.collector,
		Swarm: swarm.Config{Port: f.btPort, Peers: f.peers, DisableDHT: f.noDHT, DisableTrackers: f.noTrackers, UTP: f.utp, Push: f.push, EstablishedConnsPerTorrent: f.conns, HeldConnsPerTorrent: f.seedConns, SendQueue: f.sendQueue},
	})
	if err != nil {
		ln.Close()
		return err
	}
	<-ctx.Done()
	log.Info("stopping")
	cctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return d.Close(cctx)
}

// wifiConfig is the daemon's Wi-Fi client as the flags ask for it (nil
// when -wifi is empty).
func wifiConfig(f flags, host string, seed *wifi.Network, fresh bool, log *slog.Logger) *box.WifiConfig {
	if f.wifi == "" {
		if seed != nil {
			log.Warn("atomicbox.txt names a Wi-Fi network but -wifi is off", "ssid", seed.SSID)
		}
		return nil
	}
	name := f.wifi
	if name == "auto" {
		name = ""
	}
	return &box.WifiConfig{
		Open: func(ctx context.Context) (wifi.Radio, error) { return wifi.OpenNL80211(name, log) },
		DHCP: &dhcp4.Client{Log: log, Hostname: host, ResolvConf: f.wifiResolvConf},
		Seed: seed, SeedOverride: fresh,
	}
}

// stopProfileBeforeExit is set while a CPU profile is written: os.Exit
// skips deferred calls, so an exit on error stops the profile first.
var stopProfileBeforeExit = func() {}

// startCPUProfile writes a CPU profile to path until the returned stop is
// called (stop is safe to call more than once).
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			pprof.StopCPUProfile()
			f.Close()
		})
	}
	stopProfileBeforeExit = stop
	return stop, nil
}
