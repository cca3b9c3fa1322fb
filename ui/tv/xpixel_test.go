package tv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

// xPixels reads pixels back from the X server (Xvfb) the UI draws on, with
// the core protocol's GetImage on the root window over the display's Unix
// socket: about a millisecond for one pixel, so a benchmark can watch a
// key's effect reach the screen without taking screenshots. Not safe for
// concurrent use.
type xPixels struct {
	c    net.Conn
	root uint32
}

// dialX connects to $DISPLAY (":N") without authorisation, as a local
// client of an Xvfb started without -auth may.
func dialX() (*xPixels, error) {
	disp := strings.TrimPrefix(os.Getenv("DISPLAY"), ":")
	disp, _, _ = strings.Cut(disp, ".")
	c, err := net.DialTimeout("unix", "/tmp/.X11-unix/X"+disp, 5*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	// Connection setup: little-endian, protocol 11.0, no authorisation.
	if _, err := c.Write([]byte{'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		c.Close()
		return nil, err
	}
	head := make([]byte, 8)
	if _, err := io.ReadFull(c, head); err != nil {
		c.Close()
		return nil, err
	}
	more := make([]byte, int(binary.LittleEndian.Uint16(head[6:]))*4)
	if _, err := io.ReadFull(c, more); err != nil {
		c.Close()
		return nil, err
	}
	if head[0] != 1 {
		c.Close()
		return nil, fmt.Errorf("X server refused the connection: %q", more)
	}
	vendor := int(binary.LittleEndian.Uint16(more[16:]))
	formats := int(more[21])
	screen := 32 + (vendor+3)&^3 + 8*formats
	if len(more) < screen+4 {
		c.Close()
		return nil, errors.New("X setup reply too short")
	}
	c.SetDeadline(time.Time{})
	return &xPixels{c: c, root: binary.LittleEndian.Uint32(more[screen:])}, nil
}

func (x *xPixels) Close() error { return x.c.Close() }

// At returns the pixel at (px, py) of the root window as R, G, B.
func (x *xPixels) At(px, py int) (r, g, b uint8, err error) {
	req := make([]byte, 20)
	req[0], req[1] = 73, 2 // GetImage, ZPixmap
	binary.LittleEndian.PutUint16(req[2:], 5)
	binary.LittleEndian.PutUint32(req[4:], x.root)
	binary.LittleEndian.PutUint16(req[8:], uint16(px))
	binary.LittleEndian.PutUint16(req[10:], uint16(py))
	binary.LittleEndian.PutUint16(req[12:], 1)
	binary.LittleEndian.PutUint16(req[14:], 1)
	binary.LittleEndian.PutUint32(req[16:], 0xffffffff)
	x.c.SetDeadline(time.Now().Add(5 * time.Second))
	defer x.c.SetDeadline(time.Time{})
	if _, err := x.c.Write(req); err != nil {
		return 0, 0, 0, err
	}
	head := make([]byte, 32)
	if _, err := io.ReadFull(x.c, head); err != nil {
		return 0, 0, 0, err
	}
	if head[0] != 1 {
		return 0, 0, 0, fmt.Errorf("GetImage: X error %d", head[1])
	}
	data := make([]byte, int(binary.LittleEndian.Uint32(head[4:]))*4)
	if _, err := io.ReadFull(x.c, data); err != nil {
		return 0, 0, 0, err
	}
	if len(data) < 4 {
		return 0, 0, 0, errors.New("GetImage: no pixel data")
	}
	return data[2], data[1], data[0], nil // 32-bit BGRX at depth 24
}
