package qr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/ui/qr/qrtest"
)

// TestDecodesWithZbar encodes many inputs (every version, every mask,
// random bytes and lengths, the TV's remote URLs) and reads each symbol
// back with zbarimg, a decoder that shares nothing with this package.
func TestDecodesWithZbar(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	type input struct {
		name string
		data []byte
		mask int // -1: Encode's choice
	}
	var inputs []input
	rng := rand.New(rand.NewPCG(1, 2))
	ascii := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(' ' + rng.IntN(95))
		}
		return b
	}
	for v := 1; v <= MaxVersion; v++ {
		// The longest input of each version, and one just past the
		// previous version's capacity.
		inputs = append(inputs, input{fmt.Sprintf("v%d-full", v), ascii(Capacity(v)), -1})
		inputs = append(inputs, input{fmt.Sprintf("v%d-short", v), ascii(Capacity(v-1) + 1), -1})
		for mask := range 8 {
			inputs = append(inputs, input{fmt.Sprintf("v%d-mask%d", v, mask), ascii(Capacity(v-1) + 1 + rng.IntN(Capacity(v)-Capacity(v-1))), mask})
		}
	}
	for i := range 20 {
		b := make([]byte, 1+rng.IntN(Capacity(MaxVersion)))
		for j := range b {
			b[j] = byte(rng.IntN(256))
		}
		inputs = append(inputs, input{fmt.Sprintf("binary-%d", i), b, -1})
	}
	for _, s := range []string{"http://192.168.1.20:8080/remote", "http://[fd00::1234:5678:9abc:def0]:8080/remote", "a", "Grüße, ça va? ¿Sí?"} {
		inputs = append(inputs, input{s, []byte(s), -1})
	}
	versions := map[int]bool{}
	masks := map[int]bool{}
	for _, in := range inputs {
		c, err := encode(in.data, in.mask)
		if err != nil {
			t.Fatalf("%s: %v", in.name, err)
		}
		if c.Size != 17+4*c.Version {
			t.Errorf("%s: size %d for version %d", in.name, c.Size, c.Version)
		}
		versions[c.Version], masks[c.Mask] = true, true
		got, err := qrtest.Decode(ctx, dir, c.Image(4, 4))
		if err != nil {
			t.Errorf("%s (version %d, mask %d, %d bytes): %v", in.name, c.Version, c.Mask, len(in.data), err)
			continue
		}
		if !bytes.Equal(got, in.data) {
			t.Errorf("%s (version %d, mask %d): zbarimg read %q, want %q", in.name, c.Version, c.Mask, got, in.data)
		}
	}
	if len(versions) != MaxVersion || len(masks) != 8 {
		t.Errorf("covered versions %v and masks %v, want all", versions, masks)
	}
	t.Logf("%d symbols decoded", len(inputs))
}

func TestCapacityAndVersion(t *testing.T) {
	tests := []struct {
		n, version int
		reason     string
	}{
		{0, 1, "empty data fits the smallest symbol"},
		{14, 1, "version 1-M holds 14 bytes"},
		{15, 2, "one more needs version 2"},
		{31, 3, "a LAN remote URL: http://192.168.1.20:8080/remote"},
		{180, 9, "version 9-M holds 180 bytes"},
		{213, 10, "version 10-M holds 213 bytes (16-bit count)"},
	}
	for _, tt := range tests {
		c, err := Encode(bytes.Repeat([]byte("x"), tt.n))
		if err != nil {
			t.Errorf("%d bytes (%s): %v", tt.n, tt.reason, err)
			continue
		}
		if c.Version != tt.version {
			t.Errorf("%d bytes (%s): version %d, want %d", tt.n, tt.reason, c.Version, tt.version)
		}
	}
	if _, err := Encode(make([]byte, Capacity(MaxVersion)+1)); !errors.Is(err, ErrTooLong) {
		t.Errorf("%d bytes: err %v, want ErrTooLong", Capacity(MaxVersion)+1, err)
	}
}

// TestMaskChoice: Encode keeps the mask with the lowest penalty.
func TestMaskChoice(t *testing.T) {
	data := []byte("http://192.168.1.20:8080/remote")
	c, err := Encode(data)
	if err != nil {
		t.Fatal(err)
	}
	best := penalty(c)
	for mask := range 8 {
		m, _ := encode(data, mask)
		if p := penalty(m); p < best {
			t.Errorf("mask %d scores %d, below the chosen mask %d's %d", mask, p, c.Mask, best)
		}
	}
}

// TestFormatBits checks the BCH codes against values printed in the
// standard (format information for M with masks 0 and 5; version 7's
// version information).
func TestFormatBits(t *testing.T) {
	if got := formatBits(0); got != 0b101010000010010 {
		t.Errorf("format M/0: %015b", got)
	}
	if got := formatBits(5); got != 0b100000011001110 {
		t.Errorf("format M/5: %015b", got)
	}
	if got := bchVersion(7); got != 0x07C94 {
		t.Errorf("version 7: %#x", got)
	}
}

// FuzzEncode: any input either fits and yields a well-formed symbol whose
// function patterns are in place, or is refused as too long.
func FuzzEncode(f *testing.F) {
	f.Add([]byte("http://192.168.1.20:8080/remote"))
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 213))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Encode(data)
		if len(data) > Capacity(MaxVersion) {
			if !errors.Is(err, ErrTooLong) {
				t.Fatalf("%d bytes: err %v, want ErrTooLong", len(data), err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.Version < 1 || c.Version > MaxVersion || len(data) > Capacity(c.Version) || (c.Version > 1 && len(data) <= Capacity(c.Version-1)) {
			t.Fatalf("%d bytes in version %d", len(data), c.Version)
		}
		// Finder corners and the dark module.
		for _, p := range [][2]int{{0, 0}, {c.Size - 1, 0}, {0, c.Size - 1}, {8, c.Size - 8}} {
			if !c.Dark(p[0], p[1]) {
				t.Fatalf("module %v is light", p)
			}
		}
		if c.Dark(7, 7) || c.Dark(-1, 0) {
			t.Fatal("separator or quiet zone dark")
		}
	})
}
