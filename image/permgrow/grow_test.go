package permgrow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The fixture is the partition tables of an image that gok built
// (make image-amd64, 2 GiB): sectors 0..33 (hybrid MBR, primary GPT) then
// the last 33 sectors (backup GPT). To renew it from a new image IMG:
//
//	{ dd if=IMG bs=512 count=34; dd if=IMG bs=512 skip=$(($(stat -c %s IMG)/512-33)); } >testdata/gokrazy-amd64-2147483648.gpt
const (
	fixture      = "testdata/gokrazy-amd64-2147483648.gpt"
	fixtureBytes = 2147483648
	gib          = 1 << 30
)

// memDisk is a sparse in-memory disk of fixed size that models a power
// cut: writes are pending until Sync; cut() decides what pending writes
// reach the medium. Single sectors are atomic, larger writes are not.
type memDisk struct {
	size    int64
	sectors map[int64][]byte // durable
	pending []write
	// failAt, when > 0, makes the failAt-th WriteAt or Sync call (counting
	// from 1) and every later one fail: the power is gone.
	failAt int
	ops    int
}

type write struct {
	off int64
	b   []byte
}

var errPowerCut = errors.New("power cut")

func newMemDisk(size int64) *memDisk { return &memDisk{size: size, sectors: map[int64][]byte{}} }

// loadFixture puts the fixture's tables where gok wrote them on a disk of
// fixtureBytes, onto a disk of size bytes (as dd of the image onto a card).
func loadFixture(t testing.TB, size int64) *memDisk {
	t.Helper()
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	d := newMemDisk(size)
	d.put(0, b[:34*SectorSize])
	d.put(fixtureBytes-33*SectorSize, b[34*SectorSize:])
	return d
}

func (d *memDisk) put(off int64, b []byte) {
	for i := int64(0); i < int64(len(b)); i += SectorSize {
		s := (off + i) / SectorSize
		sec := d.sector(s)
		copy(sec, b[i:])
		d.sectors[s] = sec
	}
}

func (d *memDisk) sector(s int64) []byte {
	if b, ok := d.sectors[s]; ok {
		return bytes.Clone(b)
	}
	return make([]byte, SectorSize)
}

func (d *memDisk) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > d.size {
		return 0, fmt.Errorf("read %d bytes at %d: past the end of a %d-byte disk", len(p), off, d.size)
	}
	if off%SectorSize != 0 || len(p)%SectorSize != 0 {
		return 0, fmt.Errorf("read %d bytes at %d: not whole sectors", len(p), off)
	}
	for i := 0; i < len(p); i += SectorSize {
		copy(p[i:], d.sector((off+int64(i))/SectorSize))
	}
	// Reads see pending writes (the page cache).
	for _, w := range d.pending {
		lo, hi := max(off, w.off), min(off+int64(len(p)), w.off+int64(len(w.b)))
		if lo < hi {
			copy(p[lo-off:hi-off], w.b[lo-w.off:hi-w.off])
		}
	}
	return len(p), nil
}

func (d *memDisk) op() error {
	d.ops++
	if d.failAt > 0 && d.ops >= d.failAt {
		return errPowerCut
	}
	return nil
}

func (d *memDisk) WriteAt(p []byte, off int64) (int, error) {
	if err := d.op(); err != nil {
		return 0, err
	}
	if off < 0 || off+int64(len(p)) > d.size || off%SectorSize != 0 || len(p)%SectorSize != 0 {
		return 0, fmt.Errorf("write %d bytes at %d: outside the disk or not whole sectors", len(p), off)
	}
	d.pending = append(d.pending, write{off, bytes.Clone(p)})
	return len(p), nil
}

func (d *memDisk) Sync() error {
	if err := d.op(); err != nil {
		return err
	}
	for _, w := range d.pending {
		d.put(w.off, w.b)
	}
	d.pending = nil
	return nil
}

// cut ends the power: pending writes are lost, reach the medium, or only
// their first sector does (a torn multi-sector write).
func (d *memDisk) cut(mode string) {
	for _, w := range d.pending {
		switch mode {
		case "lost":
		case "applied":
			d.put(w.off, w.b)
		case "torn":
			d.put(w.off, w.b[:SectorSize])
		}
	}
	d.pending, d.failAt = nil, 0
}

func (d *memDisk) clone() *memDisk {
	c := *d
	c.sectors = maps.Clone(d.sectors)
	c.pending = nil
	return &c
}

// writeFile writes the disk as a sparse file, for Debian's sgdisk.
func (d *memDisk) writeFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(d.size); err != nil {
		t.Fatal(err)
	}
	for s, b := range d.sectors {
		if _, err := f.WriteAt(b, s*SectorSize); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// kernelView is what the kernel would make of the disk at boot (without
// the gpt argument it reads only the primary): the partitions, or an error.
func kernelView(d *memDisk) ([]Partition, error) {
	mbr := make([]byte, SectorSize)
	d.ReadAt(mbr, 0)
	if err := CheckMBR(mbr); err != nil {
		return nil, err
	}
	t, err := ReadTable(d, uint64(d.size/SectorSize), 1)
	if err != nil {
		return nil, err
	}
	return t.Partitions(), nil
}

func TestGrowTable(t *testing.T) {
	// gok ends /perm one sector before the last usable one.
	oldLast := uint64(fixtureBytes/SectorSize - 34)
	for _, tc := range []struct {
		name    string
		reason  string
		size    int64
		part    int
		mangle  func(d *memDisk)
		wantErr string // regexp; "" for success
		newLast uint64 // of partition part
	}{
		{
			name: "16 GiB card", reason: "the 2 GiB image on a 16 GiB card: /perm ends 34 sectors before the end",
			size: 16 * gib, part: 4, newLast: 16*gib/SectorSize - 34,
		},
		{
			name: "one more sector", reason: "a disk one sector larger than the image still gets the sector",
			size: fixtureBytes + SectorSize, part: 4, newLast: oldLast + 1,
		},
		{
			name: "same size", reason: "on a disk of the image's own size there is nothing to do",
			size: fixtureBytes, part: 4, newLast: oldLast - 1,
		},
		{
			name: "smaller disk", reason: "an image larger than the disk must not be touched",
			size: fixtureBytes - 64*SectorSize, part: 4, wantErr: `outside the disk's|past the disk|runs past|ends at LBA`,
		},
		{
			name: "not the last", reason: "only the last partition can grow",
			size: 16 * gib, part: 3, wantErr: `partition 3 .* is not the last`,
		},
		{
			name: "no such partition", reason: "partition 5 does not exist",
			size: 16 * gib, part: 5, wantErr: `no partition 5`,
		},
		{
			name: "bad header CRC", reason: "a primary the kernel would refuse is not ours to rewrite",
			size: 16 * gib, part: 4, wantErr: `CRC`,
			mangle: func(d *memDisk) { s := d.sector(1); s[100] ^= 1; s[16] ^= 1; d.sectors[1] = s },
		},
		{
			name: "bad entries CRC", reason: "a flipped bit in an entry makes the table invalid",
			size: 16 * gib, part: 4, wantErr: `entry array CRC`,
			mangle: func(d *memDisk) { s := d.sector(2); s[40] ^= 1; d.sectors[2] = s },
		},
		{
			name: "no protective MBR", reason: "without a 0xEE entry the kernel reads no GPT",
			size: 16 * gib, part: 4, wantErr: `0xEE`,
			mangle: func(d *memDisk) { s := d.sector(0); s[446+16+4] = 0x83; d.sectors[0] = s },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := loadFixture(t, tc.size)
			if tc.mangle != nil {
				tc.mangle(d)
			}
			before := maps.Clone(d.sectors)
			res, err := GrowTable(context.Background(), d, uint64(tc.size/SectorSize), tc.part, TableOptions{})
			if tc.wantErr != "" {
				if err == nil || !regexp.MustCompile(tc.wantErr).MatchString(err.Error()) {
					t.Fatalf("%s: err = %v, want one matching %q", tc.reason, err, tc.wantErr)
				}
				if !maps.EqualFunc(before, d.sectors, bytes.Equal) || len(d.pending) > 0 {
					t.Errorf("%s: the disk was written although GrowTable failed", tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.reason, err)
			}
			if res.NewLastLBA != tc.newLast {
				t.Errorf("%s: NewLastLBA = %d, want %d", tc.reason, res.NewLastLBA, tc.newLast)
			}
			if grew := tc.newLast != oldLast-1; res.Wrote != grew {
				t.Errorf("%s: Wrote = %v, want %v", tc.reason, res.Wrote, grew)
			}
			checkGrown(t, d, tc.newLast)
		})
	}
}

// checkGrown checks both GPTs of d: valid, pointing at each other, the same
// partitions as the fixture but partition 4 ending at last; then asks
// Debian's sgdisk for its opinion.
func checkGrown(t *testing.T, d *memDisk, last uint64) {
	t.Helper()
	sectors := uint64(d.size / SectorSize)
	orig := loadFixture(t, fixtureBytes)
	o, err := ReadTable(orig, fixtureBytes/SectorSize, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := o.Partitions()
	want[3].LastLBA = last
	p, err := ReadTable(d, sectors, 1)
	if err != nil {
		t.Fatalf("primary: %v", err)
	}
	b, err := ReadTable(d, sectors, sectors-1)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	for name, tab := range map[string]*Table{"primary": p, "backup": b} {
		if diff := cmp.Diff(want, tab.Partitions()); diff != "" {
			t.Errorf("%s partitions (-want +got):\n%s", name, diff)
		}
		if tab.Header.LastUsableLBA != sectors-34 || tab.Header.FirstUsableLBA != 34 {
			t.Errorf("%s: usable LBAs %d..%d, want 34..%d", name, tab.Header.FirstUsableLBA, tab.Header.LastUsableLBA, sectors-34)
		}
	}
	if p.Header.AlternateLBA != sectors-1 || b.Header.AlternateLBA != 1 || p.Header.EntriesLBA != 2 || b.Header.EntriesLBA != sectors-33 {
		t.Errorf("headers do not point at each other: primary alt %d entries %d, backup alt %d entries %d",
			p.Header.AlternateLBA, p.Header.EntriesLBA, b.Header.AlternateLBA, b.Header.EntriesLBA)
	}
	if _, err := exec.LookPath("sgdisk"); err != nil {
		t.Fatalf("sgdisk (Debian's gdisk, scripts/setup-debian.sh test) is missing: %v", err)
	}
	out, err := exec.Command("sgdisk", "-v", d.writeFile(t)).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "No problems found") {
		t.Errorf("sgdisk -v: %v\n%s", err, out)
	}
}

func TestGrowTableAgain(t *testing.T) {
	d := loadFixture(t, 16*gib)
	ctx := context.Background()
	if _, err := GrowTable(ctx, d, 16*gib/SectorSize, 4, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	grown := maps.Clone(d.sectors)
	res, err := GrowTable(ctx, d, 16*gib/SectorSize, 4, TableOptions{})
	if err != nil || res.Wrote || !maps.EqualFunc(grown, d.sectors, bytes.Equal) {
		t.Fatalf("second run: wrote %v, err %v; want nothing written", res.Wrote, err)
	}
	// A lost backup (e.g. a card clone that dropped the last sectors) is
	// written again.
	delete(d.sectors, 16*gib/SectorSize-1)
	res, err = GrowTable(ctx, d, 16*gib/SectorSize, 4, TableOptions{})
	if err != nil || !res.Wrote || !maps.EqualFunc(grown, d.sectors, bytes.Equal) {
		t.Fatalf("run with the backup header gone: wrote %v, err %v; want the backup rewritten", res.Wrote, err)
	}
}

// TestGrowTablePowerCut cuts the power at every write and sync of a grow,
// with the unsynced writes lost, applied or torn: the kernel must find a
// valid table with /perm at its old or new size and every other partition
// unchanged, and the next run must end where an uncut run ends.
func TestGrowTablePowerCut(t *testing.T) {
	const size = 16 * gib
	sectors := uint64(size / SectorSize)
	ctx := context.Background()
	ref := loadFixture(t, size)
	if _, err := GrowTable(ctx, ref, sectors, 4, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	total := ref.ops
	if total < 4 {
		t.Fatalf("an uncut grow did %d writes and syncs; want at least 4 (a table is 2 writes and 2 syncs)", total)
	}
	orig, _ := kernelView(loadFixture(t, size))
	grown, _ := kernelView(ref)
	cuts := 0
	for k := 1; k <= total; k++ {
		for _, mode := range []string{"lost", "applied", "torn"} {
			d := loadFixture(t, size)
			d.failAt = k
			_, err := GrowTable(ctx, d, sectors, 4, TableOptions{})
			if !errors.Is(err, errPowerCut) {
				t.Fatalf("cut at op %d: err = %v, want the power cut", k, err)
			}
			d.cut(mode)
			cuts++
			ps, err := kernelView(d)
			if err != nil {
				t.Fatalf("cut at op %d (%s): the kernel would find no partitions: %v", k, mode, err)
			}
			// Tools that read both GPTs (sgdisk, firmware) must find the
			// backup where the primary says it is, at every moment.
			if p, err := ReadTable(d, sectors, 1); err == nil {
				if _, err := ReadTable(d, sectors, p.Header.AlternateLBA); err != nil {
					t.Fatalf("cut at op %d (%s): the primary's backup: %v", k, mode, err)
				}
			}
			// gokrazy's rootdev reads the entries at LBA 2 whatever the
			// header says (to find /perm by PARTUUID): they must name the
			// same partitions at every moment.
			if !bytes.Equal(guids(d.sector(2)), guids(loadFixture(t, size).sector(2))) {
				t.Fatalf("cut at op %d (%s): LBA 2 names other partitions", k, mode)
			}
			if cmp.Diff(orig, ps) != "" && cmp.Diff(grown, ps) != "" {
				t.Fatalf("cut at op %d (%s): partitions are neither the old nor the grown ones:\n%s", k, mode, cmp.Diff(orig, ps))
			}
			if _, err := GrowTable(ctx, d, sectors, 4, TableOptions{}); err != nil {
				t.Fatalf("cut at op %d (%s): the next run: %v", k, mode, err)
			}
			// The shadow array stays behind on disk, unused; compare what
			// the kernel and sgdisk read.
			d.put(34*SectorSize, make([]byte, 32*SectorSize))
			r := ref.clone()
			r.put(34*SectorSize, make([]byte, 32*SectorSize))
			for _, s := range []int64{0, 1, 2, int64(sectors) - 33, int64(sectors) - 1} {
				if !bytes.Equal(d.sector(s), r.sector(s)) {
					t.Fatalf("cut at op %d (%s), then a full run: sector %d differs from an uncut grow", k, mode, s)
				}
			}
		}
	}
	t.Logf("%d power cuts over %d writes and syncs", cuts, total)
}

// TestGrowTableSteps checks the commit order through the test hook: after
// the backup step the kernel still sees the old table, after the shadow
// step already the new one.
func TestGrowTableSteps(t *testing.T) {
	const size = 16 * gib
	d := loadFixture(t, size)
	old, _ := kernelView(d)
	var seen []Step
	_, err := GrowTable(context.Background(), d, size/SectorSize, 4, TableOptions{After: func(s Step) error {
		seen = append(seen, s)
		ps, err := kernelView(d)
		if err != nil {
			return fmt.Errorf("after %s: %w", s, err)
		}
		grown := ps[3].LastLBA == size/SectorSize-34
		if wantGrown := s != StepBackup; grown != wantGrown || ps[3].FirstLBA != old[3].FirstLBA {
			return fmt.Errorf("after %s: partition 4 is %d..%d (grown %v, want %v)", s, ps[3].FirstLBA, ps[3].LastLBA, grown, wantGrown)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Step{StepBackup, StepShadow, StepTable}, seen); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}

// guids returns the type and partition GUIDs of the 4 entries in an entry
// sector.
func guids(sector []byte) []byte {
	var b []byte
	for i := 0; i < SectorSize; i += 128 {
		b = append(b, sector[i:i+32]...)
	}
	return b
}
