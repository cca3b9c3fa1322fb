// Command atomictv is the TV interface: it reads the daemon's API (-api),
// draws the first-boot pages, the home screen and settings and plays episodes in one libmpv
// window, and writes only its cache dir (backdrop, scaled posters, mpv
// config). On a bare console (-profile tv, or auto without a display) it
// probes /dev and /sys for the video path and logs the choice.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/atomicnetwork/atomicbox/ui/daemon"
	"github.com/atomicnetwork/atomicbox/ui/mpv"
	"github.com/atomicnetwork/atomicbox/ui/screens"
	"github.com/atomicnetwork/atomicbox/ui/tv"
)

func main() {
	apiURL := flag.String("api", "http://127.0.0.1:8080", "the daemon's API base URL")
	profile := flag.String("profile", "auto", "display environment: auto (desktop when DISPLAY or WAYLAND_DISPLAY is set, else tv), desktop (X11 window), headless (no output) or tv (DRM console)")
	flag.StringVar(profile, "vo", "auto", "alias of -profile")
	fonts := flag.String("fonts", "", "directory of TTF fonts (used instead of fontconfig, as on gokrazy)")
	geometry := flag.String("geometry", "1920x1080+0+0", "window geometry (desktop)")
	fullscreen := flag.Bool("fullscreen", true, "full screen window (desktop)")
	cacheDir := flag.String("cache", "", "cache dir for posters and mpv config (default: user cache dir)/atomictv")
	stateDir := flag.String("state", "", "directory for the TV's own state, the per-show audio and subtitle choices (default: user config dir/atomictv, under $HOME: /perm/home/atomictv on gokrazy)")
	shotDir := flag.String("screenshot-dir", "", "mpv's screenshot directory (for tests)")
	selftest := flag.String("selftest-play", "", "play this file headless to its end and exit (0 = played): the image's runtime check")
	drmMode := flag.String("drm-mode", "", "tv: output mode, overriding the one in the daemon's settings (default 1920x1080@60)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *selftest != "" {
		if err := selftestPlay(ctx, *selftest, *fonts); err != nil {
			fmt.Fprintln(os.Stderr, "atomictv: selftest:", err)
			os.Exit(1)
		}
		return
	}
	err := run(ctx, options{*apiURL, mpv.Profile(*profile), *fonts, *geometry, *fullscreen, *cacheDir, *stateDir, *shotDir, *drmMode})
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "atomictv:", err)
		os.Exit(1)
	}
}

type options struct {
	api        string
	profile    mpv.Profile
	fonts      string
	geometry   string
	fullscreen bool
	cacheDir   string
	stateDir   string
	shotDir    string
	drmMode    string
}

func run(ctx context.Context, o options) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if o.cacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		o.cacheDir = filepath.Join(base, "atomictv")
	}
	if o.stateDir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			base = os.TempDir()
		}
		o.stateDir = filepath.Join(base, "atomictv")
	}
	client, err := daemon.New(o.api, nil)
	if err != nil {
		return err
	}
	if o.profile == "auto" {
		o.profile = mpv.AutoProfile(os.Getenv)
	}
	env := mpv.Env{Profile: o.profile, ConfigDir: filepath.Join(o.cacheDir, "mpv"), FontsDir: o.fonts, Geometry: o.geometry, Fullscreen: o.fullscreen}
	video := mpv.ProfilePlayback(o.profile)
	if o.profile == mpv.TV {
		video = tvPlayback(ctx, client, o.drmMode, log)
		env.Video = video
	}
	if err := mpv.PrepareConfigDir(env.ConfigDir, env.FontsDir); err != nil {
		return err
	}
	opts, err := mpv.Options(env)
	if err != nil {
		return err
	}
	if o.shotDir != "" {
		opts = append(opts, mpv.Option{Name: "screenshot-directory", Value: o.shotDir})
	}
	log.Info("video", "profile", o.profile, "path", video.Summary(), "mode", video.DRMMode, "board", video.Model)
	player, err := mpv.Open(ctx, opts, log)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := player.Close(cctx); err != nil {
			log.Warn("close mpv", "err", err)
		}
	}()
	app, err := tv.New(tv.Config{Daemon: client, Player: player, CacheDir: o.cacheDir, StateDir: o.stateDir, Log: log,
		Video: screens.VideoInfo{Output: video.Output(), Decoder: video.Decoder, Model: video.Model}})
	if err != nil {
		return err
	}
	return app.Run(ctx)
}

// tvPlayback probes the running system and picks the video path. The
// output mode comes from -drm-mode, else the daemon's settings (asked for
// a few seconds: both start at boot), else the default.
func tvPlayback(ctx context.Context, client *daemon.Client, mode string, log *slog.Logger) mpv.Playback {
	sys, errs := mpv.Probe(os.DirFS("/"), mpv.SysV4L2{Root: "/"})
	for _, err := range errs {
		if !errors.Is(err, mpv.ErrNotV4L2) {
			log.Warn("video probe", "err", err)
		}
	}
	if mode == "" {
		deadline := time.Now().Add(3 * time.Second)
		for {
			sctx, cancel := context.WithTimeout(ctx, time.Second)
			sv, err := client.Settings(sctx)
			cancel()
			if err == nil {
				mode = sv.Video.Mode
				break
			}
			if errors.Is(err, daemon.ErrNotAvailable) || time.Now().After(deadline) || ctx.Err() != nil {
				log.Info("video mode from settings unavailable, using the default", "err", err)
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	return mpv.ChoosePlayback(sys, mode)
}

// selftestPlay plays file headless (no window, no sound) to its end.
func selftestPlay(ctx context.Context, file, fonts string) error {
	dir, err := os.MkdirTemp("", "atomictv-selftest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	opts, err := mpv.Options(mpv.Env{Profile: mpv.Headless, ConfigDir: dir, FontsDir: fonts})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	p, err := mpv.Open(ctx, append(opts, mpv.Option{Name: "keep-open", Value: "no"}), slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		return err
	}
	defer p.Close(context.Background())
	r, err := mpv.PlayToEnd(ctx, p, file)
	if err != nil {
		return err
	}
	fmt.Printf("atomictv: selftest: played %s to the end (first frame after %v, %.1f s of media in %v)\n", file, r.FirstFrame.Round(time.Millisecond), r.LastPos, r.Total.Round(time.Millisecond))
	return nil
}
