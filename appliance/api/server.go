package api

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// ErrNotFound is what a Backend returns for an unknown episode or poster.
var ErrNotFound = errors.New("not found")

// Stream is one reader of an episode (see swarm.Stream): reads block until
// the data is there or the context given to Open ends. Not safe for
// concurrent use.
type Stream interface {
	io.ReadSeekCloser
	Size() int64
}

// Backend is what the server serves: the box (catalog, swarm, posters).
// Implementations must be safe for concurrent use.
type Backend interface {
	// Catalog returns the current view (with resume and library state).
	Catalog() CatalogView
	// Episode returns one episode's view; false if the catalog has none.
	Episode(id string) (EpisodeView, bool)
	// Open returns a fresh reader of the episode bound to ctx; an unknown
	// episode is ErrNotFound.
	Open(ctx context.Context, episodeID string) (Stream, error)
	// Poster returns the path of a cached poster and its content type;
	// ErrNotFound when there is none. kind is "show" or "episode".
	Poster(kind, id string) (path, contentType string, err error)
	Stats() Stats
}

// ResumeStore keeps playback positions (see package resume).
// ErrBadResumeUpdate is what a ResumeStore's Set wraps for a position or
// duration that is not a number a player could report (400); any other
// error means the position could not be stored (500).
var ErrBadResumeUpdate = errors.New("resume: bad position")

type ResumeStore interface {
	Get(episodeID string) Resume
	Set(episodeID string, u ResumeUpdate) (Resume, error)
}

// ServerConfig is what NewServer needs.
type ServerConfig struct {
	Backend Backend
	Resume  ResumeStore
	Keys    *KeyBus // remote keys in (POST /api/keys) and out (/api/events)
	Hub     *Hub    // daemon events out (/api/events); the box publishes catalog events here
	Pairer  *Pairer
	// Heartbeat is the SSE keep-alive comment interval; 0 = 15 s.
	Heartbeat time.Duration
	// Mounts are further handlers by path prefix (e.g. "/api/remote/" for
	// gpio/remote's diagnostics and learn mode). They sit behind the same
	// pairing check as every other endpoint.
	Mounts map[string]http.Handler
	// Home serves settings, seeding and the ledger report; nil = those
	// endpoints answer 404.
	Home Home
	// Network serves /api/network and the Wi-Fi endpoints; nil = 404.
	Network Network
	// Hostname is the box's name: requests may name it (or name.local) in
	// their Host header, besides "localhost" and the box's own addresses.
	Hostname string
	// InterfaceAddrs lists the box's own addresses (nil: the system's,
	// net.InterfaceAddrs). Requests whose Host names anything else are
	// refused, which also stops DNS rebinding, and the pairing screen
	// shows only these.
	InterfaceAddrs func() []netip.Addr
	// AllowPublic lets requests in from addresses that are not loopback,
	// link-local or private (a global IPv6 address, a forwarded port):
	// off by default, the box's API is for its household's network.
	AllowPublic bool
	// Port is the API's port, for the pairing address when a request does
	// not say which local address it reached (0: 80).
	Port uint16
	Log  *slog.Logger
}

// Body limits, bytes.
const (
	maxSmallBody = 1 << 10
)

// Server is the daemon's HTTP API (see the package comment). It is an
// http.Handler, safe for concurrent use.
type Server struct {
	cfg ServerConfig
	mux *http.ServeMux
	log *slog.Logger
}

//go:embed remote.html
var remotePage []byte

// NewServer builds the handler.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Backend == nil || cfg.Resume == nil || cfg.Keys == nil || cfg.Hub == nil || cfg.Pairer == nil {
		return nil, errors.New("api: server needs a backend, resume store, key bus, hub and pairer")
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), log: cfg.Log.With("component", "api")}
	m := s.mux
	m.HandleFunc("GET /api/catalog", s.catalog)
	m.HandleFunc("GET /api/poster/{kind}/{id}", s.poster)
	m.HandleFunc("GET /api/stream/{episode}", s.stream) // GET patterns also match HEAD
	m.HandleFunc("GET /api/stats", s.stats)
	m.HandleFunc("POST /api/keys", s.keys)
	m.HandleFunc("GET /api/events", s.events)
	m.HandleFunc("GET /api/resume/{episode}", s.getResume)
	m.HandleFunc("PUT /api/resume/{episode}", s.putResume)
	m.HandleFunc("GET /remote", s.remote)
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/remote", http.StatusFound)
	})
	m.HandleFunc("POST /api/pair/request", s.pairRequest)
	m.HandleFunc("POST /api/pair", s.pair)
	m.HandleFunc("GET /api/pair/devices", s.pairedDevices)
	m.HandleFunc("DELETE /api/pair/devices/{id}", s.unpair)
	s.routeHome()
	s.routeNetwork()
	for prefix, h := range cfg.Mounts {
		m.Handle(prefix, h)
	}
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return s, nil
}

// open paths need no pairing: the remote page and the pairing itself.
var open = map[string]bool{"/remote": true, "/": true, "/api/pair/request": true, "/api/pair": true}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.AllowPublic && !localSource(r.RemoteAddr) {
		writeError(w, http.StatusForbidden, "this box answers only to its own network (loopback, link-local or private addresses)")
		return
	}
	if !s.ownHost(r.Host) {
		writeError(w, http.StatusMisdirectedRequest, "this box answers only to its own names and addresses")
		return
	}
	if why := s.crossSite(r); why != "" {
		writeError(w, http.StatusForbidden, why)
		return
	}
	if !open[r.URL.Path] && !s.trusted(r) {
		writeError(w, http.StatusUnauthorized, "this device is not paired: open /remote to pair")
		return
	}
	s.mux.ServeHTTP(w, r)
}

// localSource reports whether a request comes from the box's own network:
// loopback, link-local or private (RFC 1918, fc00::/7) addresses.
func localSource(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast()
}

// ownHost reports whether a Host header names this box: localhost, its
// hostname (or hostname.local), a loopback address or one of its interface
// addresses, with any port.
func (s *Server) ownHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	switch {
	case host == "":
		return false
	case host == "localhost":
		return true
	case s.cfg.Hostname != "" && (host == strings.ToLower(s.cfg.Hostname) || host == strings.ToLower(s.cfg.Hostname)+".local"):
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	if ip.IsLoopback() {
		return true
	}
	return slices.Contains(s.interfaceAddrs(), ip.WithZone(""))
}

func (s *Server) interfaceAddrs() []netip.Addr {
	if s.cfg.InterfaceAddrs != nil {
		return s.cfg.InterfaceAddrs()
	}
	return SystemInterfaceAddrs()
}

// SystemInterfaceAddrs is the machine's interface addresses.
func SystemInterfaceAddrs() []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr().Unmap().WithZone(""))
		}
	}
	return out
}

// crossSite explains why a state-changing request from another site is
// refused ("" when it is not): a page elsewhere must not pop up the pairing
// screen or press keys, even blind. Browsers send Sec-Fetch-Site and Origin
// on such requests; other clients (the UI, curl, the phone's own page) send
// same-origin values or nothing.
func (s *Server) crossSite(r *http.Request) string {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return ""
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return "requests from other sites are refused"
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" || !s.ownHost(u.Host) {
			return "requests from other sites are refused"
		}
	}
	return ""
}

// remoteURL is where a phone should go to pair: the address the request
// reached the box on when that is a LAN address, else the box's first
// private (then any routable) IPv4 address, else hostname.local; never the request's Host
// header (anyone may write anything there). "" when the box knows none.
func (s *Server) remoteURL(r *http.Request) string {
	port := cmp.Or(s.cfg.Port, 80)
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ap, err := netip.ParseAddrPort(la.String()); err == nil {
			port = ap.Port()
			if a := ap.Addr().Unmap(); !a.IsLoopback() && !a.IsUnspecified() {
				return "http://" + netip.AddrPortFrom(a.WithZone(""), port).String() + "/remote"
			}
		}
	}
	addrs := s.interfaceAddrs()
	for _, a := range addrs {
		if a.Is4() && a.IsPrivate() {
			return fmt.Sprintf("http://%s:%d/remote", a, port)
		}
	}
	for _, a := range addrs {
		if a.Is4() && a.IsGlobalUnicast() {
			return fmt.Sprintf("http://%s:%d/remote", a, port)
		}
	}
	if s.cfg.Hostname != "" {
		return fmt.Sprintf("http://%s.local:%d/remote", s.cfg.Hostname, port)
	}
	return ""
}

// trusted: loopback (the UI on the box) or a paired token.
func (s *Server) trusted(r *http.Request) bool {
	if isLoopback(r.RemoteAddr) {
		return true
	}
	return s.cfg.Pairer.Valid(token(r))
}

func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

func token(r *http.Request) string {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimPrefix(h, "Bearer ")
	}
	if c, err := r.Cookie(PairCookie); err == nil {
		return c.Value
	}
	return ""
}

func (s *Server) catalog(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.cfg.Backend.Catalog())
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.cfg.Backend.Stats())
}

func (s *Server) poster(w http.ResponseWriter, r *http.Request) {
	kind, id := r.PathValue("kind"), r.PathValue("id")
	if kind != "show" && kind != "episode" {
		writeError(w, http.StatusNotFound, "poster kind must be show or episode")
		return
	}
	path, ctype, err := s.cfg.Backend.Poster(kind, id)
	if errors.Is(err, ErrNotFound) {
		writeError(w, http.StatusNotFound, "no poster for "+kind+" "+id)
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	f, err := os.Open(path)
	if err != nil {
		writeError(w, http.StatusNotFound, "no poster for "+kind+" "+id)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "max-age=300")
	http.ServeContent(w, r, "", st.ModTime(), f)
}

// stream serves one episode with a fresh swarm reader bound to the
// request's context: a client that goes away stops the reader.
// longLived lifts the server's write timeout for a response that lasts as
// long as the client wants it (a video stream, the event stream).
func longLived(w http.ResponseWriter) {
	// Not every ResponseWriter has deadlines (tests' recorders): nothing to
	// lift then.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	longLived(w)
	id := r.PathValue("episode")
	ep, ok := s.cfg.Backend.Episode(id)
	if !ok {
		writeError(w, http.StatusNotFound, "unknown episode "+id)
		return
	}
	st, err := s.cfg.Backend.Open(r.Context(), id)
	if errors.Is(err, ErrNotFound) {
		writeError(w, http.StatusNotFound, "episode "+id+" is not available yet")
		return
	}
	if errors.Is(err, ErrEmbargoed) {
		writeError(w, http.StatusForbidden, "episode "+id+" cannot be played yet: "+err.Error())
		return
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	defer st.Close()
	w.Header().Set("Content-Type", ep.MimeType)
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(&jsonRangeError{ResponseWriter: w}, r, "", time.Time{}, st)
}

// jsonRangeError turns http.ServeContent's plain-text 416 into the API's
// JSON error (keeping its Content-Range: bytes */size).
type jsonRangeError struct {
	http.ResponseWriter
	swallow bool
}

func (j *jsonRangeError) WriteHeader(code int) {
	if code != http.StatusRequestedRangeNotSatisfiable {
		j.ResponseWriter.WriteHeader(code)
		return
	}
	j.swallow = true
	h := j.Header()
	h.Del("Content-Length")
	h.Del("X-Content-Type-Options")
	h.Set("Content-Type", "application/json")
	j.ResponseWriter.WriteHeader(code)
	io.WriteString(j.ResponseWriter, `{"error":"requested range not satisfiable"}`+"\n")
}

func (j *jsonRangeError) Write(p []byte) (int, error) {
	if j.swallow {
		return len(p), nil
	}
	return j.ResponseWriter.Write(p)
}

func (j *jsonRangeError) Unwrap() http.ResponseWriter { return j.ResponseWriter }

func (s *Server) keys(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, MaxKeyEventBytes)
	if !ok {
		return
	}
	ev, err := DecodeKeyEvent(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if ev.Source == "" {
		ev.Source = SourceWeb
	}
	s.cfg.Keys.Send(ev)
	w.WriteHeader(http.StatusNoContent)
}

// events streams keys and daemon events as SSE until the client goes away.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	longLived(w)
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	ctx := r.Context()
	keyCh := s.cfg.Keys.Subscribe(ctx, 64)
	evCh := s.cfg.Hub.Subscribe(ctx, 16)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, ": atomicbox events\n\n")
	fl.Flush()
	beat := time.NewTicker(s.cfg.Heartbeat)
	defer beat.Stop()
	for {
		var ev Event
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
				return
			}
			fl.Flush()
			continue
		case k, ok := <-keyCh:
			if !ok {
				return
			}
			ev = Event{Type: EventKey, Key: &k}
		case e, ok := <-evCh:
			if !ok {
				return
			}
			ev = e
		}
		data, err := json.Marshal(ev)
		if err != nil {
			continue
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, data); err != nil {
			return
		}
		fl.Flush()
	}
}

func (s *Server) getResume(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("episode")
	ep, ok := s.cfg.Backend.Episode(id)
	if !ok {
		writeError(w, http.StatusNotFound, "unknown episode "+id)
		return
	}
	res := s.cfg.Resume.Get(id)
	if res.DurationSeconds == 0 {
		res.DurationSeconds = ep.DurationSeconds
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) putResume(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("episode")
	ep, ok := s.cfg.Backend.Episode(id)
	if !ok {
		writeError(w, http.StatusNotFound, "unknown episode "+id)
		return
	}
	var u ResumeUpdate
	if !decodeBody(w, r, maxSmallBody, &u) {
		return
	}
	if u.DurationSeconds == 0 {
		u.DurationSeconds = ep.DurationSeconds
	}
	if _, err := s.cfg.Resume.Set(id, u); err != nil {
		code := http.StatusInternalServerError // the position could not be stored (e.g. a full disk)
		if errors.Is(err, ErrBadResumeUpdate) {
			code = http.StatusBadRequest
		}
		writeError(w, code, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) remote(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
	h.Set("X-Frame-Options", "DENY")
	http.ServeContent(w, r, "remote.html", time.Time{}, bytes.NewReader(remotePage))
}

// pairRequest makes the TV show a code (open to the LAN).
func (s *Server) pairRequest(w http.ResponseWriter, r *http.Request) {
	if _, ok := readBody(w, r, maxSmallBody); !ok {
		return
	}
	code, exp, err := s.cfg.Pairer.Request()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.showCode(r, code, exp)
	writeJSON(w, http.StatusAccepted, map[string]any{"expiresAt": exp})
}

func (s *Server) showCode(r *http.Request, code string, exp time.Time) {
	s.cfg.Hub.Publish(Event{Type: EventPairing, Pairing: &PairingEvent{Code: code, ExpiresAt: exp, URL: s.remoteURL(r)}})
}

func (s *Server) pair(w http.ResponseWriter, r *http.Request) {
	var req PairRequest
	if !decodeBody(w, r, maxSmallBody, &req) {
		return
	}
	tok, newCode, exp, err := s.cfg.Pairer.PairDevice(PairSource(r.RemoteAddr), req.Code, r.UserAgent())
	switch {
	case errors.Is(err, ErrTooMany):
		s.showCode(r, newCode, exp)
		writeError(w, http.StatusForbidden, err.Error())
		return
	case errors.Is(err, ErrWrongCode), errors.Is(err, ErrSpent):
		writeError(w, http.StatusForbidden, err.Error())
		return
	case errors.Is(err, ErrSlowDown):
		writeError(w, http.StatusTooManyRequests, err.Error())
		return
	case errors.Is(err, ErrNoCode), errors.Is(err, ErrCodeStale):
		writeError(w, http.StatusGone, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: PairCookie, Value: tok, Path: "/", HttpOnly: true,
		// Browsers keep a cookie at most 400 days; the box forgets a token
		// unused for PairedIdleLifetime whatever the cookie says.
		SameSite: http.SameSiteStrictMode, MaxAge: 400 * 24 * 3600,
	})
	s.cfg.Hub.Publish(Event{Type: EventPaired})
	s.log.Info("device paired", "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, PairResponse{Token: tok})
}

// pairedDevices lists the paired devices (GET /api/pair/devices; paired or
// loopback, like the rest).
func (s *Server) pairedDevices(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.cfg.Pairer.Devices(token(r)))
}

// unpair forgets a paired device (DELETE /api/pair/devices/{id}): 204, or
// 404 for an unknown id.
func (s *Server) unpair(w http.ResponseWriter, r *http.Request) {
	switch err := s.cfg.Pairer.Unpair(r.PathValue("id")); {
	case errors.Is(err, ErrNoDevice):
		writeError(w, http.StatusNotFound, err.Error())
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		s.log.Info("device unpaired", "id", r.PathValue("id"), "by", r.RemoteAddr)
		w.WriteHeader(http.StatusNoContent)
	}
}

// readBody reads at most limit bytes; beyond it answers 413.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", limit))
		return nil, false
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading body: "+err.Error())
		return nil, false
	}
	return body, true
}

// decodeBody reads a strict JSON body into v: 413 when too large, 400 when
// malformed.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	body, ok := readBody(w, r, limit)
	if !ok {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "malformed JSON: "+err.Error())
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "malformed JSON: trailing data")
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		code, data = http.StatusInternalServerError, []byte(`{"error":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(append(data, '\n'))
}

// writeError answers {"error": msg}.
func writeError(w http.ResponseWriter, code int, msg string) {
	h := w.Header()
	// http.ServeContent may have set these for a body that is not coming.
	h.Del("Content-Range")
	h.Del("Content-Length")
	writeJSON(w, code, map[string]string{"error": msg})
}
