package edge

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DefaultChipLabels are the labels of the Raspberry Pi's header GPIO chip,
// tried in order: Pi 4, Pi 5 (RP1), Pi 3 and earlier. Looking the chip up by
// label, never by number, survives kernels that renumber chips.
var DefaultChipLabels = []string{"pinctrl-bcm2711", "pinctrl-rp1", "pinctrl-bcm2835"}

// DefaultLine is the IR receiver's line: GPIO 18 (header pin 12), the
// gpio-ir overlay's default.
const DefaultLine = 18

// Line names a GPIO line to request.
type Line struct {
	DevDir   string   // where the gpiochip nodes are ("/dev" if empty)
	Chip     string   // a chip's path, name ("gpiochip0") or label; empty: Labels
	Labels   []string // labels tried when Chip is empty (DefaultChipLabels if nil)
	Offset   int      // line offset on the chip (the BCM GPIO number on a Pi)
	Consumer string   // shown by gpioinfo ("atomicbox-ir" if empty)
}

// ChipInfo describes a GPIO chip.
type ChipInfo struct {
	Path, Name, Label string
	Lines             int
}

// Chips lists the GPIO chips under devDir ("/dev" if empty).
func Chips(devDir string) ([]ChipInfo, error) {
	if devDir == "" {
		devDir = "/dev"
	}
	paths, err := filepath.Glob(filepath.Join(devDir, "gpiochip*"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []ChipInfo
	for _, p := range paths {
		ci, err := chipInfoOf(p)
		if err != nil {
			return nil, err
		}
		out = append(out, ci)
	}
	return out, nil
}

func chipInfoOf(path string) (ChipInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return ChipInfo{}, err
	}
	defer f.Close()
	var info chipInfo
	if err := ioctl(f.Fd(), gpioGetChipInfoIoctl, unsafe.Pointer(&info)); err != nil {
		return ChipInfo{}, fmt.Errorf("%s: GPIO_GET_CHIPINFO_IOCTL: %w", path, err)
	}
	return ChipInfo{Path: path, Name: cstr(info.Name[:]), Label: cstr(info.Label[:]), Lines: int(info.Lines)}, nil
}

func cstr(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func ioctl(fd uintptr, req uintptr, arg unsafe.Pointer) error {
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}

// findChip resolves l.Chip or l.Labels to a chip.
func (l Line) findChip() (ChipInfo, error) {
	if strings.ContainsRune(l.Chip, '/') {
		return chipInfoOf(l.Chip)
	}
	chips, err := Chips(l.DevDir)
	if err != nil {
		return ChipInfo{}, err
	}
	want := l.Labels
	if l.Chip != "" {
		want = []string{l.Chip}
	} else if want == nil {
		want = DefaultChipLabels
	}
	for _, w := range want {
		for _, c := range chips {
			if c.Label == w || c.Name == w {
				return c, nil
			}
		}
	}
	var have []string
	for _, c := range chips {
		have = append(have, c.Name+" ["+c.Label+"]")
	}
	return ChipInfo{}, fmt.Errorf("no GPIO chip named or labelled %q (have %s)", want, strings.Join(have, ", "))
}

// Open requests the line for both edges with the pull-up on and a 1024-event
// kernel buffer, and returns its event file (pollable, so deadlines and
// Close interrupt reads) and the chip it found.
func Open(l Line) (*os.File, ChipInfo, error) {
	chip, err := l.findChip()
	if err != nil {
		return nil, ChipInfo{}, err
	}
	if l.Offset < 0 || l.Offset >= chip.Lines {
		return nil, chip, fmt.Errorf("%s has lines 0..%d, not %d", chip.Path, chip.Lines-1, l.Offset)
	}
	cf, err := os.Open(chip.Path)
	if err != nil {
		return nil, chip, err
	}
	defer cf.Close()
	req := newLineRequest(l)
	if err := ioctl(cf.Fd(), gpioV2GetLineIoctl, unsafe.Pointer(&req)); err != nil {
		return nil, chip, fmt.Errorf("%s line %d: GPIO_V2_GET_LINE_IOCTL: %w", chip.Path, l.Offset, err)
	}
	if err := unix.SetNonblock(int(req.Fd), true); err != nil {
		unix.Close(int(req.Fd))
		return nil, chip, err
	}
	return os.NewFile(uintptr(req.Fd), fmt.Sprintf("%s line %d", chip.Path, l.Offset)), chip, nil
}
