package swarm

import (
	"testing"

	"github.com/anacrolix/torrent/metainfo"
)

func TestOriginURL(t *testing.T) {
	for _, tc := range []struct {
		urls   metainfo.UrlList
		name   string
		want   string
		reason string
	}{
		{metainfo.UrlList{"http://o.example/media/"}, "ep 1.mp4", "http://o.example/media/ep%201.mp4", "a directory URL gets the file name appended, escaped (BEP 19)"},
		{metainfo.UrlList{"https://o.example/media/ep1.mp4"}, "ep1.mp4", "https://o.example/media/ep1.mp4", "a file URL is used as it is"},
		{metainfo.UrlList{"ftp://o.example/", "http://o.example/m/"}, "a.mp4", "http://o.example/m/a.mp4", "only http(s) entries count"},
		{nil, "a.mp4", "", "no url-list: no origin fallback"},
	} {
		if got := originURL(tc.urls, tc.name); got != tc.want {
			t.Errorf("originURL(%q, %q) = %q, want %q (%s)", tc.urls, tc.name, got, tc.want, tc.reason)
		}
	}
}
