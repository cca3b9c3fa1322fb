package daemon

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestWhyNotPlayable: a real HTTP server answers the stream request the
// way the daemon does; the sentence names the cause.
func TestWhyNotPlayable(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/stream/ok", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Range") != "bytes=0-0" {
			t.Errorf("Range %q, want bytes=0-0", r.Header.Get("Range"))
		}
		w.WriteHeader(http.StatusPartialContent)
		w.Write([]byte{0})
	})
	mux.HandleFunc("GET /api/stream/locked", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"Coming Tue 8 Dec 2026 20:00 UTC."}`, http.StatusForbidden)
	})
	srv := httptest.NewServer(mux)
	c, err := New(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, want, reason string }{
		{"/api/stream/ok", "", "a served stream has nothing to explain"},
		{"/api/stream/locked", "not released yet. The box says: Coming Tue 8 Dec 2026 20:00 UTC.", "403 is a locked premiere, with the daemon's sentence"},
		{"/api/stream/gone", "no longer lists", "404 is an episode gone from the listing"},
	}
	for _, tt := range tests {
		got := c.WhyNotPlayable(context.Background(), tt.path)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s (%s): %q, want it to contain %q", tt.path, tt.reason, got, tt.want)
		}
	}
	srv.Close()
	if got := c.WhyNotPlayable(context.Background(), "/api/stream/ok"); !strings.Contains(got, "not answering") {
		t.Errorf("daemon down: %q, want it to say the service is not answering", got)
	}
}

// FuzzStreamRefusal: any status and body give a valid UTF-8 sentence (or
// "" exactly for 200 and 206) and never panic.
func FuzzStreamRefusal(f *testing.F) {
	f.Add(403, []byte(`{"error":"Coming soon."}`))
	f.Add(404, []byte("404 page not found\n"))
	f.Add(507, []byte(`{"error":`))
	f.Add(206, []byte{0})
	f.Fuzz(func(t *testing.T, code int, body []byte) {
		s := StreamRefusal(code, body)
		if (s == "") != (code == 200 || code == 206) {
			t.Fatalf("code %d: %q", code, s)
		}
		if !utf8.ValidString(s) && utf8.Valid(body) {
			t.Fatalf("invalid UTF-8 from valid input: %q", s)
		}
	})
}
