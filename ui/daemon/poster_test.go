package daemon_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"testing"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/ui/daemon"
)

func posterPNG(t testing.TB, w, h uint32) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	binary.BigEndian.PutUint32(data[16:], w)
	binary.BigEndian.PutUint32(data[20:], h)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	return data
}

// TestDecodePosterRefusesBombs: the UI decodes a poster only after its
// header says it is a poster's size; a 60000x60000 PNG is refused without
// being decoded.
func TestDecodePosterRefusesBombs(t *testing.T) {
	var ok bytes.Buffer
	if err := png.Encode(&ok, image.NewRGBA(image.Rect(0, 0, 480, 270))); err != nil {
		t.Fatal(err)
	}
	if img, err := daemon.DecodePoster(ok.Bytes()); err != nil || img.Bounds().Dx() != 480 {
		t.Fatalf("an ordinary poster: %v", err)
	}
	// Refused for its header (ErrPoster), not by a decoder that first
	// allocated 14 GB for it.
	if _, err := daemon.DecodePoster(posterPNG(t, 60000, 60000)); !errors.Is(err, catalog.ErrPoster) {
		t.Fatalf("a PNG declaring 60000x60000 pixels: %v, want it refused by its header", err)
	}
}

// FuzzDecodePoster: never panics, and whatever it decodes is within the
// poster bounds. Seeds: testdata/fuzz/FuzzDecodePoster.
func FuzzDecodePoster(f *testing.F) {
	f.Add(posterPNG(f, 2, 2))
	f.Add(posterPNG(f, 60000, 60000))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := daemon.DecodePoster(data)
		if err != nil {
			return
		}
		b := img.Bounds()
		if b.Dx() > catalog.MaxPosterSide || b.Dy() > catalog.MaxPosterSide || b.Dx()*b.Dy() > catalog.MaxPosterPixels {
			t.Fatalf("decoded a %dx%d poster", b.Dx(), b.Dy())
		}
	})
}
