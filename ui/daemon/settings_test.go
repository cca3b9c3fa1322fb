package daemon

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/google/go-cmp/cmp"
)

// TestSettingsClient: answers and refusals of the settings endpoints map
// to values, ErrNotAvailable and StatusError.
func TestSettingsClient(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		want    api.SettingsView
		notAv   bool
		message string // StatusError.Message
		reason  string
	}{
		{"ok", 200, `{"box":{"version":"1.0"},"bandwidth":{"dayUp":625000,"dayDown":0,"night":{"enabled":true,"startMinute":60,"endMinute":420,"up":0,"down":0}},"storage":{"keepFreePercent":10},"video":{"mode":"1920x1080@60"}}`,
			api.SettingsView{Box: api.BoxInfo{Version: "1.0"}, Bandwidth: api.BandwidthSettings{DayUp: 625000, Night: api.NightWindow{Enabled: true, StartMinute: 60, EndMinute: 420}},
				Storage: api.StorageView{KeepFreePercent: 10}, Video: api.VideoSettings{Mode: "1920x1080@60"}}, false, "", "the contract's JSON decodes"},
		{"full", 200, `{"storage":{"totalBytes":32000000000,"freeBytes":100000000,"keepFreePercent":10,"full":true}}`,
			api.SettingsView{Storage: api.StorageView{TotalBytes: 32e9, FreeBytes: 1e8, KeepFreePercent: 10, Full: true}}, false, "", "the daemon's disk-full verdict reaches the model"},
		{"missing", 404, "404 page not found\n", api.SettingsView{}, true, "", "an older daemon: not available"},
		{"refused", 400, `{"error":"bandwidth: the daytime upload cap cannot be negative (-1 bytes/s); use 0 for unlimited"}`, api.SettingsView{}, false,
			"bandwidth: the daytime upload cap cannot be negative (-1 bytes/s); use 0 for unlimited", "the daemon's sentence reaches the screen"},
		{"broken", 500, "oops", api.SettingsView{}, false, "500 Internal Server Error", "no JSON: the status line"},
	}
	for _, tt := range tests {
		var gotBody string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			gotBody = r.Method + " " + r.URL.Path + " " + string(b)
			w.WriteHeader(tt.status)
			io.WriteString(w, tt.body)
		}))
		c, err := New(srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		keep := 15
		got, err := c.PutSettings(ctx, api.SettingsUpdate{KeepFreePercent: &keep})
		cancel()
		srv.Close()
		if want := `PUT /api/settings {"keepFreePercent":15}`; gotBody != want {
			t.Errorf("%s: request %q, want %q", tt.name, gotBody, want)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (%s): view (-want +got):\n%s", tt.name, tt.reason, diff)
		}
		if errors.Is(err, ErrNotAvailable) != tt.notAv {
			t.Errorf("%s (%s): err %v, not available %v", tt.name, tt.reason, err, tt.notAv)
		}
		var se *StatusError
		if errors.As(err, &se) != (tt.message != "") || (se != nil && se.Message != tt.message) {
			t.Errorf("%s (%s): err %v, want message %q", tt.name, tt.reason, err, tt.message)
		}
	}
}
