package api

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"periph.io/x/conn/v3/ir"
)

func TestDecodeKeyEvent(t *testing.T) {
	tests := []struct {
		reason  string
		in      string
		want    KeyEvent
		wantErr bool
	}{
		{reason: "a key alone is a press", in: `{"key":"KEY_UP"}`, want: KeyEvent{Key: "KEY_UP", Action: KeyPress}},
		{reason: "every field", in: `{"key":"KEY_OK","action":"release","source":"ir","at":"2026-11-25T10:00:00Z"}`,
			want: KeyEvent{Key: "KEY_OK", Action: KeyRelease, Source: SourceIR, At: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}},
		{reason: "repeat from the web remote", in: `{"key":"KEY_RIGHT","action":"repeat","source":"web"}`, want: KeyEvent{Key: "KEY_RIGHT", Action: KeyRepeat, Source: SourceWeb}},
		{reason: "unknown key names are refused, so keymap typos show", in: `{"key":"KEY_UPP"}`, wantErr: true},
		{reason: "a key the UI gives no meaning to is refused", in: `{"key":"KEY_F13"}`, wantErr: true},
		{reason: "unknown action", in: `{"key":"KEY_UP","action":"hold"}`, wantErr: true},
		{reason: "unknown source", in: `{"key":"KEY_UP","source":"telepathy"}`, wantErr: true},
		{reason: "unknown field", in: `{"key":"KEY_UP","force":true}`, wantErr: true},
		{reason: "trailing data", in: `{"key":"KEY_UP"}{"key":"KEY_DOWN"}`, wantErr: true},
		{reason: "not JSON", in: `KEY_UP`, wantErr: true},
		{reason: "empty body", in: ``, wantErr: true},
		{reason: "wrong type", in: `{"key":1}`, wantErr: true},
		{reason: "oversized body refused unread", in: `{"key":"KEY_UP","source":"web"` + strings.Repeat(" ", MaxKeyEventBytes) + `}`, wantErr: true},
	}
	for _, tt := range tests {
		got, err := DecodeKeyEvent([]byte(tt.in))
		if tt.wantErr {
			if !errors.Is(err, ErrMalformedKey) {
				t.Errorf("%s: DecodeKeyEvent(%.40q) = %+v, %v; want an ErrMalformedKey error", tt.reason, tt.in, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: DecodeKeyEvent(%q): %v", tt.reason, tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: DecodeKeyEvent(%q) (-want +got)\n%s", tt.reason, tt.in, diff)
		}
	}
}

// FuzzDecodeKeyEvent: any input is either a valid event or an ErrMalformedKey error,
// never a panic, and a decoded event always validates.
func FuzzDecodeKeyEvent(f *testing.F) {
	f.Add([]byte(`{"key":"KEY_UP"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := DecodeKeyEvent(data)
		if err != nil {
			if !errors.Is(err, ErrMalformedKey) {
				t.Fatalf("error %v does not wrap ErrMalformedKey", err)
			}
			return
		}
		if err := ev.Validate(); err != nil || ev.Action == "" {
			t.Fatalf("decoded %+v does not validate: %v", ev, err)
		}
	})
}

// TestKeyBusFansOutAndNeverBlocks: every subscriber gets events in order, a
// full subscriber loses events instead of stalling the sender, events
// without a time get the bus clock's, and a cancelled subscription closes.
func TestKeyBusFansOutAndNeverBlocks(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	b := NewKeyBus(func() time.Time { return at })
	ctx, cancel := context.WithCancel(context.Background())
	fast, slow := b.Subscribe(ctx, 8), b.Subscribe(ctx, 1)
	done := make(chan struct{})
	go func() {
		for _, k := range []ir.Key{ir.KEY_UP, ir.KEY_DOWN, ir.KEY_OK} {
			b.Send(KeyEvent{Key: string(k), Action: KeyPress})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Send blocked on a slow subscriber")
	}
	var got []ir.Key
	for range 3 {
		ev := <-fast
		if !ev.At.Equal(at) {
			t.Errorf("event time %v, want the bus clock's %v", ev.At, at)
		}
		got = append(got, ir.Key(ev.Key))
	}
	if diff := cmp.Diff([]ir.Key{ir.KEY_UP, ir.KEY_DOWN, ir.KEY_OK}, got); diff != "" {
		t.Errorf("fast subscriber (-want +got)\n%s", diff)
	}
	if ev := <-slow; ev.Key != "KEY_UP" {
		t.Errorf("slow subscriber kept %v, want the first event", ev.Key)
	}
	cancel()
	for range fast {
	}
	for range slow {
	}
}
