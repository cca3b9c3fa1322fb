//go:build linux

package evdev

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// evdev ioctls (<linux/input.h>, asm-generic _IOC encoding).
func ioc(dir, typ, nr, size uintptr) uintptr { return dir<<30 | size<<16 | typ<<8 | nr }

const (
	iocWrite = 1
	iocRead  = 2
	keyBytes = 96 // (KEY_MAX 0x2ff + 1) / 8
)

var (
	ioctlGrab   = ioc(iocWrite, 'E', 0x90, 4)             // EVIOCGRAB 0x40044590
	ioctlName   = ioc(iocRead, 'E', 0x06, 256)            // EVIOCGNAME(256) 0x81004506
	ioctlEvBits = ioc(iocRead, 'E', 0x20+0, 4)            // EVIOCGBIT(0, 4) 0x80044520
	ioctlKeyBit = ioc(iocRead, 'E', 0x20+evKey, keyBytes) // EVIOCGBIT(EV_KEY, 96) 0x80604521
)

func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno unix.Errno
	if cerr := rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(arg))
	}); cerr != nil {
		return cerr
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// ProbeKernel reads a device's name and key capabilities with EVIOCGNAME
// and EVIOCGBIT. It is the default Config.Probe.
func ProbeKernel(path string, f *os.File) (Info, error) {
	var name [256]byte
	if err := ioctl(f, ioctlName, unsafe.Pointer(&name[0])); err != nil {
		return Info{}, fmt.Errorf("evdev: %s: EVIOCGNAME: %w", path, err)
	}
	info := Info{Name: cString(name[:])}
	var evBits uint32
	if err := ioctl(f, ioctlEvBits, unsafe.Pointer(&evBits)); err != nil {
		return Info{}, fmt.Errorf("evdev: %s: EVIOCGBIT: %w", path, err)
	}
	if evBits&(1<<evKey) == 0 {
		return info, nil
	}
	var bits [keyBytes]byte
	if err := ioctl(f, ioctlKeyBit, unsafe.Pointer(&bits[0])); err != nil {
		return Info{}, fmt.Errorf("evdev: %s: EVIOCGBIT(EV_KEY): %w", path, err)
	}
	for _, c := range navCodes {
		if bits[c/8]&(1<<(c%8)) != 0 {
			info.HasKeys = true
			break
		}
	}
	return info, nil
}

// GrabKernel takes the device for this process alone (EVIOCGRAB), so the
// console and other readers stop seeing its keys.
func GrabKernel(path string, f *os.File) error {
	one := int32(1)
	// EVIOCGRAB takes the int by value, not by pointer.
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno unix.Errno
	if cerr := rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, ioctlGrab, uintptr(one))
	}); cerr != nil {
		return cerr
	}
	if errno != 0 {
		return fmt.Errorf("evdev: %s: EVIOCGRAB: %w", path, errno)
	}
	return nil
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
