package mpv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SysV4L2 queries real /dev/video* nodes with VIDIOC_QUERYCAP and
// VIDIOC_ENUM_FMT. Root is the directory the probed names are relative to
// ("/" on a box).
type SysV4L2 struct{ Root string }

// V4L2 ioctls and structures (identical on arm64 and amd64: no pointers).
const (
	vidiocQueryCap = 0x80685600 // _IOR('V', 0, struct v4l2_capability), 104 bytes
	vidiocEnumFmt  = 0xc0405602 // _IOWR('V', 2, struct v4l2_fmtdesc), 64 bytes

	bufTypeVideoOutput       = 2
	bufTypeVideoOutputMplane = 10
	capDeviceCaps            = 0x80000000
)

type v4l2Capability struct {
	Driver       [16]byte
	Card         [32]byte
	BusInfo      [32]byte
	Version      uint32
	Capabilities uint32
	DeviceCaps   uint32
	Reserved     [3]uint32
}

type v4l2FmtDesc struct {
	Index       uint32
	Type        uint32
	Flags       uint32
	Description [32]byte
	PixelFormat uint32
	MbusCode    uint32
	Reserved    [3]uint32
}

var (
	_ [104 - unsafe.Sizeof(v4l2Capability{})]struct{}
	_ [unsafe.Sizeof(v4l2Capability{}) - 104]struct{}
	_ [64 - unsafe.Sizeof(v4l2FmtDesc{})]struct{}
	_ [unsafe.Sizeof(v4l2FmtDesc{}) - 64]struct{}
)

// Query opens the node without blocking, asks what it is and which
// compressed formats it accepts, and closes it.
func (s SysV4L2) Query(name string) (V4L2Device, error) {
	root := s.Root
	if root == "" {
		root = "/"
	}
	fd, err := unix.Open(root+"/"+name, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return V4L2Device{}, err
	}
	defer unix.Close(fd)
	var c v4l2Capability
	if err := ioctl(fd, vidiocQueryCap, unsafe.Pointer(&c)); err != nil {
		if errors.Is(err, unix.ENOTTY) {
			return V4L2Device{}, ErrNotV4L2
		}
		return V4L2Device{}, fmt.Errorf("VIDIOC_QUERYCAP: %w", err)
	}
	d := V4L2Device{Driver: cstr(c.Driver[:]), Card: cstr(c.Card[:]), Caps: c.Capabilities}
	if c.Capabilities&capDeviceCaps != 0 {
		d.Caps = c.DeviceCaps
	}
	for _, typ := range []uint32{bufTypeVideoOutputMplane, bufTypeVideoOutput} {
		for i := uint32(0); i < 64; i++ {
			f := v4l2FmtDesc{Index: i, Type: typ}
			if err := ioctl(fd, vidiocEnumFmt, unsafe.Pointer(&f)); err != nil {
				break // EINVAL ends the list
			}
			var cc [4]byte
			binary.LittleEndian.PutUint32(cc[:], f.PixelFormat)
			d.Formats = append(d.Formats, string(bytes.TrimRight(cc[:], " \x00")))
		}
	}
	return d, nil
}

func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	if e != 0 {
		return e
	}
	return nil
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
