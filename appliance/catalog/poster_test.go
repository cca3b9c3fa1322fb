package catalog_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
)

func encodePNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{200, 30, 30, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngBomb is a real PNG of 1x1 pixels whose header says w x h: a few
// hundred bytes that a full decode would turn into w*h*4 bytes of memory.
func pngBomb(t testing.TB, w, h uint32) []byte {
	data := encodePNG(t, 1, 1)
	// Signature (8), IHDR length (4) and type (4), then width and height.
	binary.BigEndian.PutUint32(data[16:], w)
	binary.BigEndian.PutUint32(data[20:], h)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	return data
}

// jpegBomb is a small JPEG whose SOF0 header says w x h.
func jpegBomb(t testing.TB, w, h uint16) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	i := bytes.Index(data, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0 marker")
	}
	// Marker (2), length (2), precision (1), then height and width.
	binary.BigEndian.PutUint16(data[i+5:], h)
	binary.BigEndian.PutUint16(data[i+7:], w)
	return data
}

func TestCheckPoster(t *testing.T) {
	good := encodePNG(t, 480, 270)
	var gifData bytes.Buffer
	if err := gif.Encode(&gifData, image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Black}), nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		reason  string
		data    []byte
		sha     string
		want    string // MIME type, or "" for a refusal
		wantErr string
	}{
		{"an ordinary PNG poster", good, "", "image/png", ""},
		{"the bytes the catalog signed", good, catalog.PosterSHA256(good), "image/png", ""},
		{"other bytes than the catalog signed", encodePNG(t, 480, 271), catalog.PosterSHA256(good), "", "SHA-256"},
		{"a PNG that declares 60000x60000 pixels", pngBomb(t, 60000, 60000), "", "", "60000x60000"},
		{"a PNG bomb the catalog signed is still refused", pngBomb(t, 60000, 60000), catalog.PosterSHA256(pngBomb(t, 60000, 60000)), "", "60000x60000"},
		{"a PNG within each side but over the pixel budget", pngBomb(t, 4096, 4096), "", "", "4096x4096"},
		{"a 4K poster", pngBomb(t, 3840, 2160), "", "image/png", ""},
		{"a JPEG that declares 65535x65535 pixels", jpegBomb(t, 65535, 65535), "", "", "65535x65535"},
		{"a small JPEG", jpegBomb(t, 640, 360), "", "image/jpeg", ""},
		{"a GIF", gifData.Bytes(), "", "", "not PNG or JPEG"},
		{"a PNG cut after its signature", good[:10], "", "", "header"},
		{"nothing", nil, "", "", "not PNG or JPEG"},
	} {
		got, err := catalog.CheckPoster(tc.data, tc.sha)
		if tc.wantErr != "" {
			if err == nil || !errors.Is(err, catalog.ErrPoster) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: %q, %v; want ErrPoster mentioning %q", tc.reason, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %s", tc.reason, got, err, tc.want)
		}
	}
}

// FuzzCheckPoster: CheckPoster never panics, refuses with ErrPoster, and
// whatever it accepts has a header within the bounds.
// Seeds: testdata/fuzz/FuzzCheckPoster.
func FuzzCheckPoster(f *testing.F) {
	f.Add(encodePNG(f, 16, 9))
	f.Add(pngBomb(f, 60000, 60000))
	f.Add(jpegBomb(f, 65535, 65535))
	f.Fuzz(func(t *testing.T, data []byte) {
		mime, err := catalog.CheckPoster(data, "")
		if err != nil {
			if !errors.Is(err, catalog.ErrPoster) {
				t.Fatalf("error %v does not wrap ErrPoster", err)
			}
			return
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width > catalog.MaxPosterSide || cfg.Height > catalog.MaxPosterSide || cfg.Width*cfg.Height > catalog.MaxPosterPixels {
			t.Fatalf("accepted %s with header %+v, %v", mime, cfg, err)
		}
	})
}
