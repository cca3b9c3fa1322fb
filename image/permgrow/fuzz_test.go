package permgrow

import (
	"bytes"
	"context"
	"maps"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzGrowTable feeds GrowTable the first 3 sectors of a disk (MBR, primary
// GPT header, the first 4 entries; the seeds are gok's; the rest of the
// entry array is zero as in gok's table) on a disk extra sectors larger than
// gok's 2 GiB image. It must refuse without writing, or leave a table the
// kernel accepts in which only partition 4 changed, and only grew; a second
// run must write nothing.
func FuzzGrowTable(f *testing.F) {
	b, err := os.ReadFile(fixture)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[:3*SectorSize], uint32(0))
	f.Add(b[:3*SectorSize], uint32(1))
	f.Add(b[:3*SectorSize], uint32(28*gib/SectorSize))
	f.Fuzz(func(t *testing.T, head []byte, extra uint32) {
		if len(head) > 3*SectorSize {
			head = head[:3*SectorSize]
		}
		head = append(head, make([]byte, (SectorSize-len(head)%SectorSize)%SectorSize)...)
		sectors := uint64(fixtureBytes/SectorSize) + uint64(extra)
		d := newMemDisk(int64(sectors * SectorSize))
		d.put(0, head)
		before := maps.Clone(d.sectors)
		old, oldErr := kernelView(d)
		res, err := GrowTable(context.Background(), d, sectors, 4, TableOptions{})
		if err != nil {
			if !maps.EqualFunc(before, d.sectors, bytes.Equal) || len(d.pending) > 0 {
				t.Fatalf("GrowTable failed (%v) but wrote to the disk", err)
			}
			return
		}
		if oldErr != nil {
			t.Fatalf("GrowTable accepted a disk the kernel would not read: %v", oldErr)
		}
		ps, err := kernelView(d)
		if err != nil {
			t.Fatalf("after GrowTable the kernel would find no partitions: %v", err)
		}
		want := old
		for i := range want {
			if want[i].Index == 3 {
				if ps[i].LastLBA < want[i].LastLBA {
					t.Fatalf("partition 4 shrank from ..%d to ..%d", want[i].LastLBA, ps[i].LastLBA)
				}
				want[i].LastLBA = res.NewLastLBA
			}
		}
		if diff := cmp.Diff(want, ps); diff != "" {
			t.Fatalf("partitions after GrowTable (-want +got):\n%s", diff)
		}
		grown := maps.Clone(d.sectors)
		if res, err := GrowTable(context.Background(), d, sectors, 4, TableOptions{}); err != nil || res.Wrote ||
			!maps.EqualFunc(grown, d.sectors, bytes.Equal) {
			t.Fatalf("second run: wrote %v, err %v; want nothing written", res.Wrote, err)
		}
	})
}

// FuzzParseExt4Super: no panic; a parsed superblock has a sane block size.
func FuzzParseExt4Super(f *testing.F) {
	sb := make([]byte, 1024)
	sb[0x38], sb[0x39] = 0x53, 0xEF
	sb[0x04], sb[0x05] = 0x00, 0x10 // 4096 blocks
	sb[0x18] = 2                    // 4 KiB
	f.Add(bytes.Clone(sb))
	sb[0x60] = 0x80 // 64bit
	sb[0x150] = 1
	f.Add(sb)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseExt4Super(b)
		if err != nil {
			return
		}
		if s.BlockSize < 1024 || s.BlockSize > 65536 || s.Blocks == 0 {
			t.Fatalf("parsed %+v", s)
		}
	})
}

// FuzzPauseFromCmdline: no panic; a pause is within 0..1h.
func FuzzPauseFromCmdline(f *testing.F) {
	f.Add("console=ttyS0,115200 root=PARTUUID=60c24cc1-f3f9-427a-8199-0422c8c90001/PARTNROFF=1 ro init=/gokrazy/init")
	f.Add("ro atomicbox.permgrow.pause=90s panic=10")
	f.Add("atomicbox.permgrow.pause=-1s")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := PauseFromCmdline(s)
		if err == nil && (d < 0 || d > 3600e9) {
			t.Fatalf("pause %v", d)
		}
	})
}
