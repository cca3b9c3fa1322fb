package tv

import (
	"context"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/ui/screens"
)

// explainFailure asks the daemon, off the loop, why ep failed (a locked
// premiere, an episode gone, a full disk, the service down) and hands the
// answer to the model (screens.Model.FailureExplained): before the first
// frame a reason takes the viewer back with a notice, after it the
// reason replaces mpv's on the failure screen.
func (a *App) explainFailure(ctx context.Context, ep api.EpisodeView) {
	go func() {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		why := a.cfg.Daemon.WhyNotPlayable(rctx, ep.StreamURL)
		select {
		case a.apply <- func(m *screens.Model) { a.do(ctx, m.FailureExplained(ep.ID, why, a.now())) }:
		case <-ctx.Done():
		}
	}()
}

// markWatched stores a watched mark through the resume API: the position
// at the end marks it watched, 0 unwatched (the daemon decides from the
// numbers, see appliance/resume.Decide).
func (a *App) markWatched(ctx context.Context, act screens.MarkWatched) {
	pos := 0.0
	if act.Watched {
		pos = act.Duration
	}
	a.putResume(ctx, act.Episode, pos, act.Duration, true)
}
