package collector_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atomicnetwork/atomicbox/appliance/collector"
)

// TestHTTP posts reports to a collector on loopback and reads the table
// back as JSON and text, and one box's row.
func TestHTTP(t *testing.T) {
	c := open(t, filepath.Join(t.TempDir(), "log"), collector.Options{MaxReport: 64 << 10})
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	a, b, cc, docs := triangle()
	post := func(doc []byte) int {
		resp, err := http.Post(srv.URL+collector.ReportsPath, "application/json", bytes.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, d := range docs {
		if code := post(d); code != http.StatusOK {
			t.Fatalf("POST: %d", code)
		}
	}
	tests := []struct {
		reason string
		doc    []byte
		want   int
	}{
		{reason: "replay", doc: docs[0], want: http.StatusConflict},
		{reason: "garbage", doc: []byte("{]"), want: http.StatusBadRequest},
		{reason: "over the cap", doc: bytes.Repeat([]byte("x"), 64<<10+1), want: http.StatusRequestEntityTooLarge},
		{reason: "future", doc: a.report(day("2026-12-25", 0)), want: http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		if code := post(tt.doc); code != tt.want {
			t.Errorf("%s: POST status %d, want %d", tt.reason, code, tt.want)
		}
	}
	get := func(q url.Values) []byte {
		resp, err := http.Get(srv.URL + collector.ConfirmedPath + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %v: %d %s", q, resp.StatusCode, body)
		}
		return body
	}
	var table collector.Table
	if err := json.Unmarshal(get(url.Values{"month": {"2026-12"}}), &table); err != nil {
		t.Fatal(err)
	}
	if len(table.Rows) != 3 || table.Rows[0].Confirmed != 1300 || table.Rows[2].BoxKey != cc.pub().String() {
		t.Errorf("table %+v", table)
	}
	var row collector.Row
	if err := json.Unmarshal(get(url.Values{"month": {"2026-12"}, "box": {b.pub().String()}}), &row); err != nil {
		t.Fatal(err)
	}
	if row.Confirmed != 40 {
		t.Errorf("b's row %+v, want 40 confirmed", row)
	}
	text := string(get(url.Values{"month": {"2026-12"}, "format": {"text"}}))
	if !strings.Contains(text, "confirmed") || strings.Count(text, "\n") != 4 || !strings.Contains(text, " 1300 ") {
		t.Errorf("text table:\n%s", text)
	}
	t.Logf("text table:\n%s", text)
}
