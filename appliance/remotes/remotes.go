// Package remotes is the box's remote assembly: it builds the remote
// inputs of the gpio library (IR on a GPIO line, HDMI-CEC, USB input
// devices) on the data dir and delivers their keys, those the TV acts on,
// to the daemon's key bus. It is the one place where the daemon meets gpio/.
package remotes

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/state"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/atomicnetwork/atomicbox/gpio/remote"
)

// Config says which inputs the box has (IR line, CEC adapter, input
// directory) and can replace their devices in tests. It is the remote
// library's configuration; New fills in Sink, Keys, WriteKeymap and Log,
// and KeymapPath when it is empty.
type Config = remote.Config

// IRConfig names the GPIO line of an IR receiver (the remote library's).
type IRConfig = remote.IRConfig

// KeymapFile is the keymap's name in the data dir.
const KeymapFile = "keymap.json"

// Remotes is the box's assembled inputs. Run it once; serve Handler.
type Remotes struct {
	r *remote.Remote
}

// New loads the keymap (dataDir/KeymapFile unless cfg names another) and
// prepares the inputs; nothing is opened until Run. Keys reach bus as
// api.KeyEvent, only those in api.Keys. Only an unreadable keymap file (not
// a missing or corrupt one) is an error.
func New(cfg Config, dataDir string, bus *api.KeyBus, log *slog.Logger) (*Remotes, error) {
	if bus == nil {
		return nil, fmt.Errorf("remotes: no key bus")
	}
	cfg.Sink = keys.SinkFunc(func(ev keys.Event) { bus.Send(KeyEvent(ev)) })
	cfg.Keys = api.Keys
	cfg.Log = log
	if cfg.KeymapPath == "" {
		cfg.KeymapPath = filepath.Join(dataDir, KeymapFile)
	}
	cfg.WriteKeymap = func(path string, data []byte) error { return state.WriteFileAtomic(path, data, 0o644) }
	r, err := remote.New(cfg)
	if err != nil {
		return nil, err
	}
	return &Remotes{r: r}, nil
}

// KeyEvent is ev as the API carries it. The action and source words are
// the same in both vocabularies (a test holds them together).
func KeyEvent(ev keys.Event) api.KeyEvent {
	return api.KeyEvent{Key: string(ev.Key), Action: string(ev.Action), Source: string(ev.Source), At: ev.At}
}

// Handler serves the inputs' API (diagnostics, learn mode, keymap, TV
// input switch); mount it at /api/remote/.
func (r *Remotes) Handler() http.Handler { return r.r.Handler() }

// Run reads every configured input until ctx ends, and returns nil then.
// A missing device is logged once and skipped (a desktop has no
// /dev/cec0); a failing one is logged and opened again later.
func (r *Remotes) Run(ctx context.Context) error { return r.r.Run(ctx) }
