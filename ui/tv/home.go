package tv

import (
	"context"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/ui/screens"
)

// explainFailure asks the daemon, off the loop, why ep could not start and
// puts the answer on the home screen (a locked premiere, an episode gone,
// the daemon down, a full disk); mpv's own error is the fallback.
func (a *App) explainFailure(ctx context.Context, ep api.EpisodeView, mpvErr string) {
	go func() {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		why := a.cfg.Daemon.WhyNotPlayable(rctx, ep.StreamURL)
		if why == "" {
			why = "The video could not be decoded (" + mpvErr + "). Press OK on it to try again."
		}
		select {
		case a.apply <- func(m *screens.Model) {
			// Still on the player's failure screen for this episode: the
			// daemon's sentence replaces mpv's there (OK retries, Back
			// leaves); anywhere else it is a notice.
			if m.Screen == screens.Player && m.Play.Failed != "" && m.Play.Episode.ID == ep.ID {
				m.Play.Failed = why
				return
			}
			m.StartFailed(ep.ID, why, a.now())
		}:
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
