package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/state"
)

// ReportFormat is the version of the report this code writes and reads.
const ReportFormat = 1

// ReportKind names the document.
const ReportKind = "atomicbox-contribution-report"

// MaxReportSize bounds what VerifyReport reads (400 days of a busy box fit).
const MaxReportSize = 8 << 20

// signContext is prepended to the report bytes before signing, so a box key
// signature over a report can never be taken for a signature over anything
// else.
const signContext = "atomicbox-contribution-report-v1\n"

// Report is what a box says it uploaded over a period.
type Report struct {
	Format   int    `json:"format"`   // ReportFormat
	Kind     string `json:"kind"`     // ReportKind
	BoxKey   string `json:"boxKey"`   // base64 (std) of the box's ed25519 public key
	Sequence uint64 `json:"sequence"` // increases with every report this box exports
	From     string `json:"from"`     // first date covered, DateFormat, in TimeZone
	To       string `json:"to"`       // last date covered (inclusive)
	// TimeZone is the calendar the dates are in (IANA name, "UTC" when the
	// household chose none): days roll over at the household's midnight.
	TimeZone  string      `json:"timeZone,omitempty"`
	Generated time.Time   `json:"generated"` // box wall clock; informational
	Totals    Totals      `json:"totals"`
	Days      []ReportDay `json:"days"` // days with uploads, oldest first
}

// Totals sums the days of a report.
type Totals struct {
	BytesUploaded int64 `json:"bytesUploaded"`
	PeerDays      int64 `json:"peerDays"` // sum over days of the distinct peers served that day
	Torrents      int   `json:"torrents"` // distinct torrents uploaded from
	Days          int   `json:"days"`     // days with any upload
}

// ReportDay is one day of the household's calendar (Report.TimeZone).
type ReportDay struct {
	Date          string          `json:"date"`
	BytesUploaded int64           `json:"bytesUploaded"`
	Peers         int             `json:"peers"` // distinct peers served that day, all torrents
	Torrents      []ReportTorrent `json:"torrents"`
	// Boxes are the counterparts that proved their box key on the
	// connection, sorted by key, each at most once, never the reporting box.
	// Their Gave sums to at most BytesUploaded (the rest went to peers
	// that are not boxes). Absent in reports of boxes before this field.
	Boxes []ReportBox `json:"boxes,omitempty"`
}

// ReportBox is what passed between the reporting box and one named box on
// one day, in payload bytes.
type ReportBox struct {
	BoxKey string `json:"boxKey"` // base64 (std) of the counterpart's ed25519 public key
	Gave   int64  `json:"gave"`   // uploaded to it
	Got    int64  `json:"got"`    // downloaded from it
}

// ParseBoxKey reads a box key in base64 (std), as reports write it.
func ParseBoxKey(s string) (BoxKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return BoxKey{}, fmt.Errorf("box key %q is not an ed25519 public key in base64", s)
	}
	return BoxKey(b), nil
}

// String is the key in base64 (std).
func (k BoxKey) String() string { return base64.StdEncoding.EncodeToString(k[:]) }

func boxesOut(m map[BoxKey]*boxAgg) []ReportBox {
	if len(m) == 0 {
		return nil
	}
	out := make([]ReportBox, 0, len(m))
	for k, b := range m {
		out = append(out, ReportBox{BoxKey: k.String(), Gave: b.gave, Got: b.got})
	}
	slices.SortFunc(out, func(a, b ReportBox) int { return strings.Compare(a.BoxKey, b.BoxKey) })
	return out
}

// checkBoxes applies ReportDay.Boxes' rules against the day's upload.
func checkBoxes(bs []ReportBox, uploaded int64) error {
	if len(bs) > MaxPeersPerDay {
		return fmt.Errorf("%d named boxes, more than %d", len(bs), MaxPeersPerDay)
	}
	var gave int64
	prev := ""
	for _, b := range bs {
		if _, err := ParseBoxKey(b.BoxKey); err != nil {
			return err
		}
		if b.BoxKey <= prev {
			return fmt.Errorf("named boxes out of order or repeated at %q", b.BoxKey)
		}
		prev = b.BoxKey
		if b.Gave < 0 || b.Got < 0 || gave > math.MaxInt64-b.Gave {
			return fmt.Errorf("bad counts for box %s", b.BoxKey)
		}
		gave += b.Gave
	}
	if gave > uploaded {
		return fmt.Errorf("named boxes were given %d bytes, more than the %d uploaded", gave, uploaded)
	}
	return nil
}

// ReportTorrent is one torrent on one day.
type ReportTorrent struct {
	InfoHash      string `json:"infoHash"` // lower-case hex
	BytesUploaded int64  `json:"bytesUploaded"`
	Peers         int    `json:"peers"` // distinct peers served
}

// envelope is the exported document: the report and the box's signature over
// signContext + the report's compact JSON (json.Compact) bytes.
type envelope struct {
	Report    json.RawMessage `json:"report"`
	Signature string          `json:"signature"` // base64 (std), 64 bytes
}

// LoadOrCreateBoxKey returns the box's ed25519 key kept at path (base64 of
// the 32-byte seed, mode 0600), creating it on first use. A file that cannot
// be read as a key is moved aside (path.corrupt-<unix time>), logged and
// replaced: the box then reports as a new box.
func LoadOrCreateBoxKey(path string, log *slog.Logger) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		seed, derr := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(data)))
		if derr == nil && len(seed) == ed25519.SeedSize {
			if fi, serr := os.Stat(path); serr == nil && fi.Mode().Perm() != 0o600 {
				if cerr := os.Chmod(path, 0o600); cerr != nil {
					return nil, fmt.Errorf("ledger: restrict box key %s: %w", path, cerr)
				}
			}
			return ed25519.NewKeyFromSeed(seed), nil
		}
		aside := fmt.Sprintf("%s.corrupt-%d", path, time.Now().Unix())
		rerr := os.Rename(path, aside)
		if log != nil {
			log.Warn("box key file is corrupt; making a new key", "path", path, "movedTo", aside, "moveErr", rerr)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("ledger: read box key %s: %w", path, err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ledger: generate box key: %w", err)
	}
	enc := base64.StdEncoding.EncodeToString(priv.Seed()) + "\n"
	if err := state.WriteFileAtomic(path, []byte(enc), 0o600); err != nil {
		return nil, fmt.Errorf("ledger: save box key: %w", err)
	}
	return priv, nil
}

// Report exports the days from..to (dates in the ledger's time zone, inclusive; today's partial
// day included) signed with key. It takes the next sequence number and saves
// the ledger first, so no two reports share a number. Blocks on disk I/O.
func (l *Ledger) Report(from, to time.Time, key ed25519.PrivateKey) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fromS, toS := from.In(l.loc).Format(DateFormat), to.In(l.loc).Format(DateFormat)
	if fromS > toS {
		return nil, fmt.Errorf("ledger: report period starts (%s) after it ends (%s)", fromS, toS)
	}
	r := Report{
		Format: ReportFormat, Kind: ReportKind,
		BoxKey:    base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)),
		Sequence:  l.nextSeq,
		From:      fromS,
		To:        toS,
		TimeZone:  l.loc.String(),
		Generated: l.now().UTC(),
		Days:      []ReportDay{},
	}
	for _, date := range slices.Sorted(maps.Keys(l.days)) {
		if date < fromS || date > toS {
			continue
		}
		d := l.days[date]
		rd := ReportDay{Date: date, BytesUploaded: d.all.bytes, Peers: d.all.peerCount(), Torrents: []ReportTorrent{}}
		for _, ih := range slices.SortedFunc(maps.Keys(d.torrents), compareHash) {
			a := d.torrents[ih]
			rd.Torrents = append(rd.Torrents, ReportTorrent{InfoHash: hex.EncodeToString(ih[:]), BytesUploaded: a.bytes, Peers: a.peerCount()})
		}
		rd.Boxes = boxesOut(d.boxes)
		r.Days = append(r.Days, rd)
	}
	r.Totals = totalsOf(r.Days)
	// The record first: if the ledger file is lost later, the number is
	// still used up.
	if err := state.WriteJSON(l.seqPath, sequenceRecord{NextSequence: l.nextSeq + 1}); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	l.nextSeq++
	l.dirty = true
	if err := l.flushLocked(); err != nil {
		// The number stays used (the record has it): skipping one is
		// harmless, repeating one is not.
		return nil, err
	}
	return SignReport(r, key), nil
}

// SignReport signs r as key's box and returns the exported document. It
// fills in Format, Kind, BoxKey and Totals and takes the rest as given; it
// checks nothing (VerifyReport does). The ledger's Report is the box's way
// to make one; the collector's tests and benchmarks make theirs with it.
func SignReport(r Report, key ed25519.PrivateKey) []byte {
	r.Format, r.Kind = ReportFormat, ReportKind
	r.BoxKey = base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	if r.Days == nil {
		r.Days = []ReportDay{}
	}
	r.Totals = totalsOf(r.Days)
	body, err := json.Marshal(r)
	if err != nil {
		panic(err) // a Report always encodes
	}
	sig := ed25519.Sign(key, append([]byte(signContext), body...))
	out, err := json.MarshalIndent(envelope{Report: body, Signature: base64.StdEncoding.EncodeToString(sig)}, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(out, '\n')
}

func totalsOf(days []ReportDay) Totals {
	t := Totals{Days: len(days)}
	seen := map[string]bool{}
	for _, d := range days {
		t.BytesUploaded += d.BytesUploaded
		t.PeerDays += int64(d.Peers)
		for _, rt := range d.Torrents {
			seen[rt.InfoHash] = true
		}
	}
	t.Torrents = len(seen)
	return t
}

// VerifyReport checks an exported report's signature against the box key it
// names and its internal consistency, and returns it. Who the key belongs to
// is for the caller to decide (e.g. the network's list of paired boxes).
func VerifyReport(data []byte) (Report, error) {
	if len(data) > MaxReportSize {
		return Report{}, fmt.Errorf("ledger: report is %d bytes, more than the %d allowed", len(data), MaxReportSize)
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return Report{}, fmt.Errorf("ledger: report is not a signed report document: %w", err)
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return Report{}, fmt.Errorf("ledger: report signature is not %d bytes of base64", ed25519.SignatureSize)
	}
	var r Report
	if err := json.Unmarshal(env.Report, &r); err != nil {
		return Report{}, fmt.Errorf("ledger: report body: %w", err)
	}
	if r.Format != ReportFormat || r.Kind != ReportKind {
		return Report{}, fmt.Errorf("ledger: not a contribution report of format %d (kind %q, format %d)", ReportFormat, r.Kind, r.Format)
	}
	pub, err := base64.StdEncoding.DecodeString(r.BoxKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return Report{}, errors.New("ledger: report's box key is not an ed25519 public key in base64")
	}
	// The signature covers the compact form, so a report that went through
	// a JSON pretty-printer still verifies.
	var body bytes.Buffer
	body.WriteString(signContext)
	if err := json.Compact(&body, env.Report); err != nil {
		return Report{}, fmt.Errorf("ledger: report body: %w", err)
	}
	if !ed25519.Verify(ed25519.PublicKey(pub), body.Bytes(), sig) {
		return Report{}, errors.New("ledger: report signature does not match its box key (altered, or signed by another box)")
	}
	if err := r.check(); err != nil {
		return Report{}, fmt.Errorf("ledger: signed report is inconsistent: %w", err)
	}
	return r, nil
}

// check verifies dates and that the totals add up.
func (r Report) check() error {
	from, err1 := time.Parse(DateFormat, r.From)
	to, err2 := time.Parse(DateFormat, r.To)
	if err1 != nil || err2 != nil || to.Before(from) {
		return fmt.Errorf("bad period %q..%q", r.From, r.To)
	}
	prev := ""
	for _, d := range r.Days {
		if _, err := time.Parse(DateFormat, d.Date); err != nil || d.Date < r.From || d.Date > r.To || d.Date <= prev {
			return fmt.Errorf("day %q out of order or outside %s..%s", d.Date, r.From, r.To)
		}
		prev = d.Date
		var sum int64
		for _, t := range d.Torrents {
			if b, err := hex.DecodeString(t.InfoHash); err != nil || len(b) != 20 {
				return fmt.Errorf("day %s: bad info hash %q", d.Date, t.InfoHash)
			}
			if t.BytesUploaded < 0 || t.Peers < 0 {
				return fmt.Errorf("day %s: negative counts", d.Date)
			}
			sum += t.BytesUploaded
		}
		if sum != d.BytesUploaded || d.Peers < 0 {
			return fmt.Errorf("day %s: torrents add up to %d bytes, the day says %d", d.Date, sum, d.BytesUploaded)
		}
		if err := checkBoxes(d.Boxes, d.BytesUploaded); err != nil {
			return fmt.Errorf("day %s: %w", d.Date, err)
		}
		for _, b := range d.Boxes {
			if b.BoxKey == r.BoxKey {
				return fmt.Errorf("day %s: the box names itself as a counterpart", d.Date)
			}
		}
	}
	if got := totalsOf(r.Days); got != r.Totals {
		return fmt.Errorf("totals %+v do not match the days (%+v)", r.Totals, got)
	}
	return nil
}
