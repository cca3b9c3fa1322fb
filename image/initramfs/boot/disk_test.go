package boot

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// testPart is a partition of a disk image built in a test.
type testPart struct {
	typ   byte   // MBR type
	guid  string // GPT unique GUID (text form)
	start uint32 // sectors
	n     uint32
}

// mbrDisk returns a disk image with an MBR, disk signature sig.
func mbrDisk(sig uint32, parts ...testPart) []byte {
	d := make([]byte, 64*sectorSize)
	binary.LittleEndian.PutUint32(d[440:], sig)
	for i, p := range parts {
		e := d[446+16*i:]
		e[4] = p.typ
		binary.LittleEndian.PutUint32(e[8:], p.start)
		binary.LittleEndian.PutUint32(e[12:], p.n)
	}
	d[510], d[511] = 0x55, 0xaa
	return d
}

// guidBytes encodes a GUID's text form in GPT's mixed-endian layout.
func guidBytes(s string) []byte {
	h, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(h) != 16 {
		panic("bad test GUID " + s)
	}
	b := make([]byte, 16)
	binary.LittleEndian.PutUint32(b[0:], binary.BigEndian.Uint32(h[0:]))
	binary.LittleEndian.PutUint16(b[4:], binary.BigEndian.Uint16(h[4:]))
	binary.LittleEndian.PutUint16(b[6:], binary.BigEndian.Uint16(h[6:]))
	copy(b[8:], h[8:])
	return b
}

// gptDisk returns a disk image with a protective MBR and a GPT of 128
// entries of 128 bytes at LBA 2 (as gokrazy's packer and most tools write).
func gptDisk(parts ...testPart) []byte {
	d := mbrDisk(0, testPart{typ: 0xee, start: 1, n: 0xffffffff})
	d = append(d, make([]byte, 64*sectorSize)...)
	h := d[sectorSize:]
	copy(h, "EFI PART")
	binary.LittleEndian.PutUint64(h[72:], 2)
	binary.LittleEndian.PutUint32(h[80:], 128)
	binary.LittleEndian.PutUint32(h[84:], 128)
	for i, p := range parts {
		e := d[2*sectorSize+128*i:]
		copy(e[0:16], guidBytes("0fc63daf-8483-4772-8e79-3d69d8477de4")) // Linux data
		copy(e[16:32], guidBytes(p.guid))
		binary.LittleEndian.PutUint64(e[32:], uint64(p.start))
		binary.LittleEndian.PutUint64(e[40:], uint64(p.start+p.n-1))
	}
	return d
}

// gokrazyGPT is the layout gokrazy's packer writes: boot, root A, root B,
// perm, GUIDs sharing a prefix with the partition number last.
func gokrazyGPT() []byte {
	return gptDisk(
		testPart{guid: "60c24cc1-f3f9-427a-8199-2a8d5d2c0001", start: 8192, n: 204800},
		testPart{guid: "60c24cc1-f3f9-427a-8199-2a8d5d2c0002", start: 212992, n: 1024000},
		testPart{guid: "60c24cc1-f3f9-427a-8199-2a8d5d2c0003", start: 1236992, n: 1024000},
		testPart{guid: "60c24cc1-f3f9-427a-8199-2a8d5d2c0004", start: 2260992, n: 100000},
	)
}

func gokrazyMBR() []byte {
	return mbrDisk(0x2a8d5d2c,
		testPart{typ: 0x0c, start: 8192, n: 204800},
		testPart{typ: 0x83, start: 212992, n: 1024000},
		testPart{typ: 0x83, start: 1236992, n: 1024000},
		testPart{typ: 0x83, start: 2260992, n: 100000},
	)
}
