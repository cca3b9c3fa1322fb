package tv

import (
	"context"
	"math"
	"time"

	"github.com/atomicnetwork/atomicbox/ui/mpv"
	"github.com/atomicnetwork/atomicbox/ui/screens"
)

// StatsEvery is how often the player asks the daemon where the episode's
// bytes come from while it plays.
const StatsEvery = 2 * time.Second

// maybeFetchStats fetches GET /api/stats in the background during
// playback (one request at a time) and hands the figures to the model.
// A daemon without the endpoint, or a failure, leaves the OSD's source
// line at "Playing from this box"; it is logged at debug level only.
func (a *App) maybeFetchStats(ctx context.Context, now time.Time) {
	if a.model.Screen != screens.Player || a.statsBusy || now.Sub(a.lastStats) < StatsEvery {
		return
	}
	a.statsBusy, a.lastStats = true, now
	go func() {
		sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		st, err := a.cfg.Daemon.Stats(sctx)
		if err != nil {
			a.log.Debug("stats", "err", err)
		}
		select {
		case a.apply <- func(m *screens.Model) {
			a.statsBusy = false
			if err == nil {
				m.PlayStats(st)
			}
		}:
		case <-ctx.Done():
		}
	}()
}

// onVolume records mpv's volume and mute properties for the OSD.
func (a *App) onVolume(ev mpv.Event) {
	switch v := ev.Value.(type) {
	case float64:
		a.volume = int(math.Round(v))
	case bool:
		a.muted = v
	}
	a.model.SetVolume(a.volume, a.muted)
}
