package remotes_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/remotes/faketv"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testbox"
	"github.com/atomicnetwork/atomicbox/gpio/remote"
)

// TestCECKeyReachesUIStream drives the whole daemon path a TV remote takes:
// a User Control Pressed on the (fake) HDMI-CEC adapter becomes a key event
// on GET /api/events, the stream the UI reads. It also checks that
// the inputs' diagnostics are mounted behind the API.
func TestCECKeyReachesUIStream(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{Shows: 1, EpisodesPerShow: 1, Seconds: 2})
	tv := faketv.New()
	d := testbox.StartDaemon(t, ch, testbox.DaemonOptions{Remote: tv.Remote()})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", d.URL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	keysSeen := make(chan api.KeyEvent, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev api.Event
			if json.Unmarshal([]byte(data), &ev) == nil && ev.Type == api.EventKey && ev.Key != nil {
				keysSeen <- *ev.Key
			}
		}
		close(keysSeen)
	}()

	tv.WaitConnected(t) // the remotes configure the adapter when they start
	// The SSE subscription may start a moment after the response headers:
	// press until the first key arrives, then check press and release.
	var got []string
	start := time.Now()
	for len(got) < 2 {
		if len(got) == 0 {
			tv.Press(t, 0x01) // Up
		}
		select {
		case k, ok := <-keysSeen:
			if !ok {
				t.Fatal("event stream ended")
			}
			got = append(got, k.Key+" "+k.Action+" "+k.Source)
			if len(got) == 1 {
				t.Logf("CEC press -> /api/events: %v", time.Since(start))
				tv.Release(t)
			}
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			t.Fatalf("keys seen: %v", got)
		}
	}
	if want := []string{"KEY_UP press cec", "KEY_UP release cec"}; !slices.Equal(got, want) {
		t.Errorf("keys on /api/events = %v, want %v", got, want)
	}

	sresp, err := http.Get(d.URL + "/api/remote/sources")
	if err != nil {
		t.Fatal(err)
	}
	defer sresp.Body.Close()
	var sources struct{ Sources []remote.SourceStatus }
	if err := json.NewDecoder(sresp.Body).Decode(&sources); err != nil || sresp.StatusCode != 200 {
		t.Fatalf("GET /api/remote/sources: %s %v", sresp.Status, err)
	}
	var cecState string
	for _, s := range sources.Sources {
		if s.Name == "cec" {
			cecState = s.State
		}
	}
	if cecState != "running" {
		t.Errorf("cec source state = %q, want running (sources %+v)", cecState, sources.Sources)
	}
}
