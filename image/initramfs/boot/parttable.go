package boot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Partition is one entry of a disk's partition table.
type Partition struct {
	Number   int    // 1-based, as in /dev/mmcblk0p<Number>
	PartUUID string // lower case, as Linux shows it in PARTUUID=
	Start    uint64 // first sector (512 bytes)
	Sectors  uint64
}

// ErrNoTable is returned by ReadPartitions for a disk without an MBR or GPT.
var ErrNoTable = errors.New("no partition table")

const sectorSize = 512

// Limits that keep a hostile table from making the reader allocate much.
const (
	maxGPTEntries   = 1024
	maxGPTEntrySize = 4096
)

// ReadPartitions reads an MBR (partitions 1 to 4; Linux's "dddddddd-NN"
// PARTUUIDs) or, behind a protective MBR, a GPT (512-byte sectors) from
// disk. It reads at most a few hundred KiB.
func ReadPartitions(disk io.ReaderAt) ([]Partition, error) {
	mbr := make([]byte, sectorSize)
	if _, err := disk.ReadAt(mbr, 0); err != nil {
		return nil, fmt.Errorf("read MBR: %w", err)
	}
	if mbr[510] != 0x55 || mbr[511] != 0xaa {
		return nil, ErrNoTable
	}
	var parts []Partition
	for i := range 4 {
		e := mbr[446+16*i : 446+16*(i+1)]
		typ := e[4]
		if typ == 0xee {
			return readGPT(disk)
		}
		start := uint64(binary.LittleEndian.Uint32(e[8:]))
		n := uint64(binary.LittleEndian.Uint32(e[12:]))
		if typ == 0 || n == 0 {
			continue
		}
		parts = append(parts, Partition{
			Number:   i + 1,
			PartUUID: fmt.Sprintf("%08x-%02x", binary.LittleEndian.Uint32(mbr[440:]), i+1),
			Start:    start,
			Sectors:  n,
		})
	}
	return parts, nil
}

func readGPT(disk io.ReaderAt) ([]Partition, error) {
	h := make([]byte, sectorSize)
	if _, err := disk.ReadAt(h, sectorSize); err != nil {
		return nil, fmt.Errorf("read GPT header: %w", err)
	}
	if !bytes.Equal(h[:8], []byte("EFI PART")) {
		return nil, fmt.Errorf("protective MBR but no GPT header: %w", ErrNoTable)
	}
	lba := binary.LittleEndian.Uint64(h[72:])
	count := binary.LittleEndian.Uint32(h[80:])
	size := binary.LittleEndian.Uint32(h[84:])
	if count > maxGPTEntries || size < 128 || size > maxGPTEntrySize || size%8 != 0 {
		return nil, fmt.Errorf("GPT header: %d entries of %d bytes out of range", count, size)
	}
	if lba < 2 || lba > 1<<40 {
		return nil, fmt.Errorf("GPT header: entries at LBA %d out of range", lba)
	}
	table := make([]byte, int(count)*int(size))
	if _, err := disk.ReadAt(table, int64(lba)*sectorSize); err != nil {
		return nil, fmt.Errorf("read GPT entries: %w", err)
	}
	var parts []Partition
	for i := range int(count) {
		e := table[i*int(size):]
		if bytes.Equal(e[:16], make([]byte, 16)) {
			continue // unused entry
		}
		first := binary.LittleEndian.Uint64(e[32:])
		last := binary.LittleEndian.Uint64(e[40:])
		if last < first {
			return nil, fmt.Errorf("GPT entry %d: last LBA %d before first %d", i+1, last, first)
		}
		parts = append(parts, Partition{
			Number:   i + 1,
			PartUUID: guidString(e[16:32]),
			Start:    first,
			Sectors:  last - first + 1,
		})
	}
	return parts, nil
}

// guidString formats a GPT GUID (mixed endian) as Linux does.
func guidString(b []byte) string {
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x",
		binary.LittleEndian.Uint32(b[0:]),
		binary.LittleEndian.Uint16(b[4:]),
		binary.LittleEndian.Uint16(b[6:]),
		b[8:10], b[10:16])
}

// FindRoot returns the number of the partition root names among parts, or
// false.
func FindRoot(root RootSpec, parts []Partition) (int, bool) {
	if root.PartUUID == "" {
		return 0, false
	}
	for _, p := range parts {
		if p.PartUUID != root.PartUUID {
			continue
		}
		want := p.Number + root.PartNrOff
		for _, q := range parts {
			if q.Number == want {
				return want, true
			}
		}
		return 0, false
	}
	return 0, false
}
