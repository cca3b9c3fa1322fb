package boottest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SetKernelArg rewrites, in place, every copy of a gokrazy kernel command
// line in the first limit bytes of img to base plus arg (arg "" restores
// base). base is cmdline.txt as gok wrote it: the command line padded with
// spaces so that it can be changed without moving the file (gok patches it
// the same way when it switches root partitions; the systemd-boot entry
// holds a second copy). It returns how many copies it rewrote; none is an
// error, and so is an arg that does not fit in the padding.
func SetKernelArg(img io.ReaderAt, w io.WriterAt, limit int64, base, arg string) (int, error) {
	line := strings.TrimRight(base, " \n")
	if line == "" {
		return 0, errors.New("kernel-arg: empty command line")
	}
	want := line
	if arg != "" {
		want += " " + arg
	}
	if len(want) > len(base) {
		return 0, fmt.Errorf("kernel-arg: %q does not fit in the %d bytes of padding", arg, len(base)-len(line))
	}
	want += strings.Repeat(" ", len(base)-len(want))
	buf := make([]byte, limit)
	n, err := img.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	buf = buf[:n]
	count := 0
	for off := 0; ; {
		i := bytes.Index(buf[off:], []byte(line))
		if i < 0 {
			break
		}
		at := off + i
		if at+len(base) > len(buf) {
			return count, fmt.Errorf("kernel-arg: command line at byte %d runs past %d bytes", at, limit)
		}
		if _, err := w.WriteAt([]byte(want), int64(at)); err != nil {
			return count, err
		}
		count++
		off = at + len(base)
	}
	if count == 0 {
		return 0, fmt.Errorf("kernel-arg: command line %q not found in the first %d bytes", line, limit)
	}
	return count, nil
}

// Settings is what the storage and version probes read of GET /api/settings.
type Settings struct {
	Box struct {
		Version string `json:"version"`
	} `json:"box"`
	Storage struct {
		TotalBytes int64 `json:"totalBytes"`
	} `json:"storage"`
}

// AtLeast holds when the daemon sees a data file system of at least min
// bytes; the detail is its size in GiB.
func (s Settings) AtLeast(min int64) (string, error) {
	gib := fmt.Sprintf("%.2f", float64(s.Storage.TotalBytes)/(1<<30))
	if s.Storage.TotalBytes < min {
		return "", fmt.Errorf("the daemon's data file system is %s GiB (%d bytes), want at least %d bytes", gib, s.Storage.TotalBytes, min)
	}
	return gib, nil
}
