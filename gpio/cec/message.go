// Package cec takes the TV's own remote over HDMI-CEC (/dev/cec0) as key
// events and answers the queries a TV sends to a playback device.
package cec

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// MaxMessageLen is the longest CEC frame in bytes (header, opcode, 14
// operands), CEC_MAX_MSG_SIZE in <linux/cec.h>.
const MaxMessageLen = 16

// LogicalAddr is a CEC logical address, 0..15.
type LogicalAddr uint8

// Logical addresses with a fixed meaning.
const (
	AddrTV        LogicalAddr = 0
	AddrPlayback1 LogicalAddr = 4
	AddrBroadcast LogicalAddr = 15 // as destination; "unregistered" as initiator
)

// PhysAddr is an HDMI physical address a.b.c.d packed as 0xabcd; 0xffff is
// invalid (not connected).
type PhysAddr uint16

// InvalidPhysAddr is the physical address of an unconnected port.
const InvalidPhysAddr PhysAddr = 0xffff

func (p PhysAddr) String() string {
	v := uint16(p)
	return fmt.Sprintf("%x.%x.%x.%x", v>>12, v>>8&0xf, v>>4&0xf, v&0xf)
}

// Opcodes this package reads or writes (HDMI 1.4b CEC, table 8 onwards).
const (
	OpFeatureAbort           byte = 0x00
	OpImageViewOn            byte = 0x04
	OpTextViewOn             byte = 0x0d
	OpStandby                byte = 0x36
	OpGiveDeckStatus         byte = 0x1a
	OpDeckStatus             byte = 0x1b
	OpPlay                   byte = 0x41
	OpDeckControl            byte = 0x42
	OpUserControlPressed     byte = 0x44
	OpUserControlReleased    byte = 0x45
	OpGiveOSDName            byte = 0x46
	OpSetOSDName             byte = 0x47
	OpRoutingChange          byte = 0x80
	OpRoutingInformation     byte = 0x81
	OpActiveSource           byte = 0x82
	OpGivePhysicalAddr       byte = 0x83
	OpReportPhysicalAddr     byte = 0x84
	OpRequestActiveSource    byte = 0x85
	OpSetStreamPath          byte = 0x86
	OpDeviceVendorID         byte = 0x87
	OpGiveDeviceVendorID     byte = 0x8c
	OpMenuRequest            byte = 0x8d
	OpMenuStatus             byte = 0x8e
	OpGiveDevicePowerStatus  byte = 0x8f
	OpReportPowerStatus      byte = 0x90
	OpInactiveSource         byte = 0x9d
	OpCECVersion             byte = 0x9e
	OpGetCECVersion          byte = 0x9f
	OpVendorCommandWithID    byte = 0xa0
	OpVendorRemoteButtonDown byte = 0x8a
	OpVendorRemoteButtonUp   byte = 0x8b
	OpAbort                  byte = 0xff
)

// Feature Abort reasons.
const (
	AbortUnrecognized byte = 0
	AbortWrongMode    byte = 1
	AbortNoSource     byte = 2
	AbortInvalid      byte = 3
	AbortRefused      byte = 4
)

// Message is one CEC frame. A frame of one byte (header only) is a poll and
// has HasOpcode false.
type Message struct {
	Initiator   LogicalAddr
	Destination LogicalAddr
	HasOpcode   bool
	Opcode      byte
	Operands    []byte // at most MaxMessageLen-2
}

// ErrMalformed wraps every reason ParseMessage refuses a frame.
var ErrMalformed = errors.New("malformed CEC message")

// ParseMessage decodes a raw frame (header byte, optional opcode, operands).
// The result does not alias b.
func ParseMessage(b []byte) (Message, error) {
	if len(b) == 0 {
		return Message{}, fmt.Errorf("%w: empty frame", ErrMalformed)
	}
	if len(b) > MaxMessageLen {
		return Message{}, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(b), MaxMessageLen)
	}
	m := Message{Initiator: LogicalAddr(b[0] >> 4), Destination: LogicalAddr(b[0] & 0xf)}
	if len(b) > 1 {
		m.HasOpcode = true
		m.Opcode = b[1]
		if len(b) > 2 {
			m.Operands = append([]byte(nil), b[2:]...)
		}
	}
	return m, nil
}

// Bytes encodes m as a raw frame. It panics if m has more operands than a
// frame holds or addresses above 15 (programming errors: every Message this
// package builds fits).
func (m Message) Bytes() []byte {
	if m.Initiator > 15 || m.Destination > 15 || len(m.Operands) > MaxMessageLen-2 || (!m.HasOpcode && len(m.Operands) > 0) {
		panic(fmt.Sprintf("cec: unencodable message %+v", m))
	}
	b := []byte{byte(m.Initiator)<<4 | byte(m.Destination)}
	if m.HasOpcode {
		b = append(b, m.Opcode)
		b = append(b, m.Operands...)
	}
	return b
}

// Broadcast reports whether m is sent to every device.
func (m Message) Broadcast() bool { return m.Destination == AddrBroadcast }

// String formats m as colon-separated hex bytes, as cec-ctl and the
// recordings in testdata do: "04:44:01".
func (m Message) String() string { return FormatHex(m.Bytes()) }

// FormatHex formats a raw frame as "04:44:01".
func FormatHex(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = fmt.Sprintf("%02x", c)
	}
	return strings.Join(parts, ":")
}

// ParseHex parses "04:44:01" (the String form) into a Message.
func ParseHex(s string) (Message, error) {
	if s == "" {
		return Message{}, fmt.Errorf("%w: empty frame", ErrMalformed)
	}
	parts := strings.Split(s, ":")
	b := make([]byte, len(parts))
	for i, p := range parts {
		if len(p) != 2 {
			return Message{}, fmt.Errorf("%w: byte %d is %q, want two hex digits", ErrMalformed, i, p)
		}
		if _, err := hex.Decode(b[i:i+1], []byte(p)); err != nil {
			return Message{}, fmt.Errorf("%w: byte %d is %q: %v", ErrMalformed, i, p, err)
		}
	}
	return ParseMessage(b)
}

// msg builds a message with an opcode.
func msg(from, to LogicalAddr, op byte, operands ...byte) Message {
	return Message{Initiator: from, Destination: to, HasOpcode: true, Opcode: op, Operands: operands}
}
