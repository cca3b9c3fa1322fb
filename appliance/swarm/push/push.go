// Package push is the wire format of atomicbox_push, a BitTorrent
// extension (BEP 10) between atomicbox daemons: a box asks a connected
// peer to push it a whole piece it needs within seconds, with its deadline
// and how far its stream is ahead; the peer serves the asks it holds
// earliest deadline first (piecechoice.ServeNext) and sends the piece in
// data messages, outside anacrolix's request queue, which serves a
// connection's requests in random order. Clients that do not announce the
// extension (Transmission, aria2) are never asked and never send it.
//
// Every message is one byte of kind and big-endian fields:
//
//	'A' ask     piece u32, due ms u32 (from now), buffer ms u32
//	'C' cancel  piece u32 (the asker has the piece now; stop sending it)
//	'N' no      piece u32 (the peer will not push it: it lacks it, or is full)
//	'D' data    piece u32, begin u32, then 1..MaxData bytes of the piece
package push

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Extension is the name announced in the extended handshake.
const Extension = "atomicbox_push"

// Message kinds.
const (
	KindAsk    byte = 'A'
	KindCancel byte = 'C'
	KindNo     byte = 'N'
	KindData   byte = 'D'
)

// MaxData is the most piece bytes one data message carries (the
// BitTorrent block size).
const MaxData = 16 << 10

// maxMillis bounds the durations an ask carries: about 49 days fits u32
// milliseconds, but nothing past an hour means anything to a player.
const maxMillis = uint32(time.Hour / time.Millisecond)

// Message is one decoded message; the fields its kind does not use are
// zero.
type Message struct {
	Kind   byte
	Piece  int
	Due    time.Duration // ask: from the moment it was sent
	Buffer time.Duration // ask: the asking stream's lead over its schedule (0 when behind)
	Begin  int           // data: offset in the piece
	Data   []byte        // data: aliases the decoded payload
}

// ErrMalformed wraps every decoding error.
var ErrMalformed = errors.New("malformed atomicbox_push message")

// Ask encodes an ask for piece, due after due, from a stream buffer ahead
// (negative durations count as 0, long ones as an hour).
func Ask(piece int, due, buffer time.Duration) []byte {
	b := make([]byte, 13)
	b[0] = KindAsk
	binary.BigEndian.PutUint32(b[1:], uint32(piece))
	binary.BigEndian.PutUint32(b[5:], millis(due))
	binary.BigEndian.PutUint32(b[9:], millis(buffer))
	return b
}

// Cancel encodes a cancel of piece.
func Cancel(piece int) []byte { return pieceOnly(KindCancel, piece) }

// No encodes a refusal to push piece.
func No(piece int) []byte { return pieceOnly(KindNo, piece) }

// Data encodes a data message; len(data) must be 1..MaxData.
func Data(piece, begin int, data []byte) []byte {
	b := make([]byte, 9+len(data))
	b[0] = KindData
	binary.BigEndian.PutUint32(b[1:], uint32(piece))
	binary.BigEndian.PutUint32(b[5:], uint32(begin))
	copy(b[9:], data)
	return b
}

func pieceOnly(kind byte, piece int) []byte {
	b := make([]byte, 5)
	b[0] = kind
	binary.BigEndian.PutUint32(b[1:], uint32(piece))
	return b
}

func millis(d time.Duration) uint32 {
	if d <= 0 {
		return 0
	}
	return uint32(min(d/time.Millisecond, time.Duration(maxMillis)))
}

// Decode reads one message. It checks lengths and kinds only: whether the
// piece exists, and whether data fits it, is the caller's to check.
func Decode(b []byte) (Message, error) {
	if len(b) < 5 {
		return Message{}, fmt.Errorf("%w: %d bytes, want at least 5", ErrMalformed, len(b))
	}
	m := Message{Kind: b[0], Piece: int(binary.BigEndian.Uint32(b[1:]))}
	if m.Piece < 0 || m.Piece > 1<<30 {
		return Message{}, fmt.Errorf("%w: piece %d", ErrMalformed, m.Piece)
	}
	switch m.Kind {
	case KindAsk:
		if len(b) != 13 {
			return Message{}, fmt.Errorf("%w: ask of %d bytes, want 13", ErrMalformed, len(b))
		}
		due, buf := binary.BigEndian.Uint32(b[5:]), binary.BigEndian.Uint32(b[9:])
		if due > maxMillis || buf > maxMillis {
			return Message{}, fmt.Errorf("%w: ask due in %d ms with %d ms buffered, want at most an hour", ErrMalformed, due, buf)
		}
		m.Due, m.Buffer = time.Duration(due)*time.Millisecond, time.Duration(buf)*time.Millisecond
	case KindCancel, KindNo:
		if len(b) != 5 {
			return Message{}, fmt.Errorf("%w: %q of %d bytes, want 5", ErrMalformed, m.Kind, len(b))
		}
	case KindData:
		if len(b) < 10 || len(b) > 9+MaxData {
			return Message{}, fmt.Errorf("%w: data of %d bytes, want 10 to %d", ErrMalformed, len(b), 9+MaxData)
		}
		m.Begin = int(binary.BigEndian.Uint32(b[5:]))
		if m.Begin < 0 || m.Begin > 1<<30 {
			return Message{}, fmt.Errorf("%w: data at offset %d", ErrMalformed, m.Begin)
		}
		m.Data = b[9:]
	default:
		return Message{}, fmt.Errorf("%w: kind %q", ErrMalformed, m.Kind)
	}
	return m, nil
}
