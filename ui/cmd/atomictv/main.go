// Command atomictv is the TV interface: it reads the daemon's API (-api),
// draws the home screen and plays episodes in one libmpv window, and writes
// only its cache dir (backdrop, scaled posters, mpv config).
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
	"github.com/atomicnetwork/atomicbox/ui/tv"
)

func main() {
	apiURL := flag.String("api", "http://127.0.0.1:8080", "the daemon's API base URL")
	profile := flag.String("profile", "desktop", "display environment: desktop (X11 window), headless (no output) or tv (DRM console)")
	flag.StringVar(profile, "vo", "desktop", "alias of -profile")
	fonts := flag.String("fonts", "", "directory of TTF fonts (used instead of fontconfig, as on gokrazy)")
	geometry := flag.String("geometry", "1920x1080+0+0", "window geometry (desktop)")
	fullscreen := flag.Bool("fullscreen", true, "full screen window (desktop)")
	cacheDir := flag.String("cache", "", "cache dir for posters and mpv config (default: user cache dir)/atomictv")
	shotDir := flag.String("screenshot-dir", "", "mpv's screenshot directory (for tests)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, options{*apiURL, mpv.Profile(*profile), *fonts, *geometry, *fullscreen, *cacheDir, *shotDir})
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
	shotDir    string
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
	client, err := daemon.New(o.api, nil)
	if err != nil {
		return err
	}
	env := mpv.Env{Profile: o.profile, ConfigDir: filepath.Join(o.cacheDir, "mpv"), FontsDir: o.fonts, Geometry: o.geometry, Fullscreen: o.fullscreen}
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
	log.Info("starting mpv", "profile", o.profile, "options", opts)
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
	app, err := tv.New(tv.Config{Daemon: client, Player: player, CacheDir: o.cacheDir, Log: log})
	if err != nil {
		return err
	}
	return app.Run(ctx)
}
