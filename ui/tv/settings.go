package tv

import (
	"context"
	"errors"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/ui/daemon"
	"github.com/atomicnetwork/atomicbox/ui/screens"
)

// settingsTimeout bounds each settings request.
const settingsTimeout = 5 * time.Second

// send hands fn to the loop; it gives up when ctx ends.
func (a *App) send(ctx context.Context, fn func(*screens.Model)) {
	select {
	case a.apply <- fn:
	case <-ctx.Done():
	}
}

func notAvailable(err error) bool { return errors.Is(err, daemon.ErrNotAvailable) }

// maybeRefreshSettings keeps the settings screen current: everything every
// SettingsEvery, learn status and frames four times as often while learning.
func (a *App) maybeRefreshSettings(ctx context.Context) {
	if a.model.Screen != screens.Settings || a.refreshing {
		return
	}
	since := a.now().Sub(a.lastRefresh)
	switch {
	case since >= a.cfg.SettingsEvery:
		a.refreshSettings(ctx, true)
	case a.model.LearnActive() && since >= a.cfg.SettingsEvery/4:
		a.refreshSettings(ctx, false)
	}
}

// refreshSettings fetches in the background what the settings screen
// shows (full: settings and seeding too, else learn status and frames).
func (a *App) refreshSettings(ctx context.Context, full bool) {
	if a.refreshing {
		return
	}
	a.refreshing, a.lastRefresh = true, a.now()
	d := a.cfg.Daemon
	go func() {
		rctx, cancel := context.WithTimeout(ctx, 2*settingsTimeout)
		defer cancel()
		var (
			sv        api.SettingsView
			svErr     error
			seed      api.SeedingView
			seedErr   error
			learn     api.LearnStatus
			learnErr  error
			frames    []daemon.RemoteFrame
			framesErr error
			hh        api.HouseholdSettings
			hhErr     error
			nv        api.NetworkView
			nvErr     error
			devs      []api.PairedDevice
			devsErr   error
		)
		if full {
			sv, svErr = d.Settings(rctx)
			seed, seedErr = d.Seeding(rctx)
			hh, hhErr = d.Household(rctx)
			nv, nvErr = d.Network(rctx)
			devs, devsErr = d.PairedDevices(rctx)
		}
		learn, learnErr = d.Learn(rctx)
		if !notAvailable(learnErr) {
			frames, framesErr = d.RemoteFrames(rctx)
		}
		a.send(ctx, func(m *screens.Model) {
			a.refreshing = false
			if full && a.putsPending == 0 { // a change on its way wins over an older read
				m.SetSettings(sv, svErr, notAvailable(svErr))
			}
			if full {
				m.SetSeeding(seed, seedErr, notAvailable(seedErr))
				if a.putsPending == 0 {
					a.do(ctx, m.SetHousehold(hh, hhErr, notAvailable(hhErr)))
				}
				a.do(ctx, m.SetNetwork(nv, nvErr, notAvailable(nvErr), a.now()))
				if a.unpairs == 0 { // a removal on its way wins over an older list
					m.SetDevices(devs, devsErr, notAvailable(devsErr))
				}
			}
			m.SetLearn(learn, learnErr, notAvailable(learnErr))
			if framesErr == nil && learnErr == nil {
				m.SetFrames(irFrames(frames))
			}
			if svErr != nil && !notAvailable(svErr) {
				a.log.Warn("settings", "err", svErr)
			}
		})
	}()
}

func irFrames(fs []daemon.RemoteFrame) []screens.IRFrame {
	out := make([]screens.IRFrame, 0, len(fs))
	for _, f := range fs {
		out = append(out, screens.IRFrame{At: f.At, Protocol: f.Protocol, Scancode: f.Scancode, Key: f.Key})
	}
	return out
}

// queuePut merges u into the next PUT (later fields win) and wakes putLoop.
// Loop only.
func (a *App) queuePut(u api.SettingsUpdate) {
	a.putsPending++
	a.putMu.Lock()
	if a.putNext == nil {
		a.putNext = &api.SettingsUpdate{}
	}
	if u.Bandwidth != nil {
		a.putNext.Bandwidth = u.Bandwidth
	}
	if u.KeepFreePercent != nil {
		a.putNext.KeepFreePercent = u.KeepFreePercent
	}
	if u.Video != nil {
		a.putNext.Video = u.Video
	}
	if u.Uplink != nil {
		a.putNext.Uplink = u.Uplink
	}
	if u.Household != nil {
		a.putNext.Household = u.Household
	}
	a.putMu.Unlock()
	select {
	case a.putWake <- struct{}{}:
	default:
	}
}

// putLoop sends queued settings changes one at a time, so the daemon sees
// them in order and a burst of key presses becomes few requests.
func (a *App) putLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.putWake:
		}
		a.putMu.Lock()
		u := a.putNext
		a.putNext = nil
		a.putMu.Unlock()
		if u == nil {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, settingsTimeout)
		v, err := a.cfg.Daemon.PutSettings(pctx, *u)
		cancel()
		a.send(ctx, func(m *screens.Model) {
			a.putMu.Lock()
			queued := a.putNext != nil
			a.putMu.Unlock()
			if !queued {
				a.putsPending = 0
			}
			var se *daemon.StatusError
			switch {
			case notAvailable(err):
				m.SetSettings(api.SettingsView{}, err, true)
			case errors.As(err, &se):
				m.SettingsRefused(se.Message)
				a.lastRefresh = time.Time{} // read back what is in force
			case err != nil:
				m.SettingsRefused("The box did not take the change: " + err.Error())
				a.lastRefresh = time.Time{}
			case !queued:
				m.SetSettings(v, nil, false)
			}
		})
	}
}

func (a *App) learnCommand(ctx context.Context, cmd string) {
	go func() {
		lctx, cancel := context.WithTimeout(ctx, settingsTimeout)
		defer cancel()
		st, err := a.cfg.Daemon.LearnCommand(lctx, cmd)
		a.send(ctx, func(m *screens.Model) {
			var se *daemon.StatusError
			if errors.As(err, &se) {
				m.SettingsRefused(se.Message)
				a.lastRefresh = time.Time{}
				return
			}
			m.SetLearn(st, err, notAvailable(err))
		})
	}()
}

func (a *App) requestPairing(ctx context.Context) {
	go func() {
		pctx, cancel := context.WithTimeout(ctx, settingsTimeout)
		defer cancel()
		err := a.cfg.Daemon.RequestPairing(pctx)
		if err == nil {
			return // the code arrives as a pairing event
		}
		a.send(ctx, func(m *screens.Model) {
			m.SettingsRefused("Could not get a pairing code: " + err.Error())
		})
	}()
}

// unpair forgets a paired device in the background, then reads the
// settings (and the device list) again.
func (a *App) unpair(ctx context.Context, id string) {
	a.unpairs++
	go func() {
		uctx, cancel := context.WithTimeout(ctx, settingsTimeout)
		defer cancel()
		err := a.cfg.Daemon.Unpair(uctx, id)
		a.send(ctx, func(m *screens.Model) {
			a.unpairs--
			var se *daemon.StatusError
			switch {
			case notAvailable(err): // gone already: the list will say so
			case errors.As(err, &se):
				m.SettingsRefused("The box did not forget the device: " + se.Message)
			case err != nil:
				m.SettingsRefused("The box did not forget the device: " + err.Error())
			}
			a.lastRefresh = time.Time{} // read the list back at the next tick
		})
	}()
}
