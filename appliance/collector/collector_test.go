package collector_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/appliance/collector"
	"github.com/atomicnetwork/atomicbox/appliance/ledger"
)

// now is the collector's clock in these tests: 11:00 UTC on 7 December.
var now = time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)

// box is a test box: its key and the next sequence it signs.
type box struct {
	name string
	key  ed25519.PrivateKey
	seq  uint64
}

func newBox(name string) *box {
	seed := make([]byte, 32)
	copy(seed, name)
	return &box{name: name, key: ed25519.NewKeyFromSeed(seed)}
}

func (b *box) pub() ledger.BoxKey { return ledger.BoxKey(b.key.Public().(ed25519.PublicKey)) }

// gift is one named counterpart on a day.
type gift struct {
	to        *box
	gave, got int64
}

// day makes a consistent report day: the uploads are what the gifts say
// plus extra bytes to peers that are not boxes.
func day(date string, extra int64, gifts ...gift) ledger.ReportDay {
	d := ledger.ReportDay{Date: date}
	for _, g := range gifts {
		d.Boxes = append(d.Boxes, ledger.ReportBox{BoxKey: g.to.pub().String(), Gave: g.gave, Got: g.got})
		d.BytesUploaded += g.gave
	}
	d.BytesUploaded += extra
	slices.SortFunc(d.Boxes, func(a, b ledger.ReportBox) int { return strings.Compare(a.BoxKey, b.BoxKey) })
	d.Peers = len(gifts)
	d.Torrents = []ledger.ReportTorrent{{InfoHash: strings.Repeat("ab", 20), BytesUploaded: d.BytesUploaded, Peers: d.Peers}}
	return d
}

// report signs the next report of b covering days (sorted, from the first
// to the last).
func (b *box) report(days ...ledger.ReportDay) []byte {
	b.seq++
	r := ledger.Report{Sequence: b.seq, TimeZone: "UTC", Days: days}
	if len(days) > 0 {
		r.From, r.To = days[0].Date, days[len(days)-1].Date
	} else {
		r.From, r.To = "2026-12-01", "2026-12-01"
	}
	return ledger.SignReport(r, b.key)
}

func open(t testing.TB, path string, opts collector.Options) *collector.Collector {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return now }
	}
	c, err := collector.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func accept(t testing.TB, c *collector.Collector, docs ...[]byte) {
	t.Helper()
	for _, d := range docs {
		if _, err := c.Accept(d); err != nil {
			t.Fatalf("Accept: %v", err)
		}
	}
}

// confirmed maps box name to the month's confirmed bytes.
func confirmed(t testing.TB, c *collector.Collector, month string, boxes ...*box) map[string]int64 {
	t.Helper()
	rows, err := c.Tally(month)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, b := range boxes {
		out[b.name] = 0
		for _, r := range rows {
			if r.BoxKey == b.pub().String() {
				out[b.name] = r.Confirmed
			}
		}
	}
	return out
}

// triangle is three honest boxes that each gave the two others what those
// say they got, on two days of December.
func triangle() (a, b, c *box, docs [][]byte) {
	a, b, c = newBox("a"), newBox("b"), newBox("c")
	docs = [][]byte{
		a.report(day("2026-12-01", 5, gift{b, 100, 10}, gift{c, 200, 20}), day("2026-12-02", 0, gift{b, 1000, 0})),
		b.report(day("2026-12-01", 0, gift{a, 10, 100}, gift{c, 30, 0}), day("2026-12-02", 0, gift{a, 0, 1000})),
		c.report(day("2026-12-01", 0, gift{a, 20, 200}, gift{b, 0, 30})),
	}
	return
}

// TestHonestBoxesGetFullCredit: when every receiver confirms, each box is
// credited all it gave to boxes (not what went to other peers).
func TestHonestBoxesGetFullCredit(t *testing.T) {
	c := open(t, filepath.Join(t.TempDir(), "log"), collector.Options{})
	a, b, cc, docs := triangle()
	accept(t, c, docs...)
	want := map[string]int64{"a": 1300, "b": 40, "c": 20}
	if diff := cmp.Diff(want, confirmed(t, c, "2026-12", a, b, cc)); diff != "" {
		t.Errorf("confirmed (-want +got):\n%s", diff)
	}
	rows, _ := c.Tally("2026-12")
	if rows[0].BoxKey != a.pub().String() || rows[0].Claimed != 1305 || rows[0].ClaimedToBoxes != 1300 || rows[0].ConfirmingBoxes != 2 {
		t.Errorf("a's row %+v: want claimed 1305, 1300 to boxes, confirmed by 2", rows[0])
	}
	if got := confirmed(t, c, "2026-11", a); got["a"] != 0 {
		t.Errorf("November: %v, want nothing", got)
	}
}

// TestCheating: each way of cheating is refused or credited only what
// the counterparts confirm.
func TestCheating(t *testing.T) {
	tests := []struct {
		reason string
		// run accepts the honest triangle's reports and then the
		// cheat's, checking Accept's errors itself.
		run  func(t *testing.T, c *collector.Collector, a, b, cc *box)
		want map[string]int64 // confirmed, by box name
	}{
		{
			reason: "a box that inflates its upload is credited only what its receivers confirm",
			run: func(t *testing.T, c *collector.Collector, a, b, cc *box) {
				// a restates 1 December claiming ten times more to b and c.
				accept(t, c, a.report(day("2026-12-01", 5, gift{b, 1000, 10}, gift{cc, 2000, 20})))
			},
			want: map[string]int64{"a": 1300, "b": 40, "c": 20},
		},
		{
			reason: "two boxes that claim to serve each other through a key only the other names earn nothing",
			run: func(t *testing.T, c *collector.Collector, a, b, cc *box) {
				// a invents x: a says it gave x 1 GiB, x says it got it, and
				// x says it gave a 1 GiB that a says it got.
				x := newBox("x")
				accept(t, c,
					a.report(day("2026-12-03", 0, gift{x, 1 << 30, 1 << 30})),
					x.report(day("2026-12-03", 0, gift{a, 1 << 30, 1 << 30})))
			},
			want: map[string]int64{"a": 1300, "b": 40, "c": 20, "x": 0},
		},
		{
			reason: "two real boxes that both lie consistently are credited: the limit of the rule",
			run: func(t *testing.T, c *collector.Collector, a, b, cc *box) {
				// b and c are named by a honestly, then agree on a lie.
				accept(t, c,
					b.report(day("2026-12-03", 0, gift{cc, 1 << 30, 0})),
					cc.report(day("2026-12-03", 0, gift{b, 0, 1 << 30})))
			},
			want: map[string]int64{"a": 1300, "b": 40 + 1<<30, "c": 20},
		},
		{
			reason: "a replayed report is refused and changes nothing",
			run: func(t *testing.T, c *collector.Collector, a, b, cc *box) {
				old := a.report(day("2026-12-01", 5, gift{b, 100, 10}, gift{cc, 200, 20}))
				accept(t, c, old)
				if _, err := c.Accept(old); !errors.Is(err, collector.ErrReplay) {
					t.Errorf("replay: %v, want ErrReplay", err)
				}
				// and an older report sent after a newer one
				a.seq -= 2
				// (accepted, it would drop c from a's 1 December)
				stale := a.report(day("2026-12-01", 0, gift{b, 100, 10}))
				if _, err := c.Accept(stale); !errors.Is(err, collector.ErrReplay) {
					t.Errorf("stale sequence: %v, want ErrReplay", err)
				}
			},
			want: map[string]int64{"a": 1300, "b": 40, "c": 20},
		},
		{
			reason: "a report for a day in the future is refused; tomorrow in UTC+14 has begun and is not",
			run: func(t *testing.T, c *collector.Collector, a, b, cc *box) {
				if _, err := c.Accept(a.report(day("2026-12-09", 0, gift{b, 5000, 0}))); !errors.Is(err, collector.ErrFuture) {
					t.Errorf("two days ahead: %v, want ErrFuture", err)
				}
				if _, err := c.Accept(b.report(day("2026-12-08", 0, gift{a, 0, 7}))); err != nil {
					t.Errorf("8 December (begun at 10:00 UTC in UTC+14): %v", err)
				}
			},
			want: map[string]int64{"a": 1300, "b": 40, "c": 20},
		},
		{
			reason: "a box whose key no other box names gets no credit, and its word confirms nothing",
			run: func(t *testing.T, c *collector.Collector, a, b, cc *box) {
				z := newBox("z")
				accept(t, c, z.report(day("2026-12-04", 1<<20, gift{a, 1 << 30, 0}, gift{b, 1 << 30, 0})))
				// a then claims a gift to z, which z "confirms"
				accept(t, c, a.report(day("2026-12-04", 0, gift{z, 1 << 20, 0})))
				accept(t, c, z.report(day("2026-12-04", 1<<20, gift{a, 0, 1 << 20})))
			},
			want: map[string]int64{"a": 1300, "b": 40, "c": 20, "z": 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			c := open(t, filepath.Join(t.TempDir(), "log"), collector.Options{})
			a, b, cc, docs := triangle()
			accept(t, c, docs...)
			tt.run(t, c, a, b, cc)
			boxes := []*box{a, b, cc}
			for name := range tt.want {
				if name == "x" || name == "z" {
					boxes = append(boxes, newBox(name))
				}
			}
			if diff := cmp.Diff(tt.want, confirmed(t, c, "2026-12", boxes...)); diff != "" {
				t.Errorf("confirmed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRefusesMalformedAndOversized: the collector refuses what is not a
// good report, and a report over the size cap, whatever it holds.
func TestRefusesMalformedAndOversized(t *testing.T) {
	c := open(t, filepath.Join(t.TempDir(), "log"), collector.Options{MaxReport: 4096})
	a := newBox("a")
	good := a.report(day("2026-12-01", 0))
	big := a.report(day("2026-12-01", 0, gift{newBox("b"), 1, 0}))
	big = append(big, bytes.Repeat([]byte(" "), 4096)...)
	tampered := bytes.Replace(good, []byte(`"sequence": 1,`), []byte(`"sequence": 9,`), 1)
	if bytes.Equal(tampered, good) {
		t.Fatalf("the test's edit did not apply to %s", good)
	}
	tests := []struct {
		reason string
		doc    []byte
		want   error
	}{
		{reason: "empty", doc: nil, want: collector.ErrInvalid},
		{reason: "not JSON", doc: []byte("hello"), want: collector.ErrInvalid},
		{reason: "half a report", doc: good[:len(good)/2], want: collector.ErrInvalid},
		{reason: "over the cap", doc: big, want: collector.ErrTooLarge},
		{reason: "sequence edited after signing", doc: tampered, want: collector.ErrInvalid},
		{reason: "the good one", doc: good, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			if _, err := c.Accept(tt.doc); !errors.Is(err, tt.want) {
				t.Errorf("Accept: %v, want %v", err, tt.want)
			}
		})
	}
}

// TestRestartKeepsAcceptedReports: accept, close (or lose power mid
// append), reopen: the tally is unchanged and sequences still guard.
func TestRestartKeepsAcceptedReports(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	c := open(t, path, collector.Options{})
	a, _, _, docs := triangle()
	accept(t, c, docs...)
	before, _ := c.Tally("2026-12")
	c.Close()

	c = open(t, path, collector.Options{})
	after, _ := c.Tally("2026-12")
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("tally after restart (-before +after):\n%s", diff)
	}
	if _, err := c.Accept(docs[0]); !errors.Is(err, collector.ErrReplay) {
		t.Errorf("replay after restart: %v, want ErrReplay", err)
	}
	// A torn append: half a record at the end of the log.
	c.Close()
	appendBytes(t, path, encodeHalfRecord())
	c = open(t, path, collector.Options{})
	after, _ = c.Tally("2026-12")
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("tally after a torn append (-before +after):\n%s", diff)
	}
	// A report stored after the torn tail was cut survives the next restart.
	accept(t, c, a.report(day("2026-12-05", 777)))
	c.Close()
	c = open(t, path, collector.Options{})
	row, err := c.BoxMonth(a.pub(), "2026-12")
	if err != nil {
		t.Fatal(err)
	}
	if row.Claimed != 1305+777 || row.Confirmed != 1300 {
		t.Errorf("a after the torn tail was cut and a new report stored: %+v, want claimed %d, confirmed 1300", row, 1305+777)
	}
}

// TestCompactionKeepsTheTally: boxes that restate their days leave dead
// records; compaction drops them and the tally (and a restart) agree.
func TestCompactionKeepsTheTally(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	c := open(t, path, collector.Options{CompactAfter: 4})
	a, b, cc, docs := triangle()
	accept(t, c, docs...)
	size0 := fileSize(t, path)
	var last []byte
	for i := range 20 {
		last = a.report(day("2026-12-01", 5, gift{b, 100, 10}, gift{cc, 200, int64(20 + i)}))
		accept(t, c, last)
	}
	rows, _ := c.Tally("2026-12")
	c.Close()
	// At most the 3 first records, a's live one and 4 dead ones.
	if size := fileSize(t, path); size > size0+5*int64(len(last)+48) {
		t.Errorf("log is %d bytes after 20 restatements, %d before: not compacted", size, size0)
	}
	c = open(t, path, collector.Options{})
	after, _ := c.Tally("2026-12")
	if diff := cmp.Diff(rows, after); diff != "" {
		t.Errorf("tally after compaction and restart (-before +after):\n%s", diff)
	}
	if got := confirmed(t, c, "2026-12", a)["a"]; got != 1300 {
		t.Errorf("a: %d, want 1300", got)
	}
}

// TestCorruptLogKeepsWhatPrecedesTheDamage: a record whose checksum fails
// ends the readable log: the records before it are kept, the file is moved
// aside, and the collector goes on.
func TestCorruptLogKeepsWhatPrecedesTheDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	c := open(t, path, collector.Options{})
	a, b, _, docs := triangle()
	accept(t, c, docs[0])
	size1 := fileSize(t, path)
	accept(t, c, docs[1:]...)
	c.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[size1+100] ^= 0xff // inside b's record
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c = open(t, path, collector.Options{})
	row, _ := c.BoxMonth(a.pub(), "2026-12")
	if row.Claimed != 1305 {
		t.Errorf("a's report (before the damage) lost: %+v", row)
	}
	if row, _ := c.BoxMonth(b.pub(), "2026-12"); row.Claimed != 0 {
		t.Errorf("b's damaged report was read: %+v", row)
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 1 {
		t.Errorf("corrupt log not moved aside: %v", aside)
	}
	accept(t, c, b.report(day("2026-12-01", 0, gift{a, 10, 100})))
}
