package publish

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// maxBoxesScanned bounds the walk at each of the two levels read (top
// level to moov, moov to mvhd), so a hostile file cannot keep it busy.
const maxBoxesScanned = 10000

// MP4Duration reads the presentation duration in seconds from an MP4 (or
// QuickTime) file's movie header: it walks the top-level boxes to moov and
// reads mvhd's timescale and duration. It reads only box headers and the
// mvhd payload, so it is cheap on large files wherever moov is. size is the
// file's length in bytes.
func MP4Duration(r io.ReaderAt, size int64) (float64, error) {
	moovStart, moovEnd, err := findBox(r, 0, size, "moov")
	if err != nil {
		return 0, fmt.Errorf("mp4: %w", err)
	}
	mvhdStart, mvhdEnd, err := findBox(r, moovStart, moovEnd, "mvhd")
	if err != nil {
		return 0, fmt.Errorf("mp4: in moov: %w", err)
	}
	// FullBox: version (1), flags (3), then the times.
	payload := mvhdEnd - mvhdStart
	if payload < 4 {
		return 0, errors.New("mp4: mvhd is too short")
	}
	var vf [4]byte
	if _, err := r.ReadAt(vf[:], mvhdStart); err != nil {
		return 0, fmt.Errorf("mp4: read mvhd: %w", err)
	}
	var timescale uint32
	var duration uint64
	switch vf[0] {
	case 0: // creation 4, modification 4, timescale 4, duration 4
		var b [16]byte
		if payload < 4+16 {
			return 0, errors.New("mp4: mvhd (version 0) is too short")
		}
		if _, err := r.ReadAt(b[:], mvhdStart+4); err != nil {
			return 0, fmt.Errorf("mp4: read mvhd: %w", err)
		}
		timescale = binary.BigEndian.Uint32(b[8:12])
		d := binary.BigEndian.Uint32(b[12:16])
		if d == math.MaxUint32 {
			return 0, errors.New("mp4: mvhd says the duration is unknown")
		}
		duration = uint64(d)
	case 1: // creation 8, modification 8, timescale 4, duration 8
		var b [28]byte
		if payload < 4+28 {
			return 0, errors.New("mp4: mvhd (version 1) is too short")
		}
		if _, err := r.ReadAt(b[:], mvhdStart+4); err != nil {
			return 0, fmt.Errorf("mp4: read mvhd: %w", err)
		}
		timescale = binary.BigEndian.Uint32(b[16:20])
		duration = binary.BigEndian.Uint64(b[20:28])
		if duration == math.MaxUint64 {
			return 0, errors.New("mp4: mvhd says the duration is unknown")
		}
	default:
		return 0, fmt.Errorf("mp4: mvhd version %d is unknown", vf[0])
	}
	if timescale == 0 {
		return 0, errors.New("mp4: mvhd timescale is 0")
	}
	if duration == 0 {
		return 0, errors.New("mp4: mvhd duration is 0 (fragmented MP4? give durationSeconds in the manifest)")
	}
	return float64(duration) / float64(timescale), nil
}

// findBox scans the boxes between start and end for the first of type typ
// and returns the byte range of its payload.
func findBox(r io.ReaderAt, start, end int64, typ string) (payloadStart, payloadEnd int64, err error) {
	pos := start
	for n := 0; pos < end; n++ {
		if n >= maxBoxesScanned {
			return 0, 0, fmt.Errorf("no %s box in the first %d boxes", typ, maxBoxesScanned)
		}
		if end-pos < 8 {
			return 0, 0, fmt.Errorf("truncated box header at offset %d", pos)
		}
		var h [16]byte
		if _, err := r.ReadAt(h[:8], pos); err != nil {
			return 0, 0, fmt.Errorf("read box header at offset %d: %w", pos, err)
		}
		boxSize := int64(binary.BigEndian.Uint32(h[:4]))
		name := string(h[4:8])
		hdr := int64(8)
		switch boxSize {
		case 0: // extends to the end of the enclosing space
			boxSize = end - pos
		case 1: // 64-bit size follows
			if end-pos < 16 {
				return 0, 0, fmt.Errorf("truncated large box header at offset %d", pos)
			}
			if _, err := r.ReadAt(h[8:16], pos+8); err != nil {
				return 0, 0, fmt.Errorf("read box header at offset %d: %w", pos, err)
			}
			large := binary.BigEndian.Uint64(h[8:16])
			if large > math.MaxInt64 {
				return 0, 0, fmt.Errorf("box %q at offset %d has an impossible size", name, pos)
			}
			boxSize = int64(large)
			hdr = 16
		}
		if boxSize < hdr || boxSize > end-pos {
			return 0, 0, fmt.Errorf("box %q at offset %d has size %d, which does not fit", name, pos, boxSize)
		}
		if name == typ {
			return pos + hdr, pos + boxSize, nil
		}
		pos += boxSize
	}
	return 0, 0, fmt.Errorf("no %s box", typ)
}
