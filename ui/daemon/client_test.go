package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/google/go-cmp/cmp"
)

type sseEvent struct {
	Name string
	Data string
}

func TestReadSSE(t *testing.T) {
	tests := []struct {
		name, in string
		want     []sseEvent
		reason   string
	}{
		{"one", "event: key\ndata: {\"a\":1}\n\n", []sseEvent{{"key", `{"a":1}`}}, "the daemon's envelope"},
		{"comments", ": ping\n\nevent: paired\ndata: {}\n\n", []sseEvent{{"paired", "{}"}}, "keep-alive comments dispatch nothing"},
		{"multiline", "data: a\ndata: b\n\n", []sseEvent{{"", "a\nb"}}, "data lines join with newlines"},
		{"unterminated", "event: key\ndata: x\n", nil, "an event without its blank line is not dispatched"},
		{"crlf-free no space", "event:catalog\ndata:{}\n\n", []sseEvent{{"catalog", "{}"}}, "the space after the colon is optional"},
		{"no data", "event: key\n\n", nil, "an event without data is dropped"},
	}
	for _, tt := range tests {
		var got []sseEvent
		err := ReadSSE(strings.NewReader(tt.in), func(name string, data []byte) { got = append(got, sseEvent{name, string(data)}) })
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (%s): (-want +got):\n%s", tt.name, tt.reason, diff)
		}
	}
}

func TestParseEvent(t *testing.T) {
	tests := []struct {
		name, event, data string
		wantErr           bool
		reason            string
	}{
		{"key", "key", `{"type":"key","key":{"key":"KEY_UP","action":"press"}}`, false, "a remote key"},
		{"key without key", "key", `{"type":"key"}`, true, "nothing to act on"},
		{"pairing", "pairing", `{"type":"pairing","pairing":{"code":"123456","expiresAt":"2026-11-25T16:00:00Z"}}`, false, "a code to show"},
		{"mismatch", "paired", `{"type":"catalog"}`, true, "SSE name and envelope disagree"},
		{"unknown", "", `{"type":"reboot"}`, true, "unknown types are refused"},
		{"garbage", "", `{`, true, "not JSON"},
	}
	for _, tt := range tests {
		_, err := ParseEvent(tt.event, []byte(tt.data))
		if (err != nil) != tt.wantErr {
			t.Errorf("%s (%s): err = %v, want error %v", tt.name, tt.reason, err, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error %v does not wrap ErrMalformed", tt.name, err)
		}
	}
}

func FuzzReadSSE(f *testing.F) {
	f.Add([]byte("event: key\ndata: {\"type\":\"key\",\"key\":{\"key\":\"KEY_UP\"}}\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		_ = ReadSSE(strings.NewReader(string(in)), func(name string, data []byte) {
			if len(data) > maxEventBytes {
				t.Fatalf("event of %d bytes passed the limit", len(data))
			}
			ev, err := ParseEvent(name, data)
			if err == nil {
				if _, err := json.Marshal(ev); err != nil {
					t.Fatalf("accepted event does not re-encode: %v", err)
				}
			}
		})
	})
}

// TestClientAgainstServer exercises every call against a loopback server
// implementing the contract's shapes.
func TestClientAgainstServer(t *testing.T) {
	gotResume := make(chan api.ResumeUpdate, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/catalog", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(api.CatalogView{Network: "Atomic", Shows: []api.ShowView{{ID: "s", Title: "Show"}}})
	})
	mux.HandleFunc("PUT /api/resume/{id}", func(w http.ResponseWriter, r *http.Request) {
		var u api.ResumeUpdate
		if r.PathValue("id") != "ep 1" || json.NewDecoder(r.Body).Decode(&u) != nil {
			http.Error(w, "bad", 400)
			return
		}
		gotResume <- u
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /api/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, ": hello\n\nevent: key\ndata: {\"type\":\"key\",\"key\":{\"key\":\"KEY_OK\",\"action\":\"press\"}}\n\nevent: bogus\ndata: {}\n\n")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := New(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cv, err := c.Catalog(ctx)
	if err != nil || cv.Network != "Atomic" || len(cv.Shows) != 1 {
		t.Errorf("Catalog = %+v, %v", cv, err)
	}
	if err := c.PutResume(ctx, "ep 1", api.ResumeUpdate{Seconds: 12.5, DurationSeconds: 60}); err != nil {
		t.Errorf("PutResume: %v", err)
	}
	if diff := cmp.Diff(api.ResumeUpdate{Seconds: 12.5, DurationSeconds: 60}, <-gotResume); diff != "" {
		t.Errorf("resume body (-want +got):\n%s", diff)
	}
	var evs []api.Event
	var bad []error
	connected := false
	err = c.Events(ctx, func() { connected = true }, func(ev api.Event) { evs = append(evs, ev) }, func(err error) { bad = append(bad, err) })
	if !errors.Is(err, io.EOF) {
		t.Errorf("Events returned %v, want io.EOF at end of stream", err)
	}
	if !connected || len(evs) != 1 || evs[0].Key.Key != "KEY_OK" || len(bad) != 1 {
		t.Errorf("connected=%v events=%+v bad=%v", connected, evs, bad)
	}
	if _, err := c.Poster(ctx, "/api/poster/show/none"); err == nil {
		t.Error("Poster of a missing path succeeded")
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{Min: 250 * time.Millisecond, Max: time.Second}
	var got []time.Duration
	for range 5 {
		got = append(got, b.Next())
	}
	b.Reset()
	got = append(got, b.Next())
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, time.Second, time.Second, 250 * time.Millisecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("backoff (-want +got):\n%s", diff)
	}
}
