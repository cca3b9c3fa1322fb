package catalog

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// maxRedirects bounds a redirect chain on the channel's origin.
const maxRedirects = 5

// ErrOffOrigin is why a redirect or a URL that leaves the channel's origin
// is refused.
var ErrOffOrigin = errors.New("leaves the channel's origin")

// StayOnOrigin is an http.Client CheckRedirect: it follows a redirect only
// to the scheme and host (with port) of the chain's first request, at most
// maxRedirects times. Whatever a catalog, a torrent or the origin itself
// says, a box then fetches only from the channel it was set up with.
func StayOnOrigin(req *http.Request, via []*http.Request) error {
	if len(via) == 0 {
		return nil
	}
	if len(via) > maxRedirects {
		return fmt.Errorf("more than %d redirects", maxRedirects)
	}
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
		return fmt.Errorf("redirect from %s to %s: %w", first.Redacted(), req.URL.Redacted(), ErrOffOrigin)
	}
	return nil
}

// OnOriginClient returns a copy of c (nil: a zero client) whose redirects
// stay on the origin (StayOnOrigin).
func OnOriginClient(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	out.CheckRedirect = StayOnOrigin
	return &out
}

// Within reports whether u lies under the channel's base URL: same scheme
// and host, and a path under the base's. Torrents' url-lists are outside
// the info hash, so their entries are used only when Within.
func (f *Fetcher) Within(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	return p.Scheme == f.base.Scheme && strings.EqualFold(p.Host, f.base.Host) &&
		strings.HasPrefix(p.EscapedPath(), f.base.EscapedPath()) && p.User == nil
}

// LocalHost reports whether a URL's host is this machine or its link: a
// loopback, link-local or unspecified address, or "localhost". A box
// contacts such a host only when its own channel is there (tests, a
// network's box on the origin itself), never because a catalog says so.
func LocalHost(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	h := strings.ToLower(p.Hostname())
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified())
}

// BaseIsLocal reports whether the channel itself is on a LocalHost.
func (f *Fetcher) BaseIsLocal() bool { return LocalHost(f.base.String()) }
