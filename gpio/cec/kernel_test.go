package cec

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"testing"
	"unsafe"
)

// The ioctl numbers as <linux/cec.h> defines them: printed by a C program
// built against the Linux uapi headers on amd64 (sizes 76/92/56/80 there).
// arm64 and arm use the same asm-generic _IOC encoding, and the struct
// sizes on those are checked by TestStructSizesAllArchs.
var wantIoctls = map[string]uintptr{
	"CEC_ADAP_G_CAPS":      0xc04c6100,
	"CEC_ADAP_G_PHYS_ADDR": 0x80026101,
	"CEC_ADAP_G_LOG_ADDRS": 0x805c6103,
	"CEC_ADAP_S_LOG_ADDRS": 0xc05c6104,
	"CEC_TRANSMIT":         0xc0386105,
	"CEC_RECEIVE":          0xc0386106,
	"CEC_DQEVENT":          0xc0506107,
	"CEC_G_MODE":           0x80046108,
	"CEC_S_MODE":           0x40046109,
}

func TestIoctlNumbers(t *testing.T) {
	got := map[string]uintptr{
		"CEC_ADAP_G_CAPS": ioctlAdapGCaps, "CEC_ADAP_G_PHYS_ADDR": ioctlAdapGPhysAddr,
		"CEC_ADAP_G_LOG_ADDRS": ioctlAdapGLogAddrs, "CEC_ADAP_S_LOG_ADDRS": ioctlAdapSLogAddrs,
		"CEC_TRANSMIT": ioctlTransmit, "CEC_RECEIVE": ioctlReceive, "CEC_DQEVENT": ioctlDQEvent,
		"CEC_G_MODE": ioctlGMode, "CEC_S_MODE": ioctlSMode,
	}
	for name, want := range wantIoctls {
		if got[name] != want {
			t.Errorf("%s = %#x, want %#x", name, got[name], want)
		}
	}
}

// TestStructSizesThisArch checks the structs as compiled for the running
// GOARCH (run it under qemu-aarch64 for arm64: see the package README in
// the report).
func TestStructSizesThisArch(t *testing.T) {
	tests := []struct {
		reason string
		got    uintptr
		want   uintptr
	}{
		{"struct cec_caps", unsafe.Sizeof(kernelCaps{}), sizeofCaps},
		{"struct cec_log_addrs", unsafe.Sizeof(kernelLogAddrs{}), sizeofLogAddrs},
		{"struct cec_msg", unsafe.Sizeof(kernelMsg{}), sizeofMsg},
		{"struct cec_event", unsafe.Sizeof(kernelEvent{}), sizeofEvent},
		{"cec_msg.msg at offset 32", unsafe.Offsetof(kernelMsg{}.Msg), 32},
		{"cec_log_addrs.osd_name at offset 16", unsafe.Offsetof(kernelLogAddrs{}.OSDName), 16},
		{"cec_event union at offset 16", unsafe.Offsetof(kernelEvent{}.Raw), 16},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: size/offset %d, want %d", tt.reason, tt.got, tt.want)
		}
	}
}

// TestStructSizesAllArchs type-checks kernel.go alone with the layout rules
// of each GOARCH the image may be built for, so a field that changes size
// or alignment on arm64 or 32-bit arm fails here on any machine.
func TestStructSizesAllArchs(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "kernel.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"kernelCaps": sizeofCaps, "kernelLogAddrs": sizeofLogAddrs, "kernelMsg": sizeofMsg, "kernelEvent": sizeofEvent}
	for _, arch := range []string{"amd64", "arm64", "arm", "386"} {
		sizes := types.SizesFor("gc", arch)
		conf := types.Config{Importer: importer.Default(), Sizes: sizes}
		pkg, err := conf.Check("cec", fset, []*ast.File{f}, nil)
		if err != nil {
			t.Fatalf("%s: type-check kernel.go: %v", arch, err)
		}
		for name, w := range want {
			typ := pkg.Scope().Lookup(name).Type()
			if got := sizes.Sizeof(typ); got != w {
				t.Errorf("GOARCH=%s: sizeof %s = %d, want %d", arch, name, got, w)
			}
		}
	}
}
