package mpv

import (
	"context"
	"fmt"
	"time"
)

// PlayReport is what PlayToEnd saw.
type PlayReport struct {
	FirstFrame time.Duration // loadfile -> playback-restart
	Total      time.Duration // loadfile -> end of file
	LastPos    float64       // the last time-pos seen, seconds
}

// PlayToEnd plays file on p (normally a Headless player) and returns when
// mpv reports the end of the file. It is the runtime check of an image: it
// proves libmpv, its decoders and demuxers load and work from what the
// image ships. It fails when mpv ends with an error, when no frame was
// shown, or when ctx ends first. p must be used by nobody else meanwhile.
func PlayToEnd(ctx context.Context, p *Player, file string) (PlayReport, error) {
	var r PlayReport
	if err := p.Observe("time-pos", ValueDouble); err != nil {
		return r, err
	}
	start := time.Now()
	if err := p.Command("loadfile", file, "replace"); err != nil {
		return r, fmt.Errorf("loadfile %s: %w", file, err)
	}
	for {
		select {
		case <-ctx.Done():
			return r, fmt.Errorf("playing %s: %w (last position %.1f s)", file, ctx.Err(), r.LastPos)
		case <-p.Done():
			return r, fmt.Errorf("playing %s: mpv shut down", file)
		case ev := <-p.Events():
			switch ev.Kind {
			case KindPlaybackRestart:
				if r.FirstFrame == 0 {
					r.FirstFrame = time.Since(start)
				}
			case KindPropertyChange:
				if v, ok := ev.Value.(float64); ok && ev.Name == "time-pos" {
					r.LastPos = v
				}
			case KindEndFile:
				r.Total = time.Since(start)
				switch {
				case ev.EndReason != "eof":
					return r, fmt.Errorf("playing %s: ended with %q %s", file, ev.EndReason, ev.EndError)
				case r.FirstFrame == 0:
					return r, fmt.Errorf("playing %s: reached the end without showing a frame", file)
				}
				return r, nil
			}
		}
	}
}
