//go:build linux

package cec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pollInterval bounds how late Receive notices that its context ended.
const pollInterval = 200 * time.Millisecond

// KernelDevice is a CEC adapter of the Linux CEC framework (/dev/cecN).
// Receive must be called from one goroutine at a time; Transmit, Addresses
// and Close are safe for concurrent use with it.
type KernelDevice struct {
	f    *os.File
	fd   int
	path string
	la   atomic.Uint32 // LogicalAddr; AddrBroadcast while unconfigured
	pa   atomic.Uint32 // PhysAddr
}

// Open opens a CEC adapter, e.g. "/dev/cec0". A missing device is an error
// wrapping fs.ErrNotExist (a desktop has none).
func Open(path string) (*KernelDevice, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("cec: open %s: %w", path, err)
	}
	d := &KernelDevice{f: f, fd: int(f.Fd()), path: path}
	d.la.Store(uint32(AddrBroadcast))
	d.pa.Store(uint32(InvalidPhysAddr))
	return d, nil
}

func (d *KernelDevice) ioctl(req uintptr, arg unsafe.Pointer) error {
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(d.fd), req, uintptr(arg))
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return errno
		}
		return nil
	}
}

// Caps describes the adapter.
type Caps struct {
	Driver, Name      string
	AvailableLogAddrs int
	Capabilities      uint32
}

// Caps returns the adapter's capabilities (CEC_ADAP_G_CAPS).
func (d *KernelDevice) Caps() (Caps, error) {
	var c kernelCaps
	if err := d.ioctl(ioctlAdapGCaps, unsafe.Pointer(&c)); err != nil {
		return Caps{}, fmt.Errorf("cec: %s: CEC_ADAP_G_CAPS: %w", d.path, err)
	}
	return Caps{Driver: cString(c.Driver[:]), Name: cString(c.Name[:]), AvailableLogAddrs: int(c.AvailableLogAddrs), Capabilities: c.Capabilities}, nil
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// Configure implements Device: initiator and follower mode, then (when the
// adapter lets userspace do it) clears any logical address a previous run
// left and claims one playback device address named s.OSDName. It blocks
// while the kernel polls for a free address (well under a second) when
// the HDMI link is up; with the link down the claim completes later and a
// state-change event updates Addresses.
//
// In this (non-exclusive) follower mode the kernel itself answers Give OSD
// Name, Give Physical Address, Give Device Vendor ID, Get CEC Version and
// Abort from the values set here; everything else reaches Receive.
// CEC_LOG_ADDRS_FL_ALLOW_RC_PASSTHRU is not set, so the kernel does not also
// turn remote keys into input events (which evdev would read twice).
func (d *KernelDevice) Configure(ctx context.Context, s Settings) error {
	caps, err := d.Caps()
	if err != nil {
		return err
	}
	mode := uint32(modeInitiator | modeFollower)
	if err := d.ioctl(ioctlSMode, unsafe.Pointer(&mode)); err != nil {
		return fmt.Errorf("cec: %s: CEC_S_MODE: %w", d.path, err)
	}
	if caps.Capabilities&capLogAddrs != 0 {
		var clear kernelLogAddrs
		if err := d.ioctl(ioctlAdapSLogAddrs, unsafe.Pointer(&clear)); err != nil {
			return fmt.Errorf("cec: %s: clear logical addresses: %w", d.path, err)
		}
		la := s.kernelLogAddrs()
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := d.ioctl(ioctlAdapSLogAddrs, unsafe.Pointer(&la)); err != nil {
			return fmt.Errorf("cec: %s: CEC_ADAP_S_LOG_ADDRS: %w", d.path, err)
		}
	}
	return d.refreshAddresses()
}

func (s Settings) kernelLogAddrs() kernelLogAddrs {
	la := kernelLogAddrs{
		CECVersion:  cecVersion14,
		NumLogAddrs: 1,
		VendorID:    vendorIDNone,
		Flags:       logAddrsFlUnregFback,
	}
	if s.VendorID != 0 {
		la.VendorID = s.VendorID
	}
	copy(la.OSDName[:14], s.OSDName) // NUL-terminated, at most 14 bytes
	la.PrimaryDeviceType[0] = primDevTypePlayback
	la.LogAddrType[0] = logAddrTypePlayback
	la.AllDeviceTypes[0] = allDevTypePlayback
	return la
}

func (d *KernelDevice) refreshAddresses() error {
	var la kernelLogAddrs
	if err := d.ioctl(ioctlAdapGLogAddrs, unsafe.Pointer(&la)); err != nil {
		return fmt.Errorf("cec: %s: CEC_ADAP_G_LOG_ADDRS: %w", d.path, err)
	}
	var pa uint16
	if err := d.ioctl(ioctlAdapGPhysAddr, unsafe.Pointer(&pa)); err != nil {
		return fmt.Errorf("cec: %s: CEC_ADAP_G_PHYS_ADDR: %w", d.path, err)
	}
	d.setAddresses(la.LogAddrMask, pa)
	return nil
}

func (d *KernelDevice) setAddresses(mask, pa uint16) {
	addr := AddrBroadcast
	for i := range 15 {
		if mask&(1<<i) != 0 {
			addr = LogicalAddr(i)
			break
		}
	}
	d.la.Store(uint32(addr))
	d.pa.Store(uint32(pa))
}

// Addresses implements Device.
func (d *KernelDevice) Addresses() (LogicalAddr, PhysAddr) {
	return LogicalAddr(d.la.Load()), PhysAddr(d.pa.Load())
}

// Receive implements Device: it polls the adapter, applies state-change
// events (addresses) and returns the next received message. It notices ctx
// ending within pollInterval.
func (d *KernelDevice) Receive(ctx context.Context) (Message, error) {
	for {
		if err := ctx.Err(); err != nil {
			return Message{}, err
		}
		fds := []unix.PollFd{{Fd: int32(d.fd), Events: unix.POLLIN | unix.POLLPRI}}
		n, err := unix.Poll(fds, int(pollInterval/time.Millisecond))
		if errors.Is(err, unix.EINTR) || n == 0 {
			continue
		}
		if err != nil {
			return Message{}, fmt.Errorf("cec: %s: poll: %w", d.path, err)
		}
		if fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 && fds[0].Revents&(unix.POLLIN|unix.POLLPRI) == 0 {
			return Message{}, fmt.Errorf("cec: %s: device gone (poll revents %#x)", d.path, fds[0].Revents)
		}
		if fds[0].Revents&unix.POLLPRI != 0 {
			var ev kernelEvent
			if err := d.ioctl(ioctlDQEvent, unsafe.Pointer(&ev)); err == nil && ev.Event == eventStateChange {
				d.setAddresses(uint16(ev.Raw[0]>>16), uint16(ev.Raw[0]))
			}
		}
		if fds[0].Revents&unix.POLLIN == 0 {
			continue
		}
		var km kernelMsg
		if err := d.ioctl(ioctlReceive, unsafe.Pointer(&km)); err != nil {
			if errors.Is(err, unix.EAGAIN) {
				continue
			}
			return Message{}, fmt.Errorf("cec: %s: CEC_RECEIVE: %w", d.path, err)
		}
		if km.TxStatus != 0 || km.Len == 0 || km.Len > MaxMessageLen {
			continue // a transmit result or nothing: not a received message
		}
		m, err := ParseMessage(km.Msg[:km.Len])
		if err != nil {
			continue
		}
		return m, nil
	}
}

// Transmit implements Device: it blocks until the frame was sent (or failed
// after the kernel's retries), typically 30 to 150 ms.
func (d *KernelDevice) Transmit(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b := m.Bytes()
	var km kernelMsg
	km.Len = uint32(len(b))
	copy(km.Msg[:], b)
	if err := d.ioctl(ioctlTransmit, unsafe.Pointer(&km)); err != nil {
		return fmt.Errorf("cec: %s: transmit %s: %w", d.path, m, err)
	}
	if km.TxStatus&txStatusOK == 0 {
		return fmt.Errorf("cec: %s: transmit %s: tx status %#x (nacks %d)", d.path, m, km.TxStatus, km.TxNackCnt)
	}
	return nil
}

// Close implements Device.
func (d *KernelDevice) Close() error { return d.f.Close() }
