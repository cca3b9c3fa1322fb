// Package permgrow grows gokrazy's data partition (/perm, the last GPT
// partition) and its ext4 file system to the end of the disk, in an order
// where a power cut at any moment leaves a partition table the kernel
// accepts, with the data intact, and the next run finishes the job.
//
// gokrazy writes a hybrid MBR (the FAT boot partition plus a 0xEE entry
// over sectors 1..firstPartition-1, neither of which depends on the disk
// size) and a GPT whose last entry, /perm, ends 34 sectors before the end of
// the image. Written to a larger card, the primary GPT still describes the
// image's size and the backup sits in the middle of the card. Only the GPT
// changes here; the MBR stays as gokrazy wrote it.
package permgrow

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// SectorSize is the only logical block size handled (gokrazy's too).
const SectorSize = 512

// headerSize is the size of the GPT header that gokrazy and most tools
// write (revision 1.0); larger headers are accepted when parsing, and their
// extra bytes are kept and covered by the CRC.
const headerSize = 92

// maxEntryBytes bounds the partition entry array a header may claim, so
// that a corrupt count cannot make us read gigabytes (the UEFI minimum is
// 16 KiB; nobody writes more than a few times that).
const maxEntryBytes = 1 << 20

var gptSignature = [8]byte{'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T'}

// Header is a GPT header (UEFI 2.x, 5.3.2). LBAs count SectorSize sectors.
type Header struct {
	Revision       uint32
	HeaderSize     uint32
	MyLBA          uint64 // where this header is
	AlternateLBA   uint64 // where the other header is
	FirstUsableLBA uint64
	LastUsableLBA  uint64
	DiskGUID       [16]byte
	EntriesLBA     uint64 // first sector of the partition entry array
	NumEntries     uint32
	EntrySize      uint32
	EntriesCRC     uint32
	extra          []byte // bytes HeaderSize-92 past the standard fields
}

// entrySectors is how many sectors the entry array spans.
func (h *Header) entrySectors() uint64 {
	n := uint64(h.NumEntries) * uint64(h.EntrySize)
	return (n + SectorSize - 1) / SectorSize
}

// Marshal returns the header as one sector with its CRC computed.
func (h *Header) Marshal() []byte {
	b := make([]byte, SectorSize)
	copy(b, gptSignature[:])
	le := binary.LittleEndian
	size := h.HeaderSize
	if size < headerSize {
		size = headerSize
	}
	le.PutUint32(b[8:], h.Revision)
	le.PutUint32(b[12:], size)
	le.PutUint64(b[24:], h.MyLBA)
	le.PutUint64(b[32:], h.AlternateLBA)
	le.PutUint64(b[40:], h.FirstUsableLBA)
	le.PutUint64(b[48:], h.LastUsableLBA)
	copy(b[56:72], h.DiskGUID[:])
	le.PutUint64(b[72:], h.EntriesLBA)
	le.PutUint32(b[80:], h.NumEntries)
	le.PutUint32(b[84:], h.EntrySize)
	le.PutUint32(b[88:], h.EntriesCRC)
	copy(b[headerSize:size], h.extra)
	le.PutUint32(b[16:], crc32.ChecksumIEEE(b[:size]))
	return b
}

// ParseHeader parses the header sector found at LBA at and checks what the
// Linux kernel checks (block/partitions/efi.c, is_gpt_valid) except the
// entry array's CRC, which needs the array: signature, size, CRC, MyLBA,
// usable range within the disk of lastLBA+1 sectors, entry size.
func ParseHeader(b []byte, at, lastLBA uint64) (*Header, error) {
	if len(b) < SectorSize {
		return nil, fmt.Errorf("gpt header at LBA %d: %d bytes, want %d", at, len(b), SectorSize)
	}
	if !bytes.Equal(b[:8], gptSignature[:]) {
		return nil, fmt.Errorf("gpt header at LBA %d: no EFI PART signature", at)
	}
	le := binary.LittleEndian
	h := &Header{
		Revision:       le.Uint32(b[8:]),
		HeaderSize:     le.Uint32(b[12:]),
		MyLBA:          le.Uint64(b[24:]),
		AlternateLBA:   le.Uint64(b[32:]),
		FirstUsableLBA: le.Uint64(b[40:]),
		LastUsableLBA:  le.Uint64(b[48:]),
		EntriesLBA:     le.Uint64(b[72:]),
		NumEntries:     le.Uint32(b[80:]),
		EntrySize:      le.Uint32(b[84:]),
		EntriesCRC:     le.Uint32(b[88:]),
	}
	copy(h.DiskGUID[:], b[56:72])
	if h.HeaderSize < headerSize || h.HeaderSize > SectorSize {
		return nil, fmt.Errorf("gpt header at LBA %d: header size %d out of range", at, h.HeaderSize)
	}
	h.extra = bytes.Clone(b[headerSize:h.HeaderSize])
	sum := bytes.Clone(b[:h.HeaderSize])
	le.PutUint32(sum[16:], 0)
	if got, want := crc32.ChecksumIEEE(sum), le.Uint32(b[16:]); got != want {
		return nil, fmt.Errorf("gpt header at LBA %d: CRC %08x, header says %08x", at, got, want)
	}
	if h.MyLBA != at {
		return nil, fmt.Errorf("gpt header at LBA %d says it is at LBA %d", at, h.MyLBA)
	}
	if h.FirstUsableLBA > lastLBA || h.LastUsableLBA > lastLBA || h.FirstUsableLBA > h.LastUsableLBA {
		return nil, fmt.Errorf("gpt header at LBA %d: usable LBAs %d..%d outside the disk's 0..%d",
			at, h.FirstUsableLBA, h.LastUsableLBA, lastLBA)
	}
	if h.EntrySize != 128 {
		// The kernel accepts only its own gpt_entry size.
		return nil, fmt.Errorf("gpt header at LBA %d: entry size %d, want 128", at, h.EntrySize)
	}
	if n := uint64(h.NumEntries) * uint64(h.EntrySize); n == 0 || n > maxEntryBytes {
		return nil, fmt.Errorf("gpt header at LBA %d: %d entries of %d bytes", at, h.NumEntries, h.EntrySize)
	}
	if h.EntriesLBA > lastLBA || h.EntriesLBA+h.entrySectors()-1 > lastLBA {
		return nil, fmt.Errorf("gpt header at LBA %d: entry array at LBA %d runs past the disk", at, h.EntriesLBA)
	}
	return h, nil
}

// Partition is one used entry of the array.
type Partition struct {
	Index    int // position in the array; partition number Index+1
	TypeGUID [16]byte
	GUID     [16]byte
	FirstLBA uint64
	LastLBA  uint64 // inclusive
}

// Table is a parsed GPT: one header and its entry array.
type Table struct {
	Header  Header
	Entries []byte // the whole array, NumEntries*EntrySize bytes
}

// Partitions returns the used entries (non-zero type GUID) in array order.
func (t *Table) Partitions() []Partition {
	var ps []Partition
	le := binary.LittleEndian
	for i := 0; i < int(t.Header.NumEntries); i++ {
		e := t.Entries[i*int(t.Header.EntrySize):]
		var p Partition
		copy(p.TypeGUID[:], e[0:16])
		if p.TypeGUID == ([16]byte{}) {
			continue
		}
		copy(p.GUID[:], e[16:32])
		p.Index = i
		p.FirstLBA = le.Uint64(e[32:])
		p.LastLBA = le.Uint64(e[40:])
		ps = append(ps, p)
	}
	return ps
}

// setLastLBA changes the last LBA of entry i and the array's CRC.
func (t *Table) setLastLBA(i int, last uint64) {
	binary.LittleEndian.PutUint64(t.Entries[i*int(t.Header.EntrySize)+40:], last)
	t.Header.EntriesCRC = crc32.ChecksumIEEE(t.Entries)
}

// check verifies the entry array against the header and the partitions
// against the usable range and each other.
func (t *Table) check(lastLBA uint64) error {
	if got := crc32.ChecksumIEEE(t.Entries); got != t.Header.EntriesCRC {
		return fmt.Errorf("gpt at LBA %d: entry array CRC %08x, header says %08x", t.Header.MyLBA, got, t.Header.EntriesCRC)
	}
	ps := t.Partitions()
	for i, p := range ps {
		if p.FirstLBA > p.LastLBA || p.LastLBA > lastLBA {
			return fmt.Errorf("gpt at LBA %d: partition %d spans LBA %d..%d (disk ends at %d)",
				t.Header.MyLBA, p.Index+1, p.FirstLBA, p.LastLBA, lastLBA)
		}
		for _, q := range ps[:i] {
			if p.FirstLBA <= q.LastLBA && q.FirstLBA <= p.LastLBA {
				return fmt.Errorf("gpt at LBA %d: partitions %d and %d overlap", t.Header.MyLBA, q.Index+1, p.Index+1)
			}
		}
	}
	return nil
}

// ReadTable reads and checks the GPT whose header is at LBA at on a disk of
// sectors SectorSize-byte sectors. It checks the header (ParseHeader), the
// entry array's CRC and that no used partition leaves the disk or overlaps
// another: a table that passes is one the kernel would use.
func ReadTable(r io.ReaderAt, sectors, at uint64) (*Table, error) {
	if sectors < 3 || at >= sectors {
		return nil, fmt.Errorf("gpt header at LBA %d: disk of %d sectors", at, sectors)
	}
	lastLBA := sectors - 1
	b := make([]byte, SectorSize)
	if _, err := r.ReadAt(b, int64(at*SectorSize)); err != nil {
		return nil, fmt.Errorf("read gpt header at LBA %d: %w", at, err)
	}
	h, err := ParseHeader(b, at, lastLBA)
	if err != nil {
		return nil, err
	}
	t := &Table{Header: *h, Entries: make([]byte, int(h.NumEntries)*int(h.EntrySize))}
	if _, err := r.ReadAt(t.Entries, int64(h.EntriesLBA*SectorSize)); err != nil {
		return nil, fmt.Errorf("read gpt entries at LBA %d: %w", h.EntriesLBA, err)
	}
	if err := t.check(lastLBA); err != nil {
		return nil, err
	}
	return t, nil
}

// ErrNoProtectiveMBR means sector 0 has no 0xEE entry: the kernel would not
// look for a GPT at all (without the gpt kernel argument).
var ErrNoProtectiveMBR = errors.New("mbr: no GPT protective (0xEE) entry")

// CheckMBR checks sector 0 as the kernel does before it reads a GPT: boot
// signature and a 0xEE entry (protective or hybrid).
func CheckMBR(b []byte) error {
	if len(b) < SectorSize || b[510] != 0x55 || b[511] != 0xAA {
		return errors.New("mbr: no 55 AA boot signature")
	}
	for i := range 4 {
		if b[446+16*i+4] == 0xEE {
			return nil
		}
	}
	return ErrNoProtectiveMBR
}
