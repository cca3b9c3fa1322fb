package tv

import (
	"context"
	"errors"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/ui/daemon"
	"github.com/atomicnetwork/atomicbox/ui/screens"
)

// networkEvery is how often GET /api/network is polled while the
// first-boot screens wait for a join or a cable (events may be late or,
// from an older daemon, missing).
const networkEvery = time.Second

// fetchSetup reads the household settings and the network in the
// background and hands both to the model, which takes the first-boot
// decision once. Called at every (re)connection to the daemon.
func (a *App) fetchSetup(ctx context.Context) {
	d := a.cfg.Daemon
	go func() {
		fctx, cancel := context.WithTimeout(ctx, settingsTimeout)
		defer cancel()
		h, hErr := d.Household(fctx)
		nv, nErr := d.Network(fctx)
		a.send(ctx, func(m *screens.Model) {
			if a.putsPending == 0 {
				a.do(ctx, m.SetHousehold(h, hErr, notAvailable(hErr)))
			}
			a.do(ctx, m.SetNetwork(nv, nErr, notAvailable(nErr), a.now()))
			if hErr != nil && !notAvailable(hErr) {
				a.log.Warn("household settings", "err", hErr)
			}
		})
	}()
}

// fetchNetwork reads GET /api/network in the background (one at a time).
func (a *App) fetchNetwork(ctx context.Context) {
	if a.networkBusy {
		return
	}
	a.networkBusy, a.lastNetwork = true, time.Now()
	go func() {
		fctx, cancel := context.WithTimeout(ctx, settingsTimeout)
		defer cancel()
		nv, err := a.cfg.Daemon.Network(fctx)
		a.send(ctx, func(m *screens.Model) {
			a.networkBusy = false
			a.do(ctx, m.SetNetwork(nv, err, notAvailable(err), a.now()))
		})
	}()
}

// maybePollNetwork polls the network while the first-boot screens wait.
func (a *App) maybePollNetwork(ctx context.Context) {
	if a.model.SetupPolling() && time.Since(a.lastNetwork) >= networkEvery {
		a.fetchNetwork(ctx)
	}
}

// scanWifi asks the daemon for the networks it sees (a scan takes up to
// 10 s on the daemon's side).
func (a *App) scanWifi(ctx context.Context) {
	go func() {
		sctx, cancel := context.WithTimeout(ctx, daemon.ScanTimeout)
		defer cancel()
		nets, err := a.cfg.Daemon.WifiNetworks(sctx)
		a.send(ctx, func(m *screens.Model) {
			if err != nil && !notAvailable(err) {
				a.log.Warn("wifi scan", "err", err)
			}
			m.SetWifiNetworks(nets, err, notAvailable(err))
		})
	}()
}

// joinWifi sends the join; the progress arrives through the network view.
func (a *App) joinWifi(ctx context.Context, j api.WifiJoin) {
	go func() {
		jctx, cancel := context.WithTimeout(ctx, settingsTimeout)
		defer cancel()
		err := a.cfg.Daemon.JoinWifi(jctx, j)
		a.send(ctx, func(m *screens.Model) {
			var se *daemon.StatusError
			switch {
			case errors.As(err, &se):
				m.JoinRefused(se.Message)
			case err != nil:
				m.JoinRefused(err.Error())
			}
			a.fetchNetwork(ctx)
		})
	}()
}

// setLanguage makes mpv prefer the household's audio and subtitle tracks.
func (a *App) setLanguage(l screens.Language) {
	for _, p := range []string{"alang", "slang"} {
		if err := a.cfg.Player.SetProperty(p, l.Tracks); err != nil {
			a.log.Warn("player", "property", p, "err", err)
		}
	}
}

// maybePollHealth reads the storage figures and the network every
// Config.HealthEvery while the home screen or a show page is up, or the
// player waits for bytes, for the no-network and disk-full alerts
// (screens.ActiveAlert) and the reason a stalled episode waits. One request pair
// at a time; the settings screen keeps its own, faster refresh.
func (a *App) maybePollHealth(ctx context.Context) {
	s := a.model.Screen
	watched := s == screens.Home || s == screens.ShowPage || (s == screens.Player && a.model.Play.Buffering)
	if !watched || a.healthBusy || time.Since(a.lastHealth) < a.cfg.HealthEvery {
		return
	}
	a.healthBusy, a.lastHealth = true, time.Now()
	d := a.cfg.Daemon
	go func() {
		hctx, cancel := context.WithTimeout(ctx, settingsTimeout)
		defer cancel()
		sv, svErr := d.Settings(hctx)
		nv, nvErr := d.Network(hctx)
		a.send(ctx, func(m *screens.Model) {
			a.healthBusy = false
			if a.putsPending == 0 { // a change on its way wins over an older read
				m.SetSettings(sv, svErr, notAvailable(svErr))
			}
			a.do(ctx, m.SetNetwork(nv, nvErr, notAvailable(nvErr), a.now()))
		})
	}()
}
