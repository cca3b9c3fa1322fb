package edge

import (
	"io"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
)

// EventsFromPulses returns the edge events a line would report for ps: the
// line idles as a space before ps, the first edge comes at start plus any
// leading spaces, and every change of level is an edge numbered from seq+1.
// Adjacent pulses of the same level merge. For fakes of the character device
// (with an active-low receiver unless activeHigh).
func EventsFromPulses(ps []ir.Pulse, start time.Duration, seq uint32, offset uint32, activeHigh bool) []LineEvent {
	var out []LineEvent
	t := start
	level := false
	for _, p := range ps {
		if p.Level != level {
			id := uint32(EventRising)
			if p.Level != activeHigh {
				id = EventFalling
			}
			seq++
			out = append(out, LineEvent{TimestampNs: uint64(t), ID: id, Offset: offset, Seqno: seq, LineSeqno: seq})
			level = p.Level
		}
		t += p.Duration
	}
	if level { // end on a space: the line returns to idle
		seq++
		id := uint32(EventFalling)
		if !activeHigh {
			id = EventRising
		}
		out = append(out, LineEvent{TimestampNs: uint64(t), ID: id, Offset: offset, Seqno: seq, LineSeqno: seq})
	}
	return out
}

// WriteEvents writes evs as the kernel's records.
func WriteEvents(w io.Writer, evs []LineEvent) error {
	buf := make([]byte, 0, len(evs)*lineEventSize)
	for _, e := range evs {
		b, _ := e.MarshalBinary()
		buf = append(buf, b...)
	}
	_, err := w.Write(buf)
	return err
}
