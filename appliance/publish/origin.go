package publish

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"strings"
	"sync/atomic"

	"golang.org/x/time/rate"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
)

// Cache-Control of what an origin serves (Origin and nginx-origin.conf):
const (
	// CacheListing: the catalog and its signature are revalidated on
	// every request, so a release reaches boxes at once.
	CacheListing = "no-cache"
	// CacheChecked: torrents and posters may change under their path when
	// an episode is published again; boxes check them against the signed
	// catalog, so a stale copy costs at most this long.
	CacheChecked = "public, max-age=60"
	// CacheMedia: a media file never changes under its name (a new cut is
	// a new episode ID; an embargoed file stays the same ciphertext).
	CacheMedia = "public, max-age=31536000, immutable"
)

// OriginOptions tunes an Origin.
type OriginOptions struct {
	// RateLimit caps the body bytes per second of all responses together
	// but the small ones; 0 = unlimited. The benchmark uses it
	// to model a constrained origin. The small files (catalog, signature,
	// .torrent) are not limited: a real network puts them on a CDN, and a
	// box must not wait behind episode bytes to learn what is on.
	RateLimit int64
	Log       *slog.Logger // nil: discard
}

// Origin serves an origin directory over HTTP as static files: GET and
// HEAD, Range (206, 416) through http.ServeContent, no directory listings,
// no dotfiles (the publisher's temp and cache files), nothing outside the
// directory (symbolic links that leave it are refused). It is an
// http.Handler, safe for concurrent use.
type Origin struct {
	root    string
	limiter *rate.Limiter // nil: unlimited
	chunk   int           // bytes per limiter wait
	log     *slog.Logger
	served  atomic.Int64
}

// NewOrigin returns a handler serving dir.
func NewOrigin(dir string, opts OriginOptions) *Origin {
	o := &Origin{root: dir, log: opts.Log}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if opts.RateLimit > 0 {
		// The bucket holds 1/8 s of traffic (at most 64 KiB): enough to make
		// up for a writer that was late (scheduling, a slow client), small
		// enough that the head start of a fresh bucket stays a few percent
		// of any transfer worth measuring. Writes are cut into chunks of at
		// most 16 KiB, so the rate is even within a response too.
		burst := min(max(opts.RateLimit/8, 1), 64<<10)
		o.chunk = int(min(burst, 16<<10))
		o.limiter = rate.NewLimiter(rate.Limit(opts.RateLimit), int(burst))
	}
	return o
}

// ServedBytes is the number of response body bytes written so far.
func (o *Origin) ServedBytes() int64 { return o.served.Load() }

func (o *Origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := path.Clean("/" + r.URL.Path)[1:]
	if name == "" || hasDotSegment(name) {
		http.NotFound(w, r)
		return
	}
	root, err := os.OpenRoot(o.root)
	if err != nil {
		o.log.Error("origin: cannot open the origin directory", "dir", o.root, "err", err)
		http.Error(w, "origin unavailable", http.StatusServiceUnavailable)
		return
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			o.log.Warn("origin: open", "path", name, "err", err)
		}
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	// The caching contract is the one nginx-origin.conf gives nginx.
	h := w.Header()
	switch {
	case name == catalog.CatalogFile:
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", CacheListing)
	case name == catalog.SignatureFile:
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", CacheListing)
	case strings.HasSuffix(name, ".torrent"):
		h.Set("Content-Type", "application/x-bittorrent")
		h.Set("Cache-Control", CacheChecked)
	case strings.HasPrefix(name, PostersDir+"/"):
		h.Set("Cache-Control", CacheChecked)
	case strings.HasPrefix(name, MediaDir+"/"):
		if mt, err := videoType(name); err == nil {
			h.Set("Content-Type", mt)
		}
		h.Set("Cache-Control", CacheMedia)
	}
	limited := name != catalog.CatalogFile && name != catalog.SignatureFile && !strings.HasSuffix(name, ".torrent")
	http.ServeContent(&countingWriter{ResponseWriter: w, o: o, ctx: r.Context(), limited: limited}, r, name, fi.ModTime(), f)
}

func hasDotSegment(name string) bool {
	for seg := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

// countingWriter counts body bytes and applies the shared rate limit when
// limited.
type countingWriter struct {
	http.ResponseWriter
	o       *Origin
	ctx     context.Context
	limited bool
}

func (cw *countingWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p
		if cw.limited && cw.o.limiter != nil {
			if len(chunk) > cw.o.chunk {
				chunk = chunk[:cw.o.chunk]
			}
			if err := cw.o.limiter.WaitN(cw.ctx, len(chunk)); err != nil {
				return written, err
			}
		}
		n, err := cw.ResponseWriter.Write(chunk)
		written += n
		cw.o.served.Add(int64(n))
		if err != nil {
			return written, err
		}
		p = p[len(chunk):]
	}
	return written, nil
}

// Unwrap lets http.ResponseController reach the real writer.
func (cw *countingWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }
