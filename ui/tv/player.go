package tv

import (
	"context"
	"math"
	"path/filepath"
	"strconv"
	"time"

	"github.com/atomicnetwork/atomicbox/ui/mpv"
	"github.com/atomicnetwork/atomicbox/ui/prefs"
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

// prefsFile is the per-show track choices' file under Config.StateDir.
const prefsFile = "tracks.json"

// loadTrackPrefs reads the remembered track choices; a corrupt file is
// logged and the TV starts fresh (they are preferences, not data).
func (a *App) loadTrackPrefs() {
	if a.cfg.StateDir == "" {
		return
	}
	shows, err := prefs.Load(filepath.Join(a.cfg.StateDir, prefsFile))
	if err != nil {
		a.log.Warn("track choices unreadable, starting fresh", "err", err)
	}
	a.model.SetTrackPrefs(shows)
}

// saveTrackPrefs writes the choices at once, in the loop: it happens on a
// menu choice, and the file is small (an fsync on the SD card is the cost).
func (a *App) saveTrackPrefs(shows map[string]prefs.Tracks) {
	if a.cfg.StateDir == "" {
		return
	}
	if err := prefs.Save(filepath.Join(a.cfg.StateDir, prefsFile), shows); err != nil {
		a.log.Warn("store track choice", "err", err)
	}
}

// applyTracks hands mpv's latest track and chapter lists to the model once
// the file in mpv is the episode on screen (the lists, file-loaded and
// path arrive in any order). An unreadable list is logged and ignored.
func (a *App) applyTracks(ctx context.Context) {
	if !a.episode {
		return
	}
	if s := a.trackLists["chapter-list"]; s != "" {
		if cs, err := screens.ParseChapterList(s); err != nil {
			a.log.Warn("chapter list", "err", err)
		} else {
			a.model.SetChapters(cs)
		}
	}
	if s := a.trackLists["track-list"]; s != "" {
		ts, err := screens.ParseTrackList(s)
		if err != nil {
			a.log.Warn("track list", "err", err)
			return
		}
		a.do(ctx, a.model.SetTracks(ts))
	}
}

// trackOptions returns loadfile options for the show's remembered
// languages (",alang=deu,sid=no"): mpv picks the tracks as it opens the
// file, with no switch after the first frame. Tags are checked by
// prefs.Parse and the menu only stores mpv's own tags; anything that
// could break the option list is dropped here.
func (a *App) trackOptions(episode string) string {
	pref, ok := a.model.TrackPrefFor(episode)
	if !ok {
		return ""
	}
	var s string
	if safeTag(pref.Audio) {
		s += ",alang=" + pref.Audio
	}
	switch {
	case pref.Sub == prefs.SubOff:
		s += ",sid=no"
	case safeTag(pref.Sub):
		s += ",slang=" + pref.Sub
	}
	return s
}

// safeTag accepts language tags of letters, digits and '-' only.
func safeTag(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// subPosRaised is mpv's sub-pos (percent of the screen height where the
// subtitles' bottom sits) while the OSD's bottom band is up, so that the
// two do not overlap; 100 is mpv's default, the bottom.
const subPosRaised = 100 * (screens.Height - screens.OSDBottomH - 10) / screens.Height

// placeSubtitles raises the subtitles above the OSD while it shows.
func (a *App) placeSubtitles(osd bool) {
	if osd == a.subsRaised {
		return
	}
	v := "100"
	if osd {
		v = strconv.Itoa(subPosRaised)
	}
	if err := a.cfg.Player.SetProperty("sub-pos", v); err != nil {
		a.log.Warn("sub-pos", "err", err)
		return
	}
	a.subsRaised = osd
}
