package edge

import (
	"encoding/binary"
	"fmt"
	"unsafe"
)

// The GPIO character device v2 ABI (linux/gpio.h). golang.org/x/sys v0.38.0
// (the version in go.mod) has none of it, so it is written out here; the
// layouts are the same on arm64 and amd64 (naturally aligned, no pointers)
// and are pinned by the compile-time size checks below and by the tests.

const (
	gpioMaxNameSize     = 32
	gpioV2LinesMax      = 64
	gpioV2LineNumAttrs  = 10
	lineEventSize       = 48  // sizeof(struct gpio_v2_line_event)
	lineRequestSize     = 592 // sizeof(struct gpio_v2_line_request)
	chipInfoSize        = 68  // sizeof(struct gpiochip_info)
	lineFlagInput       = 1 << 2
	lineFlagEdgeRising  = 1 << 4
	lineFlagEdgeFalling = 1 << 5
	lineFlagBiasPullUp  = 1 << 8

	// EventRising and EventFalling are gpio_v2_line_event.id values.
	EventRising  = 1
	EventFalling = 2
)

type chipInfo struct {
	Name  [gpioMaxNameSize]byte
	Label [gpioMaxNameSize]byte
	Lines uint32
}

type lineAttribute struct {
	ID      uint32
	Padding uint32
	Value   uint64 // flags, values or debounce_period_us (union)
}

type lineConfigAttribute struct {
	Attr lineAttribute
	Mask uint64
}

type lineConfig struct {
	Flags    uint64
	NumAttrs uint32
	Padding  [5]uint32
	Attrs    [gpioV2LineNumAttrs]lineConfigAttribute
}

type lineRequest struct {
	Offsets         [gpioV2LinesMax]uint32
	Consumer        [gpioMaxNameSize]byte
	Config          lineConfig
	NumLines        uint32
	EventBufferSize uint32
	Padding         [5]uint32
	Fd              int32
}

// LineEvent is struct gpio_v2_line_event, as read() returns it from a
// requested line: 48 bytes, little-endian on every architecture the box runs
// on (arm64, amd64).
type LineEvent struct {
	TimestampNs uint64 // CLOCK_MONOTONIC unless the request asked otherwise
	ID          uint32 // EventRising or EventFalling
	Offset      uint32 // the line
	Seqno       uint32 // across all lines of the request, from 1
	LineSeqno   uint32 // on this line, from 1
	Padding     [6]uint32
}

// Compile-time checks: an array of negative length does not compile.
var (
	_ [lineEventSize - unsafe.Sizeof(LineEvent{})]byte
	_ [unsafe.Sizeof(LineEvent{}) - lineEventSize]byte
	_ [lineRequestSize - unsafe.Sizeof(lineRequest{})]byte
	_ [unsafe.Sizeof(lineRequest{}) - lineRequestSize]byte
	_ [chipInfoSize - unsafe.Sizeof(chipInfo{})]byte
	_ [unsafe.Sizeof(chipInfo{}) - chipInfoSize]byte
)

// ioctl numbers, encoded as asm-generic/ioctl.h does for arm64 and amd64:
// dir<<30 | size<<16 | type<<8 | nr.
const (
	iocWrite = 1
	iocRead  = 2

	gpioGetChipInfoIoctl = iocRead<<30 | chipInfoSize<<16 | 0xB4<<8 | 0x01               // 0x8044B401
	gpioV2GetLineIoctl   = (iocRead|iocWrite)<<30 | lineRequestSize<<16 | 0xB4<<8 | 0x07 // 0xC250B407
)

// MarshalBinary encodes e as the kernel does (for fakes of the device).
func (e LineEvent) MarshalBinary() ([]byte, error) {
	b := make([]byte, lineEventSize)
	binary.LittleEndian.PutUint64(b[0:], e.TimestampNs)
	binary.LittleEndian.PutUint32(b[8:], e.ID)
	binary.LittleEndian.PutUint32(b[12:], e.Offset)
	binary.LittleEndian.PutUint32(b[16:], e.Seqno)
	binary.LittleEndian.PutUint32(b[20:], e.LineSeqno)
	return b, nil
}

// parseEvent decodes one 48-byte record.
func parseEvent(b []byte) (LineEvent, error) {
	if len(b) != lineEventSize {
		return LineEvent{}, fmt.Errorf("gpio line event of %d bytes, want %d", len(b), lineEventSize)
	}
	e := LineEvent{
		TimestampNs: binary.LittleEndian.Uint64(b[0:]),
		ID:          binary.LittleEndian.Uint32(b[8:]),
		Offset:      binary.LittleEndian.Uint32(b[12:]),
		Seqno:       binary.LittleEndian.Uint32(b[16:]),
		LineSeqno:   binary.LittleEndian.Uint32(b[20:]),
	}
	if e.ID != EventRising && e.ID != EventFalling {
		return LineEvent{}, fmt.Errorf("gpio line event id %d, want %d or %d", e.ID, EventRising, EventFalling)
	}
	return e, nil
}
