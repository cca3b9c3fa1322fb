package push

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		wire []byte
		want Message
	}{
		{Ask(7, 1500*time.Millisecond, 250*time.Millisecond), Message{Kind: KindAsk, Piece: 7, Due: 1500 * time.Millisecond, Buffer: 250 * time.Millisecond}},
		{Ask(7, -time.Second, 48*time.Hour), Message{Kind: KindAsk, Piece: 7, Due: 0, Buffer: time.Hour}},
		{Cancel(3), Message{Kind: KindCancel, Piece: 3}},
		{No(1 << 20), Message{Kind: KindNo, Piece: 1 << 20}},
		{Data(9, 16384, []byte("abc")), Message{Kind: KindData, Piece: 9, Begin: 16384, Data: []byte("abc")}},
	} {
		got, err := Decode(tc.wire)
		if err != nil {
			t.Errorf("Decode(%x): %v", tc.wire, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Decode(%x) (-want +got):\n%s", tc.wire, diff)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, tc := range []struct {
		reason string
		wire   []byte
	}{
		{"too short", []byte{'A', 0, 0}},
		{"unknown kind", []byte{'X', 0, 0, 0, 1}},
		{"ask cut short", Ask(1, time.Second, 0)[:12]},
		{"cancel with trailing bytes", append(Cancel(1), 0)},
		{"data without bytes", Data(1, 0, nil)},
		{"data over a block", Data(1, 0, bytes.Repeat([]byte{1}, MaxData+1))},
		{"a piece index past 2^30", []byte{'N', 0x7f, 0xff, 0xff, 0xff}},
		{"an ask due in more than an hour", []byte{'A', 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}},
	} {
		if _, err := Decode(tc.wire); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Decode(%x) = %v, want ErrMalformed", tc.reason, tc.wire, err)
		}
	}
}

// FuzzDecode: Decode never panics, and what it accepts encodes back to the
// same bytes.
func FuzzDecode(f *testing.F) {
	f.Add(Ask(1, time.Second, time.Second))
	f.Add(Cancel(2))
	f.Add(No(3))
	f.Add(Data(4, 0, []byte("data")))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		var again []byte
		switch m.Kind {
		case KindAsk:
			again = Ask(m.Piece, m.Due, m.Buffer)
		case KindCancel:
			again = Cancel(m.Piece)
		case KindNo:
			again = No(m.Piece)
		case KindData:
			again = Data(m.Piece, m.Begin, m.Data)
		}
		if !bytes.Equal(again, b) {
			t.Errorf("Decode(%x) = %+v, which encodes as %x", b, m, again)
		}
	})
}
