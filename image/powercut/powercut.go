// Package powercut judges a box's /perm after a power cut: every state
// file parses and holds either the last value the API acknowledged or the
// one in flight when the power went, never an older one and never garbage.
// The QEMU side (booting, cutting, reading /perm out of the disk image)
// is cmd/powercut.
package powercut

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
)

// Register is what a client knows about one value it writes through the
// API with increasing sequence numbers, one write at a time: the last one
// answered 2xx (Acked, 0 for none yet) and the one sent and not yet
// answered (Inflight, 0 for none). Safe for concurrent use.
type Register struct {
	mu       sync.Mutex
	acked    int64
	inflight int64
}

// Send records seq as in flight.
func (r *Register) Send(seq int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inflight = seq
}

// Ack records that the write of seq was answered 2xx.
func (r *Register) Ack(seq int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acked = seq
	if r.inflight == seq {
		r.inflight = 0
	}
}

// Fail records that the write of seq was answered with an error status:
// the box said it did not store it, so it is no longer in flight.
func (r *Register) Fail(seq int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inflight == seq {
		r.inflight = 0
	}
}

// Acked is the last acknowledged sequence number.
func (r *Register) Acked() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.acked
}

// Verdict is what a value found after a cut says.
type Verdict int

const (
	Kept    Verdict = iota // the acknowledged value, or the in-flight one
	Lost                   // older than the acknowledged value (or missing)
	Unknown                // a value the client never sent: corrupt
)

func (v Verdict) String() string {
	return [...]string{"kept", "lost_acknowledged", "unknown"}[v]
}

// Judge compares found (the sequence number on disk; 0 = no value) with
// what was acknowledged and in flight, then takes found as the new
// baseline (the box restarts from what is on disk) and clears the
// in-flight write. Lost and Unknown also rebase, so one loss is counted
// once.
func (r *Register) Judge(found int64) Verdict {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := Kept
	switch {
	case found == r.acked, r.inflight != 0 && found == r.inflight:
	case found < r.acked:
		v = Lost
	default:
		v = Unknown
	}
	r.acked, r.inflight = found, 0
	return v
}

// Book is every value the power-cut test writes. The keys of Resume are
// episode IDs. Tokens are the paired tokens the box acknowledged (POST
// /api/pair answered 200); PendingToken is the one whose pairing was sent
// and not answered.
type Book struct {
	Resume    map[string]*Register
	KeepFree  Register // settings.json keepFreePercent, as KeepFreeSeq
	Uplink    Register // bandwidth.json uplinkBytesPerSec, as UplinkBase+seq
	Keymap    Register // keymap.json, the learned map's one scancode
	mu        sync.Mutex
	aside     map[string]bool // *.corrupt-* files already counted
	tokens    []string
	pending   bool
	pendingAt int // len(tokens) when the pending pairing was sent
}

// UplinkBase keeps written uplinks clear of 0 ("unknown").
const UplinkBase = 1_000_000

// KeepFreeValue is the keepFreePercent written for seq: 1 to 30 %, so a
// written value never evicts the media the test streams; lost values are
// told apart by seq modulo 30 (see KeepFreeSeq).
func KeepFreeValue(seq int64) int { return 1 + int(seq%30) }

// NewBook is a Book for the given episodes.
func NewBook(episodes []string) *Book {
	b := &Book{Resume: map[string]*Register{}, aside: map[string]bool{}}
	for _, id := range episodes {
		b.Resume[id] = &Register{}
	}
	return b
}

// PairSent records that a pairing is in flight.
func (b *Book) PairSent() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending, b.pendingAt = true, len(b.tokens)
}

// PairAcked records a token the box handed out.
func (b *Book) PairAcked(token string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = append(b.tokens, token)
	b.pending = false
}

// Tokens are the acknowledged tokens, oldest first.
func (b *Book) Tokens() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.tokens...)
}

// HashToken is the pairing file's hash of a token (hex SHA-256).
func HashToken(tok string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(tok))) }

// Report is what CheckPerm found.
type Report struct {
	FilesChecked     int
	LostAcknowledged int
	Corrupt          int
	Problems         []string // one line per loss or corruption
}

func (r *Report) problem(corrupt bool, format string, args ...any) {
	if corrupt {
		r.Corrupt++
	} else {
		r.LostAcknowledged++
	}
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// StateFiles are the files in the data dir that CheckPerm knows; every
// other *.json there must still parse as JSON.
var StateFiles = []string{
	"resume.json", "settings.json", "bandwidth.json", "pairing.json", "keymap.json", "ledger.json",
	"catalog.json", "catalog.json.sig", "catalog/catalog.stored.json", "catalog/catalog.highest.json",
}

// Dirs are the data dir's subdirectories whose files CheckPerm reads.
var Dirs = []string{"", "catalog"}

// CheckPerm judges the data dir dir (files copied out of /perm/atomicbox
// after the journal was replayed) against b and the network key, and
// rebases b on what it found. A file the daemon moved aside as corrupt
// (*.corrupt-*) counts as corrupt, once: the box lost state it had
// written.
func CheckPerm(dir string, b *Book, networkKey ed25519.PublicKey) (*Report, error) {
	rep := &Report{}
	read := func(name string) ([]byte, bool) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, false
		}
		rep.FilesChecked++
		return data, true
	}
	known := map[string]bool{}
	for _, n := range StateFiles {
		known[n] = true
	}
	var entries []string
	for _, d := range Dirs {
		es, err := os.ReadDir(filepath.Join(dir, d))
		if err != nil && d == "" {
			return nil, err
		}
		for _, e := range es {
			if e.Type().IsRegular() {
				entries = append(entries, filepath.Join(d, e.Name()))
			}
		}
	}
	for _, name := range entries {
		switch {
		case strings.Contains(name, ".corrupt-"):
			// Counted once: the file stays there for bug reports.
			b.mu.Lock()
			seen := b.aside[name]
			b.aside[name] = true
			b.mu.Unlock()
			if !seen {
				rep.problem(true, "%s: the daemon found this file corrupt and moved it aside", name)
			}
		case strings.HasPrefix(filepath.Base(name), ".") && strings.Contains(name, ".tmp-"):
			// A temp file of an atomic write the cut interrupted: never read.
		case strings.HasSuffix(name, ".json") && !known[name]:
			if data, ok := read(name); ok && !json.Valid(data) {
				rep.problem(true, "%s: not JSON (%d bytes)", name, len(data))
			}
		}
	}

	// resume.json: {"episodes": {id: {"seconds": seq}}}
	var resume struct {
		Episodes map[string]struct {
			Seconds float64 `json:"seconds"`
		} `json:"episodes"`
	}
	if data, ok := read("resume.json"); ok {
		if err := json.Unmarshal(data, &resume); err != nil {
			rep.problem(true, "resume.json: %v", err)
		}
	}
	ids := make([]string, 0, len(b.Resume))
	for id := range b.Resume {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		reg := b.Resume[id]
		acked := reg.Acked()
		got := int64(resume.Episodes[id].Seconds)
		if v := reg.Judge(got); v != Kept {
			rep.problem(v == Unknown, "resume.json %s: %d, acknowledged %d: %v", id, got, acked, v)
		}
	}

	var settings struct {
		KeepFreePercent int `json:"keepFreePercent"`
	}
	if data, ok := read("settings.json"); ok {
		if err := json.Unmarshal(data, &settings); err != nil {
			rep.problem(true, "settings.json: %v", err)
		}
	}
	judgeKeepFree(rep, &b.KeepFree, settings.KeepFreePercent)

	var bw struct {
		Uplink int64 `json:"uplinkBytesPerSec"`
	}
	if data, ok := read("bandwidth.json"); ok {
		if err := json.Unmarshal(data, &bw); err != nil {
			rep.problem(true, "bandwidth.json: %v", err)
		}
	}
	got := max(bw.Uplink-UplinkBase, 0)
	acked := b.Uplink.Acked()
	if v := b.Uplink.Judge(got); v != Kept {
		rep.problem(v == Unknown, "bandwidth.json uplink seq %d, acknowledged %d: %v", got, acked, v)
	}

	var km struct {
		Maps []struct {
			Entries []struct {
				Scancode string `json:"scancode"`
			} `json:"entries"`
		} `json:"maps"`
	}
	var kmSeq int64
	if data, ok := read("keymap.json"); ok {
		if err := json.Unmarshal(data, &km); err != nil {
			rep.problem(true, "keymap.json: %v", err)
		} else if len(km.Maps) > 0 && len(km.Maps[0].Entries) > 0 {
			if _, err := fmt.Sscanf(km.Maps[0].Entries[0].Scancode, "0x%x", &kmSeq); err != nil {
				rep.problem(true, "keymap.json scancode %q: %v", km.Maps[0].Entries[0].Scancode, err)
			}
		}
	}
	acked = b.Keymap.Acked()
	if v := b.Keymap.Judge(kmSeq); v != Kept {
		rep.problem(v == Unknown, "keymap.json seq %d, acknowledged %d: %v", kmSeq, acked, v)
	}

	var pairing struct {
		Tokens []struct {
			Hash string `json:"hash"`
		} `json:"tokens"`
	}
	if data, ok := read("pairing.json"); ok {
		if err := json.Unmarshal(data, &pairing); err != nil {
			rep.problem(true, "pairing.json: %v", err)
		}
	}
	have := map[string]bool{}
	for _, t := range pairing.Tokens {
		have[t.Hash] = true
	}
	b.mu.Lock()
	kept := b.tokens[:0]
	n := len(b.tokens)
	for i, tok := range b.tokens {
		if have[HashToken(tok)] {
			kept = append(kept, tok)
		} else {
			rep.problem(false, "pairing.json: acknowledged token %d of %d is gone", i+1, n)
		}
	}
	b.tokens = kept // rebased, like the registers: one loss counts once
	b.pending = false
	b.mu.Unlock()

	// The box keeps the catalog and its signature together in
	// catalog/catalog.stored.json (one rename replaces both); a
	// catalog.json beside a catalog.json.sig is the older layout.
	if data, ok := read("catalog/catalog.stored.json"); ok {
		var st struct {
			Catalog   []byte `json:"catalog"`
			Signature string `json:"signature"`
		}
		if err := json.Unmarshal(data, &st); err != nil {
			rep.problem(true, "catalog/catalog.stored.json: %v", err)
		} else if _, err := catalog.Verify(networkKey, st.Catalog, []byte(st.Signature)); err != nil {
			rep.problem(true, "catalog/catalog.stored.json: %v", err)
		}
	}
	cat, okCat := read("catalog.json")
	sig, okSig := read("catalog.json.sig")
	if okCat != okSig {
		rep.problem(true, "catalog.json present %v, catalog.json.sig present %v", okCat, okSig)
	} else if okCat {
		if _, err := catalog.Verify(networkKey, cat, sig); err != nil {
			rep.problem(true, "catalog.json: %v", err)
		}
	}
	for _, n := range []string{"catalog/catalog.highest.json", "ledger.json"} {
		if data, ok := read(n); ok && !json.Valid(data) {
			rep.problem(true, "%s: not JSON (%d bytes)", n, len(data))
		}
	}
	return rep, nil
}

// judgeKeepFree judges keepFreePercent, which holds seq modulo 30 (see
// KeepFreeValue): the value on disk is taken as the acknowledged or the
// in-flight seq when it matches one of them, else as lost (a value the
// client wrote earlier) or unknown (one it never wrote).
func judgeKeepFree(rep *Report, r *Register, got int) {
	r.mu.Lock()
	acked, inflight := r.acked, r.inflight
	r.mu.Unlock()
	if acked == 0 && inflight == 0 {
		return // never written through the API: whatever the image had
	}
	switch {
	case acked != 0 && got == KeepFreeValue(acked):
		r.Judge(acked)
	case inflight != 0 && got == KeepFreeValue(inflight):
		r.Judge(inflight)
	case got >= 0 && got <= 30: // 0: no file, or no value in it
		r.Judge(0)
		r.mu.Lock()
		r.acked = 0 // older than anything acknowledged: start over from "not written"
		r.mu.Unlock()
		rep.problem(false, "settings.json keepFreePercent %d, acknowledged %d: %v", got, KeepFreeValue(acked), Lost)
	default:
		r.Judge(0)
		rep.problem(true, "settings.json keepFreePercent %d: never written", got)
	}
}
