package catalog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of the posters boxes accept
	_ "image/png"
	"net/http"
)

// Poster bounds: a poster is decoded in full by the TV, so one that
// declares 60000x60000 pixels in a few hundred bytes would take 14 GB. The
// box reads the header first (image.DecodeConfig) and refuses anything past
// these; the publisher refuses them too.
const (
	MaxPosterBytes  = 4 << 20     // a poster file
	MaxPosterSide   = 4096        // pixels, either side
	MaxPosterPixels = 3840 * 2160 // about 33 MB decoded as RGBA
	posterHashLen   = 2 * sha256.Size
)

// ErrPoster wraps every reason CheckPoster refuses a poster.
var ErrPoster = errors.New("poster refused")

// CheckPoster checks a poster's bytes before anything decodes them: PNG or
// JPEG by content, dimensions within MaxPosterSide and MaxPosterPixels read
// from the header alone, and, when wantSHA256 is not empty, the bytes the
// catalog signed. It returns the MIME type. Cheap: it never decodes pixels.
func CheckPoster(data []byte, wantSHA256 string) (mimeType string, err error) {
	if wantSHA256 != "" {
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != wantSHA256 {
			return "", fmt.Errorf("%w: its SHA-256 is %s, the signed catalog says %s", ErrPoster, got, wantSHA256)
		}
	}
	mimeType = http.DetectContentType(data)
	if mimeType != "image/png" && mimeType != "image/jpeg" {
		return "", fmt.Errorf("%w: %s, not PNG or JPEG", ErrPoster, mimeType)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("%w: unreadable %s header: %v", ErrPoster, mimeType, err)
	}
	if "image/"+format != mimeType {
		return "", fmt.Errorf("%w: content is %s but decodes as %s", ErrPoster, mimeType, format)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxPosterSide || cfg.Height > MaxPosterSide || cfg.Width*cfg.Height > MaxPosterPixels {
		return "", fmt.Errorf("%w: %dx%d pixels is more than %dx%d or %d pixels", ErrPoster, cfg.Width, cfg.Height, MaxPosterSide, MaxPosterSide, MaxPosterPixels)
	}
	return mimeType, nil
}

// PosterSHA256 is the hash a catalog carries for a poster's bytes.
func PosterSHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func checkPosterHash(poster, sum string) error {
	switch {
	case sum == "":
		return nil
	case poster == "":
		return errors.New("posterSHA256 without a poster")
	case !isLowerHex(sum, posterHashLen):
		return fmt.Errorf("posterSHA256 %q is not %d lower-case hex digits", truncate(sum), posterHashLen)
	}
	return nil
}
