package publish_test

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/appliance/publish"
)

// FuzzDecodeManifest: the manifest decoder never panics and what it accepts
// survives an encode/decode round trip unchanged.
// Seeds: testdata/fuzz/FuzzDecodeManifest.
func FuzzDecodeManifest(f *testing.F) {
	f.Add([]byte(`{"network":"N","shows":[{"id":"a","title":"A","episodes":[{"id":"e","title":"x","video":"v.mp4"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := publish.DecodeManifest(data)
		if err != nil {
			return
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		m2, err := publish.DecodeManifest(again)
		if err != nil {
			t.Fatalf("DecodeManifest(re-encoded) = %v", err)
		}
		if diff := cmp.Diff(m, m2); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// FuzzMP4Duration: the movie header reader never panics, never reads
// outside the given size, and any duration it returns is positive and
// finite.
// Seeds: testdata/fuzz/FuzzMP4Duration (real ffmpeg headers and crafted boxes).
func FuzzMP4Duration(f *testing.F) {
	f.Add(mvhdFile(0, 1000, 3000))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := publish.MP4Duration(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		if d <= 0 || math.IsNaN(d) || math.IsInf(d, 0) {
			t.Fatalf("duration %v", d)
		}
	})
}
