package remotes_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jonboulle/clockwork"
	pir "periph.io/x/conn/v3/ir"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/remotes"
	"github.com/atomicnetwork/atomicbox/gpio/cec"
	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/keymap"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/atomicnetwork/atomicbox/gpio/remote"
	"github.com/atomicnetwork/atomicbox/gpio/tracker"
)

// TestInputKeysAreAPIKeys: every key the remote library's built-in tables
// produce (the TV's CEC remote, the default IR keymaps, learn mode's steps)
// is one the TV acts on, and every key the TV acts on has a Linux input
// code, so a USB remote can send it and a keymap may name it.
func TestInputKeysAreAPIKeys(t *testing.T) {
	for code := range 256 {
		if k, ok := cec.UIKey(byte(code)); ok && !api.Keys[k] {
			t.Errorf("CEC UI code %#02x sends %s, which api.Keys lacks", code, k)
		}
	}
	for _, m := range keymap.Defaults() {
		for _, e := range m.Entries {
			if !api.Keys[e.Key] {
				t.Errorf("default keymap %s maps %v to %s, which api.Keys lacks", m.Name, e.Code(), e.Key)
			}
		}
	}
	for _, k := range keymap.LearnKeys {
		if !api.Keys[k] {
			t.Errorf("learn mode asks for %s, which api.Keys lacks", k)
		}
	}
	for k := range api.Keys {
		if !keys.Known(k) {
			t.Errorf("api.Keys holds %s, which has no input code in gpio/keys", k)
		}
	}
}

// TestVocabulariesAgree: the remote library and the API spell actions and
// sources the same, so KeyEvent is a plain copy, and what an input sends
// validates on the wire.
func TestVocabulariesAgree(t *testing.T) {
	at := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	for _, a := range []keys.Action{keys.Press, keys.Repeat, keys.Release} {
		for _, s := range []keys.Source{keys.SourceWeb, keys.SourceKeyboard, keys.SourceIR, keys.SourceCEC} {
			ev := remotes.KeyEvent(keys.Event{Key: pir.KEY_OK, Action: a, Source: s, At: at})
			if err := ev.Validate(); err != nil || ev.Action == "" || ev.Source == "" {
				t.Errorf("%s from %s: %+v on the wire: %v", a, s, ev, err)
			}
			if ev.Key != "KEY_OK" || !ev.At.Equal(at) {
				t.Errorf("%s from %s: key or time lost: %+v", a, s, ev)
			}
		}
	}
	for _, a := range []string{api.KeyPress, api.KeyRepeat, api.KeyRelease} {
		if !keys.Action(a).Valid() {
			t.Errorf("api action %q is not a gpio/keys action", a)
		}
	}
	for _, s := range []string{api.SourceWeb, api.SourceKeyboard, api.SourceIR, api.SourceCEC} {
		if !keys.Source(s).Valid() {
			t.Errorf("api source %q is not a gpio/keys source", s)
		}
	}
}

// TestLearnStatusJSONMatchesAPI holds api.LearnStatus (what the UI reads)
// to gpio/keymap.LearnStatus (what the daemon serves): the JSON of learn
// mode in every state decodes strictly into the API's type and encodes back
// to the same JSON.
func TestLearnStatusJSONMatchesAPI(t *testing.T) {
	clock := clockwork.NewFakeClock()
	l := keymap.NewLearner(clock, time.Minute, func(keymap.Map) error { return nil })
	var statuses []keymap.LearnStatus
	statuses = append(statuses, l.Status())
	if err := l.Start(); err != nil {
		t.Fatal(err)
	}
	code := func(i int) ir.Code { return ir.Code{Protocol: ir.NEC, Scancode: uint32(0x0100 + i)} }
	l.Press(code(0))
	statuses = append(statuses, l.Status()) // confirming
	l.Press(code(0))
	l.Press(code(0))
	statuses = append(statuses, l.Status()) // a problem: that button is OK already
	for i := 1; i < len(keymap.LearnKeys); i++ {
		l.Press(code(i))
		l.Press(code(i))
	}
	statuses = append(statuses, l.Status()) // done, every key learned
	l.Start()
	l.Cancel()
	statuses = append(statuses, l.Status())
	states := map[keymap.LearnState]bool{}
	for _, st := range statuses {
		states[st.State] = true
		served, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(served))
		dec.DisallowUnknownFields()
		var read api.LearnStatus
		if err := dec.Decode(&read); err != nil {
			t.Errorf("served %s: the API's LearnStatus cannot read it: %v", served, err)
			continue
		}
		again, _ := json.Marshal(read)
		var a, b any
		json.Unmarshal(served, &a)
		json.Unmarshal(again, &b)
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("state %s: served JSON and the API's reading of it differ (-served +api):\n%s", st.State, diff)
		}
	}
	for _, s := range []keymap.LearnState{keymap.LearnIdle, keymap.LearnRunning, keymap.LearnDone, keymap.LearnCanceled} {
		if !states[s] {
			t.Errorf("no status in state %s was checked", s)
		}
	}
}

// pressSource is an IR receiver that presses and releases each code once.
type pressSource []ir.Code

func (p pressSource) Run(ctx context.Context, frame func(ir.Frame, time.Time), key func(tracker.Event, time.Time)) error {
	for _, c := range p {
		key(tracker.Event{Code: c, Action: keys.Press}, time.Now())
		key(tracker.Event{Code: c, Action: keys.Release}, time.Now())
	}
	<-ctx.Done()
	return nil
}

// TestOnlyAPIKeysReachTheBus: a keymap may name any known key, but only the
// keys the TV acts on reach the daemon's key bus, and a keymap put through
// the API that names another key is refused with a sentence saying so.
func TestOnlyAPIKeysReachTheBus(t *testing.T) {
	dir := t.TempDir()
	record, up := ir.Code{Protocol: ir.NEC, Scancode: 0x0101}, ir.Code{Protocol: ir.NEC, Scancode: 0x0102}
	f := keymap.DefaultFile()
	f.Maps = []keymap.Map{{Name: "mine", Entries: []keymap.Entry{
		{Protocol: ir.NEC, Scancode: keymap.Scancode(record.Scancode), Key: pir.KEY_RECORD},
		{Protocol: ir.NEC, Scancode: keymap.Scancode(up.Scancode), Key: pir.KEY_UP},
	}}}
	if err := os.WriteFile(filepath.Join(dir, remotes.KeymapFile), f.Format(), 0o644); err != nil {
		t.Fatal(err)
	}
	bus := api.NewKeyBus(nil)
	r, err := remotes.New(remotes.Config{
		IR:     &remotes.IRConfig{Line: 18},
		OpenIR: func(remote.IRConfig) (remote.IRSource, error) { return pressSource{record, up}, nil },
	}, dir, bus, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := bus.Subscribe(ctx, 16)
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var got []string
	for len(got) < 2 {
		select {
		case ev := <-sub:
			got = append(got, ev.Key+" "+ev.Action+" "+ev.Source)
		case <-time.After(5 * time.Second):
			t.Fatalf("keys on the bus: %v", got)
		}
	}
	if diff := cmp.Diff([]string{"KEY_UP press ir", "KEY_UP release ir"}, got); diff != "" {
		t.Errorf("keys on the bus (-want +got):\n%s", diff)
	}
	select {
	case ev := <-sub:
		t.Errorf("unexpected key on the bus: %+v", ev)
	case <-time.After(100 * time.Millisecond):
	}

	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/api/remote/keymap", bytes.NewReader(f.Format()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Error string }
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body.Error, "KEY_RECORD") {
		t.Errorf("PUT a keymap naming KEY_RECORD: %s %q, want 400 naming the key", resp.Status, body.Error)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
