package permgrow

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
)

// Disk is a whole disk (or a disk image file) open for reading and writing.
// Sync must make every write before it durable: fsync(2) of a block device
// flushes the drive's write cache.
type Disk interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
}

// minGrow is the least growth, in sectors, worth rewriting a table that
// already spans the disk for (1 MiB).
const minGrow = 2048

// TableResult says what GrowTable found and did.
type TableResult struct {
	Partition  int    // partition number (1-based) that was grown
	FirstLBA   uint64 // its first sector (unchanged)
	OldLastLBA uint64 // its last sector before this run
	NewLastLBA uint64 // its last sector now (== OldLastLBA when nothing was to do)
	Wrote      bool   // this run wrote to the disk (a table or the backup)
}

// Step names a point of GrowTable's sequence for the test hook.
type Step string

// The points Options.After is called at, in order. Each is reached only
// when its writes were needed in this run.
const (
	StepBackup Step = "backup" // the new backup GPT is at the end of the disk
	StepShadow Step = "shadow" // the primary header points at the new entries in the shadow array
	StepTable  Step = "table"  // the primary GPT is final (the grow is committed on disk)
)

// TableOptions are GrowTable's optional settings.
type TableOptions struct {
	// After, if set, is called after each step's writes are synced. An
	// error stops GrowTable there (tests use it to cut the power).
	After func(Step) error
}

// GrowTable rewrites the GPT on d (sectors SectorSize-byte sectors) so that
// partition number part ends at the last usable sector of the disk. The
// partition must be the last one on the disk; the table must be one the
// kernel accepts (hybrid or protective MBR, valid primary GPT).
//
// Order, each write followed by Sync, so that every state in between is a
// valid table (a single-sector write is assumed atomic; a multi-sector
// write is not):
//
//  1. the new backup entry array, then the new backup header, at the end of
//     the disk. The primary still points at the old backup: nothing the
//     kernel reads has changed yet.
//  2. the new entry array into the shadow area right after the home array
//     (LBA 34..65 for 128 entries; free in gokrazy's layout, whose first
//     partition starts at LBA 8192), then the primary header pointing at it
//     (first usable LBA moved past it). This one-sector write commits the grow.
//  3. the new entry array into its home (LBA 2..33; the header points
//     elsewhere meanwhile), then the final primary header pointing at it.
//
// gokrazy's init finds /perm by reading the entries at LBA 2 without
// looking at the header; LBA 2 holds the same partitions (only an end
// differs) in every state.
//
// A run on a disk left in any of these states (a power cut) finishes the
// job; a run on a finished disk writes nothing unless the backup needs
// repair. It never moves a partition's start and never shrinks one.
func GrowTable(ctx context.Context, d Disk, sectors uint64, part int, opts TableOptions) (TableResult, error) {
	res := TableResult{Partition: part}
	after := func(s Step) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if opts.After != nil {
			return opts.After(s)
		}
		return nil
	}
	mbr := make([]byte, SectorSize)
	if _, err := d.ReadAt(mbr, 0); err != nil {
		return res, fmt.Errorf("read mbr: %w", err)
	}
	if err := CheckMBR(mbr); err != nil {
		return res, err
	}
	primary, err := ReadTable(d, sectors, 1)
	if err != nil {
		return res, fmt.Errorf("primary gpt: %w", err)
	}
	p, err := lastPartition(primary, part)
	if err != nil {
		return res, err
	}
	res.FirstLBA, res.OldLastLBA, res.NewLastLBA = p.FirstLBA, p.LastLBA, p.LastLBA

	lastLBA := sectors - 1
	arr := primary.Header.entrySectors()
	const home = 2 // the entry array right after the primary header
	shadow := home + arr
	if lastLBA < 2*arr+3 {
		return res, fmt.Errorf("disk of %d sectors is too small for a GPT", sectors)
	}
	lastUsable := lastLBA - arr - 1
	if p.LastLBA > lastUsable {
		return res, fmt.Errorf("partition %d ends at LBA %d, past the disk's last usable LBA %d (is the disk smaller than the image?)",
			part, p.LastLBA, lastUsable)
	}

	// The final table: the primary as it is, partition part to the end.
	want := &Table{Header: primary.Header, Entries: bytes.Clone(primary.Entries)}
	want.Header.MyLBA, want.Header.AlternateLBA = 1, lastLBA
	want.Header.LastUsableLBA = lastUsable
	want.Header.EntriesLBA = home
	switch primary.Header.EntriesLBA {
	case home:
	case shadow:
		// A run of ours was cut after step 2: its header moved the first
		// usable LBA past the shadow array unless it already was.
		if primary.Header.FirstUsableLBA == shadow+arr {
			want.Header.FirstUsableLBA = home + arr
		}
	default:
		return res, fmt.Errorf("primary gpt: entry array at LBA %d, want %d (or %d): not a layout this knows", primary.Header.EntriesLBA, home, shadow)
	}
	target := lastUsable
	if primary.Header.AlternateLBA == lastLBA && primary.Header.LastUsableLBA == lastUsable && p.LastLBA+minGrow > lastUsable {
		// A table made for this disk (gokrazy ends /perm one sector short
		// of the usable end): not worth a write.
		target = p.LastLBA
	}
	want.setLastLBA(p.Index, target)
	res.NewLastLBA = target

	backup := *want
	backup.Header.MyLBA, backup.Header.AlternateLBA = lastLBA, 1
	backup.Header.EntriesLBA = lastLBA - arr

	if bytes.Equal(primary.Header.Marshal(), want.Header.Marshal()) && bytes.Equal(primary.Entries, want.Entries) {
		// The primary is final; repair the backup if it is not.
		if b, err := ReadTable(d, sectors, lastLBA); err == nil &&
			bytes.Equal(b.Header.Marshal(), backup.Header.Marshal()) && bytes.Equal(b.Entries, backup.Entries) {
			return res, nil
		}
		res.Wrote = true
		return res, writeTable(d, &backup)
	}

	for _, q := range primary.Partitions() {
		if q.FirstLBA <= shadow+arr-1 {
			return res, fmt.Errorf("partition %d starts at LBA %d, inside the shadow entry array %d..%d", q.Index+1, q.FirstLBA, shadow, shadow+arr-1)
		}
	}

	res.Wrote = true
	// 1. the backup at the end of the disk.
	if err := writeTable(d, &backup); err != nil {
		return res, err
	}
	if err := after(StepBackup); err != nil {
		return res, err
	}
	// 2. commit through the shadow array (unless a cut run already did).
	if primary.Header.EntriesLBA == home {
		sh := *want
		sh.Header.EntriesLBA = shadow
		sh.Header.FirstUsableLBA = max(want.Header.FirstUsableLBA, shadow+arr)
		if err := writeTable(d, &sh); err != nil {
			return res, err
		}
		if err := after(StepShadow); err != nil {
			return res, err
		}
	}
	// 3. back home.
	if err := writeTable(d, want); err != nil {
		return res, err
	}
	return res, after(StepTable)
}

// writeTable writes t's entry array, syncs, then its header, and syncs: the
// header (one sector) is the commit.
func writeTable(d Disk, t *Table) error {
	if _, err := d.WriteAt(t.Entries, int64(t.Header.EntriesLBA*SectorSize)); err != nil {
		return fmt.Errorf("write gpt entries at LBA %d: %w", t.Header.EntriesLBA, err)
	}
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync gpt entries at LBA %d: %w", t.Header.EntriesLBA, err)
	}
	if _, err := d.WriteAt(t.Header.Marshal(), int64(t.Header.MyLBA*SectorSize)); err != nil {
		return fmt.Errorf("write gpt header at LBA %d: %w", t.Header.MyLBA, err)
	}
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync gpt header at LBA %d: %w", t.Header.MyLBA, err)
	}
	return nil
}

// lastPartition returns partition number part of t and checks that no
// partition starts after it.
func lastPartition(t *Table, part int) (Partition, error) {
	ps := t.Partitions()
	i := slices.IndexFunc(ps, func(p Partition) bool { return p.Index == part-1 })
	if i < 0 {
		return Partition{}, fmt.Errorf("gpt has no partition %d", part)
	}
	p := ps[i]
	for _, q := range ps {
		if q.FirstLBA > p.FirstLBA {
			return Partition{}, fmt.Errorf("partition %d (LBA %d) is not the last: partition %d starts at LBA %d", part, p.FirstLBA, q.Index+1, q.FirstLBA)
		}
	}
	return p, nil
}
