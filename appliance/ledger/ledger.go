// Package ledger counts what the box gives back to the swarm, per day of the
// household's calendar (its time zone, UTC unless set) and per torrent, and
// exports signed contribution reports.
//
// Per day and torrent it keeps the payload bytes uploaded and the number of
// distinct peers uploaded to. Peers are counted by a salted hash of their
// BitTorrent peer ID (the salt is secret to the box and never leaves it) and
// only while the day is open: when a day ends only the counts are kept,
// so the file never holds addresses or IDs, and it stays small. Days older
// than Options.Keep are dropped.
package ledger

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/state"
)

// DateFormat is how days are written: calendar dates in the ledger's time
// zone (Options.Location, SetLocation).
const DateFormat = "2006-01-02"

// MaxPeersPerDay bounds the distinct peers remembered for a day and for
// each torrent on it: peers that rotate their IDs cannot grow the ledger
// (memory, and the file rewritten every minute) without bound. Beyond it a
// day's count stays at MaxPeersPerDay, which then reads "at least".
const MaxPeersPerDay = 4096

// DefaultKeep is how many days the ledger keeps.
const DefaultKeep = 400

// fileFormat is the version of the ledger file.
const fileFormat = 1

type peerHash [16]byte

type agg struct {
	bytes int64
	peers map[peerHash]struct{} // open day only
	count int                   // distinct peers, for closed days
}

func (a *agg) peerCount() int {
	if a.peers != nil {
		return len(a.peers)
	}
	return a.count
}

// addPeer remembers h while the day is open and under MaxPeersPerDay.
func (a *agg) addPeer(h peerHash) {
	if a.peers != nil && len(a.peers) < MaxPeersPerDay {
		a.peers[h] = struct{}{}
	}
}

func (a *agg) close() {
	if a.peers != nil {
		a.count, a.peers = len(a.peers), nil
	}
}

type day struct {
	all      agg // distinct peers across the day's torrents
	torrents map[[20]byte]*agg
	boxes    map[BoxKey]*boxAgg // named counterparts, at most MaxPeersPerDay
}

// BoxKey is a box's ed25519 public key.
type BoxKey [32]byte

// boxAgg is what passed between this box and one named box on one day.
type boxAgg struct {
	gave, got int64 // payload bytes
}

func newDay() *day {
	return &day{all: agg{peers: map[peerHash]struct{}{}}, torrents: map[[20]byte]*agg{}, boxes: map[BoxKey]*boxAgg{}}
}

// Options are the ledger's outside world; zero fields get defaults.
type Options struct {
	Now  func() time.Time // default time.Now
	Keep int              // days kept, default DefaultKeep
	Log  *slog.Logger     // default slog.Default()
	// Location is the household's time zone: days roll over at its
	// midnight. Default UTC.
	Location *time.Location
}

// Ledger aggregates uploads in memory and writes them to its file on Flush.
// Its methods are safe for concurrent use.
type Ledger struct {
	path    string
	seqPath string // the next report sequence, kept apart (sequenceRecord)
	now     func() time.Time
	keep    int
	log     *slog.Logger

	mu      sync.Mutex
	loc     *time.Location
	salt    []byte
	nextSeq uint64
	days    map[string]*day
	dirty   bool
}

// Open loads the ledger at path (missing or corrupt: start empty, and log).
func Open(path string, opts Options) (*Ledger, error) {
	l := &Ledger{path: path, seqPath: path + sequenceSuffix, now: opts.Now, keep: opts.Keep, log: opts.Log, loc: opts.Location, days: map[string]*day{}}
	if l.loc == nil {
		l.loc = time.UTC
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.keep <= 0 {
		l.keep = DefaultKeep
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	var f fileV1
	found, err := state.ReadJSON(path, &f, l.log)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if found {
		if err := l.load(f); err != nil {
			l.log.Warn("ledger file unusable; starting fresh", "path", path, "err", err)
			l.days = map[string]*day{}
			l.salt = nil
		}
	}
	if l.salt == nil {
		l.salt = make([]byte, 32)
		if _, err := rand.Read(l.salt); err != nil {
			return nil, fmt.Errorf("ledger: salt: %w", err)
		}
		l.dirty = true
	}
	// The sequence survives a corrupt ledger: a verifier must never see two
	// reports with one number.
	var rec sequenceRecord
	if _, err := state.ReadJSON(l.seqPath, &rec, l.log); err != nil {
		l.log.Warn("cannot read the report sequence record", "path", l.seqPath, "err", err)
	}
	l.nextSeq = max(l.nextSeq, rec.NextSequence, 1)
	return l, nil
}

// Record adds bytes of payload uploaded to peerID for infoHash, counted on
// today's date in the ledger's time zone. Cheap (a hash and a map update under a mutex); call it
// from any goroutine.
func (l *Ledger) Record(infoHash, peerID [20]byte, bytes int64) {
	if bytes <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recordLocked(l.today(), infoHash, peerID, bytes)
}

// RecordBox is Record for a peer that proved it is the box with key box:
// gave payload bytes were uploaded to it (counted as Record counts them,
// and against the box) and got payload bytes downloaded from it. Same cost
// and concurrency as Record. Beyond MaxPeersPerDay named boxes on a day the
// bytes still count, unnamed.
func (l *Ledger) RecordBox(infoHash, peerID [20]byte, box BoxKey, gave, got int64) {
	gave, got = max(gave, 0), max(got, 0)
	if gave == 0 && got == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.today()
	if gave > 0 {
		l.recordLocked(d, infoHash, peerID, gave)
	}
	b := d.boxes[box]
	if b == nil {
		if len(d.boxes) >= MaxPeersPerDay {
			return
		}
		b = &boxAgg{}
		d.boxes[box] = b
	}
	b.gave += gave
	b.got += got
	l.dirty = true
}

// today returns the open day, creating it. Call with mu held.
func (l *Ledger) today() *day {
	date := l.now().In(l.loc).Format(DateFormat)
	d := l.days[date]
	if d == nil {
		d = newDay()
		l.days[date] = d
	}
	return d
}

func (l *Ledger) recordLocked(d *day, infoHash, peerID [20]byte, bytes int64) {
	h := l.hashPeer(peerID)
	a := d.torrents[infoHash]
	if a == nil {
		a = &agg{peers: map[peerHash]struct{}{}}
		d.torrents[infoHash] = a
	}
	a.bytes += bytes
	d.all.bytes += bytes
	a.addPeer(h)
	d.all.addPeer(h)
	l.dirty = true
}

func (l *Ledger) hashPeer(id [20]byte) peerHash {
	s := sha256.New()
	s.Write(l.salt)
	s.Write(id[:])
	var h peerHash
	copy(h[:], s.Sum(nil))
	return h
}

// SetLocation moves the day boundary to loc's midnight from now on (the
// household chose its time zone). Days already recorded keep their dates;
// today's open day becomes whatever date it is in loc.
func (l *Ledger) SetLocation(loc *time.Location) {
	if loc == nil {
		loc = time.UTC
	}
	l.mu.Lock()
	l.loc = loc
	l.mu.Unlock()
}

// Location returns the time zone days are counted in.
func (l *Ledger) Location() *time.Location {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.loc
}

// Flush closes finished days, drops days past Keep and writes the file
// atomically if anything changed. Blocks on disk I/O.
func (l *Ledger) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.flushLocked()
}

func (l *Ledger) flushLocked() error {
	today := l.now().In(l.loc)
	todayS := today.Format(DateFormat)
	oldest := today.AddDate(0, 0, -(l.keep - 1)).Format(DateFormat)
	for date, d := range l.days {
		if date < oldest {
			delete(l.days, date)
			l.dirty = true
			continue
		}
		if date != todayS {
			d.all.close()
			for _, a := range d.torrents {
				a.close()
			}
		}
	}
	if !l.dirty {
		return nil
	}
	if err := state.WriteJSON(l.path, l.save()); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	l.dirty = false
	return nil
}

// Run flushes every interval until ctx is done, then flushes once more and
// returns ctx.Err(). Flush errors are logged (degradable: the counts stay in
// memory and the next flush tries again).
func (l *Ledger) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := l.Flush(); err != nil {
				l.log.Warn("ledger flush failed", "err", err)
			}
			return ctx.Err()
		case <-t.C:
			if err := l.Flush(); err != nil {
				l.log.Warn("ledger flush failed", "err", err)
			}
		}
	}
}

// Close flushes.
func (l *Ledger) Close() error { return l.Flush() }

// sequenceSuffix names the sequence record beside the ledger file.
const sequenceSuffix = ".sequence"

// sequenceRecord is the next report sequence, written before a report with
// the number is handed out, in a file of its own.
type sequenceRecord struct {
	NextSequence uint64 `json:"nextSequence"`
}

// fileV1 is the ledger file.
type fileV1 struct {
	Format       int       `json:"format"`
	Salt         string    `json:"salt"`         // base64: secret, never in a report
	NextSequence uint64    `json:"nextSequence"` // of the next report
	Days         []fileDay `json:"days"`
}

type fileDay struct {
	Date          string        `json:"date"`
	BytesUploaded int64         `json:"bytesUploaded"`
	Peers         int           `json:"peers"`
	PeerHashes    []string      `json:"peerHashes,omitempty"` // open day only
	Torrents      []fileTorrent `json:"torrents"`
	Boxes         []ReportBox   `json:"boxes,omitempty"` // named counterparts, by key
}

type fileTorrent struct {
	InfoHash      string   `json:"infoHash"`
	BytesUploaded int64    `json:"bytesUploaded"`
	Peers         int      `json:"peers"`
	PeerHashes    []string `json:"peerHashes,omitempty"` // open day only
}

func hashesOut(a *agg) []string {
	if a.peers == nil {
		return nil
	}
	out := make([]string, 0, len(a.peers))
	for h := range a.peers {
		out = append(out, hex.EncodeToString(h[:]))
	}
	slices.Sort(out)
	return out
}

func hashesIn(ss []string) (map[peerHash]struct{}, error) {
	m := make(map[peerHash]struct{}, len(ss))
	for _, s := range ss {
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != len(peerHash{}) {
			return nil, fmt.Errorf("bad peer hash %q", s)
		}
		m[peerHash(b)] = struct{}{}
	}
	return m, nil
}

func (l *Ledger) save() fileV1 {
	f := fileV1{Format: fileFormat, Salt: base64.StdEncoding.EncodeToString(l.salt), NextSequence: l.nextSeq}
	for _, date := range slices.Sorted(maps.Keys(l.days)) {
		d := l.days[date]
		fd := fileDay{Date: date, BytesUploaded: d.all.bytes, Peers: d.all.peerCount(), PeerHashes: hashesOut(&d.all)}
		for _, ih := range slices.SortedFunc(maps.Keys(d.torrents), func(a, b [20]byte) int { return compareHash(a, b) }) {
			a := d.torrents[ih]
			fd.Torrents = append(fd.Torrents, fileTorrent{InfoHash: hex.EncodeToString(ih[:]), BytesUploaded: a.bytes, Peers: a.peerCount(), PeerHashes: hashesOut(a)})
		}
		fd.Boxes = boxesOut(d.boxes)
		f.Days = append(f.Days, fd)
	}
	return f
}

func compareHash(a, b [20]byte) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}

func (l *Ledger) load(f fileV1) error {
	if f.Format != fileFormat {
		return fmt.Errorf("format %d, want %d", f.Format, fileFormat)
	}
	salt, err := base64.StdEncoding.DecodeString(f.Salt)
	if err != nil || len(salt) < 16 {
		return fmt.Errorf("bad salt")
	}
	l.salt, l.nextSeq = salt, f.NextSequence
	today := l.now().In(l.loc).Format(DateFormat)
	for _, fd := range f.Days {
		if _, err := time.Parse(DateFormat, fd.Date); err != nil {
			return fmt.Errorf("bad date %q", fd.Date)
		}
		// The same rules a verifier applies to a report (Report.check):
		// a file that breaks them would make the box sign reports its own
		// verifier refuses.
		var sum int64
		for _, ft := range fd.Torrents {
			if ft.BytesUploaded < 0 || ft.Peers < 0 || sum > math.MaxInt64-ft.BytesUploaded {
				return fmt.Errorf("day %s: bad counts", fd.Date)
			}
			sum += ft.BytesUploaded
		}
		if sum != fd.BytesUploaded || fd.Peers < 0 {
			return fmt.Errorf("day %s: torrents add up to %d bytes, the day says %d", fd.Date, sum, fd.BytesUploaded)
		}
		if len(fd.PeerHashes) > MaxPeersPerDay {
			return fmt.Errorf("day %s: %d peer hashes, more than %d", fd.Date, len(fd.PeerHashes), MaxPeersPerDay)
		}
		if err := checkBoxes(fd.Boxes, fd.BytesUploaded); err != nil {
			return fmt.Errorf("day %s: %w", fd.Date, err)
		}
		d := &day{all: agg{bytes: fd.BytesUploaded, count: fd.Peers}, torrents: map[[20]byte]*agg{}, boxes: map[BoxKey]*boxAgg{}}
		for _, b := range fd.Boxes {
			k, _ := ParseBoxKey(b.BoxKey) // checked by checkBoxes
			d.boxes[k] = &boxAgg{gave: b.Gave, got: b.Got}
		}
		if fd.Date == today {
			if d.all.peers, err = hashesIn(fd.PeerHashes); err != nil {
				return err
			}
		}
		for _, ft := range fd.Torrents {
			b, err := hex.DecodeString(ft.InfoHash)
			if err != nil || len(b) != 20 {
				return fmt.Errorf("bad info hash %q", ft.InfoHash)
			}
			a := &agg{bytes: ft.BytesUploaded, count: ft.Peers}
			if fd.Date == today {
				if a.peers, err = hashesIn(ft.PeerHashes); err != nil {
					return err
				}
			}
			d.torrents[[20]byte(b)] = a
		}
		l.days[fd.Date] = d
	}
	return nil
}
