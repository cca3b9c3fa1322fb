package evdev

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// struct input_event: a struct timeval (two C longs) then __u16 type,
// __u16 code, __s32 value. That is 24 bytes on 64-bit Linux (amd64,
// arm64: what the image runs) and 16 bytes on 32-bit arm, whose kernel
// uses two 32-bit longs. Little-endian only (every target of the image).
const (
	wordSize  = strconv.IntSize / 8
	EventSize = 2*wordSize + 8 // bytes of one input_event on this GOARCH
)

// Event types and values.
const (
	evSyn = 0
	evKey = 1

	synDropped = 3

	valueRelease = 0
	valuePress   = 1
	valueRepeat  = 2
)

// RawEvent is one decoded struct input_event.
type RawEvent struct {
	Sec, Usec int64
	Type      uint16
	Code      uint16
	Value     int32
}

// DecodeEvents decodes whole input_event records laid out for a C long of
// word bytes (4 or 8) and returns them with the number of bytes used; a
// trailing partial record is left for the next read.
func DecodeEvents(b []byte, word int) ([]RawEvent, int, error) {
	if word != 4 && word != 8 {
		return nil, 0, fmt.Errorf("evdev: word size %d, want 4 or 8", word)
	}
	size := 2*word + 8
	n := len(b) / size
	out := make([]RawEvent, 0, n)
	le := binary.LittleEndian
	for i := range n {
		r := b[i*size : (i+1)*size]
		var e RawEvent
		if word == 8 {
			e.Sec, e.Usec = int64(le.Uint64(r)), int64(le.Uint64(r[8:]))
		} else {
			e.Sec, e.Usec = int64(int32(le.Uint32(r))), int64(int32(le.Uint32(r[4:])))
		}
		e.Type = le.Uint16(r[2*word:])
		e.Code = le.Uint16(r[2*word+2:])
		e.Value = int32(le.Uint32(r[2*word+4:]))
		out = append(out, e)
	}
	return out, n * size, nil
}

// EncodeEvent lays out e as the kernel does for a C long of word bytes
// (for tests and fakes).
func EncodeEvent(e RawEvent, word int) []byte {
	b := make([]byte, 2*word+8)
	le := binary.LittleEndian
	if word == 8 {
		le.PutUint64(b, uint64(e.Sec))
		le.PutUint64(b[8:], uint64(e.Usec))
	} else {
		le.PutUint32(b, uint32(e.Sec))
		le.PutUint32(b[4:], uint32(e.Usec))
	}
	le.PutUint16(b[2*word:], e.Type)
	le.PutUint16(b[2*word+2:], e.Code)
	le.PutUint32(b[2*word+4:], uint32(e.Value))
	return b
}
