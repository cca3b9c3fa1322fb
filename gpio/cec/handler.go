package cec

import "periph.io/x/conn/v3/ir"

type inputKind int

const (
	inputNone     inputKind = iota
	inputPress              // a key went down (or is still down)
	inputRelease            // the key went up
	inputTap                // a deck command: press and release at once
	inputUnmapped           // a UI command with no key: releases the held one
)

type keyInput struct {
	kind inputKind
	key  ir.Key
	code byte
}

// handler answers CEC messages as a playback device. It is pure apart from
// its small state (active source, menu state). Not safe for concurrent use.
type handler struct {
	settings   Settings
	active     bool // we are the active source
	menuActive bool // what Menu Status reports
}

// silent lists opcodes that need no answer and no Feature Abort: replies
// and announcements from other devices.
var silent = map[byte]bool{
	OpFeatureAbort: true, OpImageViewOn: true, OpTextViewOn: true, OpStandby: true,
	OpSetOSDName: true, OpRoutingChange: true, OpRoutingInformation: true, OpActiveSource: true,
	OpReportPhysicalAddr: true, OpDeviceVendorID: true, OpMenuStatus: true,
	OpReportPowerStatus: true, OpInactiveSource: true, OpCECVersion: true, OpDeckStatus: true,
}

// handle returns the replies to m (sent from la, with pa) and the key
// input it carries. Messages addressed to another device are ignored.
func (h *handler) handle(la LogicalAddr, pa PhysAddr, m Message) ([]Message, keyInput) {
	if !m.HasOpcode || (m.Destination != la && !m.Broadcast()) || la == AddrBroadcast {
		return nil, keyInput{}
	}
	to := m.Initiator
	directed := !m.Broadcast()
	// Directed answers to "unregistered" (15) would be broadcasts: skip them.
	canReply := directed && to != AddrBroadcast
	reply := func(op byte, operands ...byte) []Message {
		if !canReply {
			return nil
		}
		return []Message{msg(la, to, op, operands...)}
	}
	abort := func(reason byte) []Message { return reply(OpFeatureAbort, m.Opcode, reason) }
	activeSource := []Message{msg(la, AddrBroadcast, OpActiveSource, byte(pa>>8), byte(pa))}
	operand := func(i int) (byte, bool) {
		if i < len(m.Operands) {
			return m.Operands[i], true
		}
		return 0, false
	}

	switch m.Opcode {
	case OpUserControlPressed:
		if !directed {
			return nil, keyInput{}
		}
		code, ok := operand(0)
		if !ok {
			return abort(AbortInvalid), keyInput{}
		}
		if k, ok := UIKey(code); ok {
			return nil, keyInput{kind: inputPress, key: k, code: code}
		}
		return nil, keyInput{kind: inputUnmapped, code: code}
	case OpUserControlReleased:
		if !directed {
			return nil, keyInput{}
		}
		return nil, keyInput{kind: inputRelease}
	case OpPlay:
		mode, _ := operand(0)
		switch mode {
		case 0x24: // play forward
			return nil, keyInput{kind: inputTap, key: ir.KEY_PLAY}
		case 0x25: // play still
			return nil, keyInput{kind: inputTap, key: ir.KEY_PAUSE}
		}
		return abort(AbortInvalid), keyInput{}
	case OpDeckControl:
		mode, _ := operand(0)
		switch mode {
		case 1: // skip forward / wind
			return nil, keyInput{kind: inputTap, key: ir.KEY_FASTFORWARD}
		case 2: // skip reverse / rewind
			return nil, keyInput{kind: inputTap, key: ir.KEY_REWIND}
		case 3: // stop
			return nil, keyInput{kind: inputTap, key: ir.KEY_STOP}
		}
		return abort(AbortInvalid), keyInput{}
	case OpGiveOSDName:
		return reply(OpSetOSDName, []byte(h.settings.OSDName)...), keyInput{}
	case OpGivePhysicalAddr:
		if !directed || pa == InvalidPhysAddr {
			return nil, keyInput{}
		}
		return []Message{msg(la, AddrBroadcast, OpReportPhysicalAddr, byte(pa>>8), byte(pa), primDevTypePlayback)}, keyInput{}
	case OpGiveDeviceVendorID:
		if !directed {
			return nil, keyInput{}
		}
		if h.settings.VendorID == 0 {
			return abort(AbortUnrecognized), keyInput{}
		}
		v := h.settings.VendorID
		return []Message{msg(la, AddrBroadcast, OpDeviceVendorID, byte(v>>16), byte(v>>8), byte(v))}, keyInput{}
	case OpGetCECVersion:
		return reply(OpCECVersion, cecVersion14), keyInput{}
	case OpGiveDevicePowerStatus:
		return reply(OpReportPowerStatus, 0x00), keyInput{} // on
	case OpRequestActiveSource:
		if h.active && pa != InvalidPhysAddr {
			return activeSource, keyInput{}
		}
		return nil, keyInput{}
	case OpSetStreamPath:
		hi, ok1 := operand(0)
		lo, ok2 := operand(1)
		if !ok1 || !ok2 {
			return nil, keyInput{}
		}
		h.active = PhysAddr(hi)<<8|PhysAddr(lo) == pa && pa != InvalidPhysAddr
		if h.active {
			return activeSource, keyInput{}
		}
		return nil, keyInput{}
	case OpActiveSource:
		if m.Initiator != la {
			h.active = false
		}
		return nil, keyInput{}
	case OpRoutingChange, OpRoutingInformation:
		// The last two operands name the newly selected path.
		if n := len(m.Operands); n >= 2 {
			selected := PhysAddr(m.Operands[n-2])<<8 | PhysAddr(m.Operands[n-1])
			if selected != pa {
				h.active = false
			}
		}
		return nil, keyInput{}
	case OpMenuRequest:
		switch req, _ := operand(0); req {
		case 0:
			h.menuActive = true
		case 1:
			h.menuActive = false
		case 2:
		default:
			return abort(AbortInvalid), keyInput{}
		}
		status := byte(1)
		if h.menuActive {
			status = 0
		}
		return reply(OpMenuStatus, status), keyInput{}
	case OpAbort:
		return abort(AbortRefused), keyInput{}
	}
	if silent[m.Opcode] || !directed {
		return nil, keyInput{}
	}
	return abort(AbortUnrecognized), keyInput{}
}
