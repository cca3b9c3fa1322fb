package catalog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/state"
)

// FetcherConfig is what a Fetcher needs from the outside world.
type FetcherConfig struct {
	BaseURL   string            // channel base URL ending in "/"; CatalogFile and SignatureFile live there
	PublicKey ed25519.PublicKey // the network key every catalog must be signed with
	Dir       string            // where the last good catalog (StoredFile) and HighestFile are kept
	Client    *http.Client      // nil: a client with a 30 s timeout
	Log       *slog.Logger      // nil: discard
	Now       func() time.Time  // nil: time.Now
}

// Status describes the fetcher's state for people and logs.
type Status struct {
	Sequence  uint64    // sequence of the catalog in use, 0 when there is none
	FetchedAt time.Time // when the channel last answered with a good catalog (new or unchanged); zero if never
	// Problem is one sentence a person on a couch can read, "" when all is
	// well, e.g. "The channel's new listing was refused: its signature does
	// not match this box's network key. Showing the last good listing."
	Problem string
	Err     error // the last refresh's error, nil when it succeeded
}

// Fetcher keeps the newest verified catalog of one channel: it fetches,
// verifies, refuses rollbacks, persists the last good copy and serves it.
// All methods are safe for concurrent use; concurrent Refresh calls are
// serialised. The *Catalog it hands out is shared: callers must not modify it.
type Fetcher struct {
	base   *url.URL
	pub    ed25519.PublicKey
	dir    string
	client *http.Client
	log    *slog.Logger
	now    func() time.Time

	refreshMu sync.Mutex // serialises Refresh

	mu      sync.Mutex // guards the fields below
	cur     *Catalog
	curRaw  []byte
	highest uint64 // the highest sequence ever accepted (HighestFile, cur)
	status  Status
}

// storedCatalog is StoredFile: the signed bytes and their signature in one
// file.
type storedCatalog struct {
	Catalog   []byte `json:"catalog"`   // exactly the signed bytes (base64 in JSON)
	Signature string `json:"signature"` // as SignatureFile holds it
}

// highestRecord is HighestFile.
type highestRecord struct {
	Sequence uint64 `json:"sequence"`
}

// NewFetcher checks cfg and loads the last good catalog from cfg.Dir,
// verifying it again. A missing stored copy means a fresh start; a corrupt or
// unverifiable one (power cut, key change) is logged and ignored, never
// fatal. It does not touch the network.
func NewFetcher(cfg FetcherConfig) (*Fetcher, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("catalog: base URL %q: %w", cfg.BaseURL, err)
	}
	if base.Scheme != "http" && base.Scheme != "https" || base.Host == "" {
		return nil, fmt.Errorf("catalog: base URL %q must be an absolute http or https URL", cfg.BaseURL)
	}
	if !strings.HasSuffix(base.Path, "/") || base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("catalog: base URL %q must end in '/' and have no query or fragment", cfg.BaseURL)
	}
	if len(cfg.PublicKey) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("catalog: public key is %d bytes, want %d", len(cfg.PublicKey), ed25519.PublicKeySize)
	}
	if cfg.Dir == "" {
		return nil, errors.New("catalog: no directory for the last good catalog")
	}
	f := &Fetcher{
		base:   base,
		pub:    cfg.PublicKey,
		dir:    cfg.Dir,
		client: cfg.Client,
		log:    cfg.Log,
		now:    cfg.Now,
	}
	if f.client == nil {
		f.client = &http.Client{Timeout: 30 * time.Second}
	}
	f.client = OnOriginClient(f.client)
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if f.now == nil {
		f.now = time.Now
	}
	f.loadStored()
	return f, nil
}

// loadStored loads StoredFile (or, on a box updated from before it, the
// old CatalogFile and SignatureFile pair) and HighestFile. Whatever is
// missing, corrupt or does not verify is logged and ignored.
func (f *Fetcher) loadStored() {
	var rec highestRecord
	if _, err := state.ReadJSON(filepath.Join(f.dir, HighestFile), &rec, f.log); err != nil {
		f.log.Warn("cannot read the highest catalog sequence", "dir", f.dir, "err", err)
	}
	f.highest = rec.Sequence
	defer func() {
		if f.highest > f.status.Sequence {
			f.log.Info("catalogs older than the highest sequence seen are refused", "highest", f.highest)
		}
	}()

	data, sig, err := f.readStored()
	if errors.Is(err, fs.ErrNotExist) {
		f.log.Info("no stored catalog; starting fresh", "dir", f.dir)
		return
	}
	if err != nil {
		f.log.Warn("cannot read stored catalog; starting fresh", "dir", f.dir, "err", err)
		return
	}
	c, err := Verify(f.pub, data, sig)
	if err != nil {
		f.log.Warn("stored catalog does not verify; ignoring it and starting fresh", "dir", f.dir, "err", err)
		return
	}
	f.cur, f.curRaw = c, data
	f.status.Sequence = c.Sequence
	f.status.Problem = staleProblem(c, f.now())
	f.highest = max(f.highest, c.Sequence)
	f.log.Info("loaded stored catalog", "dir", f.dir, "sequence", c.Sequence, "shows", len(c.Shows))
}

// readStored returns the stored catalog bytes and signature: StoredFile,
// else the pair of files boxes kept before it.
func (f *Fetcher) readStored() (data, sig []byte, err error) {
	var st storedCatalog
	found, err := state.ReadJSON(filepath.Join(f.dir, StoredFile), &st, f.log)
	if err != nil {
		return nil, nil, err
	}
	if found {
		return st.Catalog, []byte(st.Signature), nil
	}
	data, err = os.ReadFile(filepath.Join(f.dir, CatalogFile))
	if err != nil {
		return nil, nil, err
	}
	sig, err = os.ReadFile(filepath.Join(f.dir, SignatureFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	return data, sig, nil
}

// Current returns the catalog in use (nil when there is none yet) and the
// status. It does not block on the network.
func (f *Fetcher) Current() (*Catalog, Status) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cur, f.status
}

// Refresh fetches the channel's catalog and signature once, verifies them
// and, if the catalog is newer than the one held, persists it and swaps it
// in (changed = true). Identical bytes are "unchanged", not an error. On any
// refusal or failure the last good catalog stays in use, the status carries
// the problem and the error is logged and returned; content refusals wrap
// ErrMalformed, ErrUnsigned, ErrBadSignature or ErrRollback. Blocks until the
// requests finish or ctx ends.
func (f *Fetcher) Refresh(ctx context.Context) (changed bool, err error) {
	f.refreshMu.Lock()
	defer f.refreshMu.Unlock()

	// Only Refresh changes cur and curRaw, and refreshMu is held: they can
	// be read without mu here.
	held, heldRaw, highest := f.cur, f.curRaw, f.highest
	var heldSeq uint64
	if held != nil {
		heldSeq = held.Sequence
	}
	catURL := f.base.JoinPath(CatalogFile).String()
	c, data, sig, err := f.fetchVerified(ctx)
	if err == nil && held != nil {
		switch {
		case bytes.Equal(data, heldRaw):
			f.mu.Lock()
			f.status.FetchedAt = f.now()
			f.status.Problem, f.status.Err = staleProblem(held, f.now()), nil
			f.mu.Unlock()
			return false, nil
		case c.Sequence == heldSeq:
			err = fmt.Errorf("%w: sequence %d is the one held but the content differs", ErrRollback, c.Sequence)
		case c.Sequence < heldSeq:
			err = fmt.Errorf("%w: sequence %d is older than the held %d", ErrRollback, c.Sequence, heldSeq)
		}
	}
	// Without a held catalog (lost, damaged) the record still refuses
	// anything older than what this box once accepted.
	if err == nil && c.Sequence < highest {
		err = fmt.Errorf("%w: sequence %d is older than the highest this box accepted, %d", ErrRollback, c.Sequence, highest)
	}
	if err != nil {
		f.mu.Lock()
		f.status.Err = err
		f.status.Problem = problemFor(err, held != nil)
		if p := staleProblem(held, f.now()); p != "" {
			f.status.Problem = p
		}
		f.mu.Unlock()
		f.log.Warn("catalog refused; keeping the last good one", "url", catURL, "err", err, "heldSequence", heldSeq)
		return false, err
	}
	if werr := f.persist(data, sig, c.Sequence); werr != nil {
		// Degradable: the catalog verified, so use it; the next start
		// falls back to the older stored copy or fetches again.
		f.log.Warn("cannot store the new catalog; using it anyway", "dir", f.dir, "err", werr)
	}
	f.mu.Lock()
	f.cur, f.curRaw = c, data
	f.highest = max(f.highest, c.Sequence)
	f.status = Status{Sequence: c.Sequence, FetchedAt: f.now(), Problem: staleProblem(c, f.now())}
	f.mu.Unlock()
	f.log.Info("new catalog", "url", catURL, "sequence", c.Sequence, "previousSequence", heldSeq, "shows", len(c.Shows))
	return true, nil
}

// fetchVerified gets the signature and the catalog and verifies them. The
// publisher writes the catalog first and the signature second; a box that
// reads the old signature and the new catalog in between sees a mismatch,
// so on ErrBadSignature the signature is fetched once more and, if it
// changed, checked again.
func (f *Fetcher) fetchVerified(ctx context.Context) (c *Catalog, data, sig []byte, err error) {
	sig, err = f.get(ctx, SignatureFile, maxSignatureBytes, true)
	if err != nil {
		return nil, nil, nil, err
	}
	data, err = f.get(ctx, CatalogFile, MaxCatalogBytes, false)
	if err != nil {
		return nil, nil, nil, err
	}
	c, err = Verify(f.pub, data, sig)
	if errors.Is(err, ErrBadSignature) {
		sig2, err2 := f.get(ctx, SignatureFile, maxSignatureBytes, true)
		if err2 == nil && !bytes.Equal(sig, sig2) {
			sig = sig2
			c, err = Verify(f.pub, data, sig)
		}
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return c, data, sig, nil
}

// get fetches name under the base URL, refusing bodies over limit bytes.
// With missingIsUnsigned, a 404 means ErrUnsigned.
func (f *Fetcher) get(ctx context.Context, name string, limit int64, missingIsUnsigned bool) ([]byte, error) {
	u := f.base.JoinPath(name).String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound && missingIsUnsigned {
		return nil, fmt.Errorf("%w: %s is missing (404)", ErrUnsigned, u)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: HTTP %s", u, resp.Status)
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("%w: %s is %d bytes, more than the limit of %d", ErrMalformed, u, resp.ContentLength, limit)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: %s is more than the limit of %d bytes", ErrMalformed, u, limit)
	}
	return data, nil
}

// persist stores the verified bytes with their signature in one file
// (one atomic rename), then raises HighestFile to its sequence, then removes
// the old two-file copy if this box still had one. A power cut at any point
// leaves a verifiable catalog and a record no higher than the newest
// catalog stored.
func (f *Fetcher) persist(data, sig []byte, seq uint64) error {
	if err := state.WriteJSON(filepath.Join(f.dir, StoredFile), storedCatalog{Catalog: data, Signature: string(sig)}); err != nil {
		return err
	}
	f.mu.Lock()
	recorded := f.highest
	f.mu.Unlock()
	if seq > recorded || !fileExists(filepath.Join(f.dir, HighestFile)) {
		if err := state.WriteJSON(filepath.Join(f.dir, HighestFile), highestRecord{Sequence: max(seq, recorded)}); err != nil {
			return err
		}
	}
	for _, old := range []string{CatalogFile, SignatureFile} {
		if err := os.Remove(filepath.Join(f.dir, old)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			f.log.Warn("cannot remove the old catalog copy", "file", old, "err", err)
		}
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Run refreshes at once and then every interval until ctx ends, sooner
// around the release times the catalog in use announces (NextRefresh). After an
// error it retries sooner, after 1 s doubling up to interval. It calls
// onChange (from Run's goroutine, never concurrently) whenever the catalog
// in use or the status's Problem changes; it does not call it for the
// catalog loaded from disk, which Current already returns. onChange may be
// nil. Blocks until ctx ends.
func (f *Fetcher) Run(ctx context.Context, interval time.Duration, onChange func(*Catalog, Status)) {
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	backoff := time.Second
	for {
		_, before := f.Current()
		changed, err := f.Refresh(ctx)
		if ctx.Err() != nil {
			return
		}
		c, after := f.Current()
		if onChange != nil && (changed || after.Problem != before.Problem) {
			onChange(c, after)
		}
		wait := NextRefresh(c, f.now(), interval, rand.Float64())
		if err != nil {
			wait = min(backoff, wait)
			backoff = min(2*backoff, interval)
		} else {
			backoff = time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Resolve returns the absolute URL of a catalog-relative path (a poster or
// a torrent). It refuses a path that is not clean (CheckRelPath) or that
// would resolve outside the base URL.
func (f *Fetcher) Resolve(rel string) (string, error) {
	if err := CheckRelPath(rel); err != nil {
		return "", fmt.Errorf("catalog: resolve: %w", err)
	}
	u := f.base.ResolveReference(&url.URL{Path: rel})
	s, b := u.String(), f.base.String()
	if !strings.HasPrefix(s, b) || u.Host != f.base.Host || u.Scheme != f.base.Scheme {
		return "", fmt.Errorf("catalog: resolve: %q leaves the base %s", rel, b)
	}
	return s, nil
}

// staleProblem is the sentence the TV shows once c (the listing in use) is
// past its ValidUntil; "" while it is valid or when there is none.
func staleProblem(c *Catalog, now time.Time) string {
	if c == nil || c.ValidUntil.IsZero() || now.Before(c.ValidUntil) {
		return ""
	}
	return "The channel's listing ran out on " + c.ValidUntil.UTC().Format("2 January 2006") +
		" and this box cannot get a newer one, so new episodes will not appear. What is on the box still plays."
}

// problemFor turns an error into the sentence the TV shows.
func problemFor(err error, haveLastGood bool) string {
	tail := " Showing the last good listing."
	if !haveLastGood {
		tail = " No listing is available yet."
	}
	switch {
	case errors.Is(err, ErrBadSignature):
		return "The channel's new listing was refused: its signature does not match this box's network key." + tail
	case errors.Is(err, ErrUnsigned):
		return "The channel's new listing was refused: it is not signed." + tail
	case errors.Is(err, ErrRollback):
		return "The channel's listing was refused: it is not newer than the one this box already has." + tail
	case errors.Is(err, ErrMalformed):
		return "The channel's new listing was refused: it is damaged or in a format this box does not understand." + tail
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "The channel did not answer in time." + tail
	default:
		return "The channel cannot be reached right now." + tail
	}
}
