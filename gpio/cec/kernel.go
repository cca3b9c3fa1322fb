package cec

// The structs of <linux/cec.h> (uapi, kernel 4.10 and later), laid out
// field for field. This file imports nothing so that the layout test can
// type-check it alone with the sizes of every GOARCH the image may use.

// kernelCaps is struct cec_caps (76 bytes).
type kernelCaps struct {
	Driver            [32]byte
	Name              [32]byte
	AvailableLogAddrs uint32
	Capabilities      uint32
	Version           uint32
}

// kernelLogAddrs is struct cec_log_addrs (92 bytes).
type kernelLogAddrs struct {
	LogAddr           [4]uint8
	LogAddrMask       uint16
	CECVersion        uint8
	NumLogAddrs       uint8
	VendorID          uint32
	Flags             uint32
	OSDName           [15]byte
	PrimaryDeviceType [4]uint8
	LogAddrType       [4]uint8
	AllDeviceTypes    [4]uint8
	Features          [4][12]uint8
}

// kernelMsg is struct cec_msg (56 bytes).
type kernelMsg struct {
	TxTs          uint64
	RxTs          uint64
	Len           uint32
	Timeout       uint32
	Sequence      uint32
	Flags         uint32
	Msg           [16]byte
	Reply         uint8
	RxStatus      uint8
	TxStatus      uint8
	TxArbLostCnt  uint8
	TxNackCnt     uint8
	TxLowDriveCnt uint8
	TxErrorCnt    uint8
}

// kernelEvent is struct cec_event (80 bytes); Raw is the union of
// cec_event_state_change (phys_addr u16, log_addr_mask u16, have_conn_info
// u16) and cec_event_lost_msgs (lost_msgs u32).
type kernelEvent struct {
	Ts    uint64
	Event uint32
	Flags uint32
	Raw   [16]uint32
}

// Sizes the ioctl numbers are built from; the layout test checks them
// against the structs above for amd64, arm64, arm and 386.
const (
	sizeofCaps     = 76
	sizeofLogAddrs = 92
	sizeofMsg      = 56
	sizeofEvent    = 80
	sizeofU16      = 2
	sizeofU32      = 4
)

// _IOC from <asm-generic/ioctl.h> (amd64, arm64 and arm share it).
const (
	iocWrite = 1
	iocRead  = 2
)

func ioc(dir, typ, nr, size uintptr) uintptr { return dir<<30 | size<<16 | typ<<8 | nr }

// CEC ioctls (type 'a').
var (
	ioctlAdapGCaps     = ioc(iocRead|iocWrite, 'a', 0, sizeofCaps)     // CEC_ADAP_G_CAPS 0xc04c6100
	ioctlAdapGPhysAddr = ioc(iocRead, 'a', 1, sizeofU16)               // CEC_ADAP_G_PHYS_ADDR 0x80026101
	ioctlAdapGLogAddrs = ioc(iocRead, 'a', 3, sizeofLogAddrs)          // CEC_ADAP_G_LOG_ADDRS 0x805c6103
	ioctlAdapSLogAddrs = ioc(iocRead|iocWrite, 'a', 4, sizeofLogAddrs) // CEC_ADAP_S_LOG_ADDRS 0xc05c6104
	ioctlTransmit      = ioc(iocRead|iocWrite, 'a', 5, sizeofMsg)      // CEC_TRANSMIT 0xc0386105
	ioctlReceive       = ioc(iocRead|iocWrite, 'a', 6, sizeofMsg)      // CEC_RECEIVE 0xc0386106
	ioctlDQEvent       = ioc(iocRead|iocWrite, 'a', 7, sizeofEvent)    // CEC_DQEVENT 0xc0506107
	ioctlGMode         = ioc(iocRead, 'a', 8, sizeofU32)               // CEC_G_MODE 0x80046108
	ioctlSMode         = ioc(iocWrite, 'a', 9, sizeofU32)              // CEC_S_MODE 0x40046109
)

// Constants from <linux/cec.h>.
const (
	capPhysAddr = 1 << 0 // CEC_CAP_PHYS_ADDR: userspace sets the physical address
	capLogAddrs = 1 << 1 // CEC_CAP_LOG_ADDRS: userspace claims logical addresses

	modeInitiator = 0x1  // CEC_MODE_INITIATOR
	modeFollower  = 0x10 // CEC_MODE_FOLLOWER

	logAddrTypePlayback  = 2    // CEC_LOG_ADDR_TYPE_PLAYBACK
	primDevTypePlayback  = 4    // CEC_OP_PRIM_DEVTYPE_PLAYBACK
	allDevTypePlayback   = 0x10 // CEC_OP_ALL_DEVTYPE_PLAYBACK
	cecVersion14         = 5    // CEC_OP_CEC_VERSION_1_4
	vendorIDNone         = 0xffffffff
	logAddrsFlUnregFback = 1 << 0 // CEC_LOG_ADDRS_FL_ALLOW_UNREG_FALLBACK

	eventStateChange = 1 // CEC_EVENT_STATE_CHANGE
	eventLostMsgs    = 2 // CEC_EVENT_LOST_MSGS

	rxStatusOK = 1 << 0 // CEC_RX_STATUS_OK
	txStatusOK = 1 << 0 // CEC_TX_STATUS_OK
)
