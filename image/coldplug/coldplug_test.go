package coldplug

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/image/initramfs/boot"
)

// A modules.alias and modules.dep excerpt as depmod writes them for
// Debian's 7.3.4 arm64 kernel.
const testAlias = `# Aliases extracted from modules themselves.
alias of:N*T*Cbrcm,bcm2711-hdmi0C* vc4
alias of:N*T*Cbrcm,bcm2711-hdmi0 vc4
alias of:N*T*Cbrcm,2711-v3dC* v3d
alias of:N*T*Cbrcm,2711-v3d v3d
alias of:N*T*Cbrcm,genet-v5C* genet
alias of:N*T*Cbrcm,genet-v5 genet
alias of:N*T*Cbrcm,bcm2711-emmc2C* sdhci_iproc
alias usb:v*p*d*dc*dsc*dp*ic03isc*ip*in* usbhid
alias virtio:d00000001v* virtio_net
alias of:N*T*Cgpio-ir-receiverC* gpio_ir_recv
`

const testDep = `kernel/drivers/gpu/drm/vc4/vc4.ko.xz: kernel/drivers/media/cec/core/cec.ko.xz kernel/drivers/gpu/drm/drm.ko.xz
kernel/drivers/media/cec/core/cec.ko.xz:
kernel/drivers/gpu/drm/drm.ko.xz:
kernel/drivers/gpu/drm/v3d/v3d.ko.xz: kernel/drivers/gpu/drm/drm.ko.xz
kernel/drivers/net/ethernet/broadcom/genet/genet.ko.xz:
kernel/drivers/mmc/host/sdhci-iproc.ko.xz:
kernel/drivers/hid/usbhid/usbhid.ko.xz: kernel/drivers/hid/hid.ko.xz
kernel/drivers/hid/hid.ko.xz:
kernel/drivers/input/evdev.ko.xz:
kernel/drivers/net/virtio_net.ko.xz:
kernel/drivers/media/rc/gpio-ir-recv.ko.xz: kernel/drivers/media/rc/rc-core.ko.xz
kernel/drivers/media/rc/rc-core.ko.xz:
kernel/drivers/media/rc/ir-nec-decoder.ko.xz: kernel/drivers/media/rc/rc-core.ko.xz
`

type fakeLoader struct {
	loaded []string
	fail   map[string]bool
}

func (f *fakeLoader) Load(p string) error {
	if f.fail[boot.ModuleName(p)] {
		return errors.New("ENODEV")
	}
	f.loaded = append(f.loaded, boot.ModuleName(p))
	return nil
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeSystem writes a /sys with the given devices (bus/name -> modalias)
// and a module directory.
func fakeSystem(t *testing.T, devices map[string]string) (sys, mods string) {
	root := t.TempDir()
	sys, mods = filepath.Join(root, "sys"), filepath.Join(root, "lib/modules/7.3.4+deb13-arm64")
	for dev, alias := range devices {
		bus, name, _ := strings.Cut(dev, "/")
		write(t, filepath.Join(sys, "bus", bus, "devices", name, "modalias"), alias+"\n")
	}
	write(t, filepath.Join(sys, "bus/platform/devices/nomodalias/uevent"), "DRIVER=x\n")
	// Loaded by the initramfs: not loaded again.
	write(t, filepath.Join(sys, "module/hid/refcnt"), "0\n")
	write(t, filepath.Join(mods, "modules.alias"), testAlias)
	write(t, filepath.Join(mods, "modules.dep"), testDep)
	write(t, filepath.Join(mods, "modules.builtin"), "kernel/drivers/mmc/core/mmc_block.ko\n")
	return sys, mods
}

func TestRun(t *testing.T) {
	pi4 := map[string]string{
		"platform/fef00700.hdmi":     "of:NhdmiT(null)Cbrcm,bcm2711-hdmi0",
		"platform/fec00000.v3d":      "of:Nv3dT(null)Cbrcm,2711-v3dCbrcm,bcm2711-v3d",
		"platform/fd580000.ethernet": "of:NethernetT(null)Cbrcm,bcm2711-genet-v5Cbrcm,genet-v5",
		"usb/1-1.3:1.0":              "usb:v046DpC52Bd1201dc00dsc00dp00ic03isc01ip01in00",
	}
	for _, tc := range []struct {
		reason   string
		devices  map[string]string
		explicit []string
		fail     map[string]bool
		want     []string
		wantErr  string
	}{
		{
			reason:  "Pi 4 devices: display with its CEC and drm deps, GPU, Ethernet, a USB keyboard (hid already loaded)",
			devices: pi4,
			want:    []string{"genet", "cec", "drm", "vc4", "v3d", "usbhid"},
		},
		{
			reason:   "explicit modules first, then devices in modalias order; shared dependencies once",
			devices:  pi4,
			explicit: []string{"evdev", "vc4"},
			want:     []string{"evdev", "cec", "drm", "vc4", "genet", "v3d", "usbhid"},
		},
		{
			reason:   "QEMU virt: a virtio NIC; IR asked for explicitly",
			devices:  map[string]string{"virtio/virtio0": "virtio:d00000001v00001AF4"},
			explicit: []string{"gpio-ir-recv", "ir-nec-decoder"},
			want:     []string{"rc_core", "gpio_ir_recv", "ir_nec_decoder", "virtio_net"},
		},
		{
			reason:  "a failing module is reported and the others still load",
			devices: pi4,
			fail:    map[string]bool{"v3d": true},
			want:    []string{"genet", "cec", "drm", "vc4", "usbhid"},
			wantErr: "ENODEV",
		},
		{
			reason:   "an explicit module the kernel lacks is an error, not a stop",
			devices:  map[string]string{},
			explicit: []string{"bcm2835-codec", "evdev"},
			want:     []string{"evdev"},
			wantErr:  "module bcm2835_codec: not in modules.dep",
		},
	} {
		sys, mods := fakeSystem(t, tc.devices)
		l := &fakeLoader{fail: tc.fail}
		var log strings.Builder
		_, err := Run(context.Background(), Config{SysDir: sys, ModDir: mods, Explicit: tc.explicit, Loader: l, Log: &log})
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: Run error = %v, want %q", tc.reason, err, tc.wantErr)
		}
		if diff := cmp.Diff(tc.want, l.loaded); diff != "" {
			t.Errorf("%s: loaded (-want +got):\n%s", tc.reason, diff)
		}
	}
}

func TestMatch(t *testing.T) {
	aliases, err := ParseAliases(strings.NewReader(testAlias))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		reason   string
		modalias string
		want     []string
	}{
		{reason: "device tree node with one compatible", modalias: "of:NhdmiT(null)Cbrcm,bcm2711-hdmi0", want: []string{"vc4"}},
		{reason: "compatible not first in the list", modalias: "of:NethernetT(null)Cbrcm,bcm2711-genet-v5Cbrcm,genet-v5", want: []string{"genet"}},
		{reason: "USB HID interface class 03", modalias: "usb:v046DpC52Bd1201dc00dsc00dp00ic03isc01ip01in00", want: []string{"usbhid"}},
		{reason: "USB mass storage is not HID", modalias: "usb:v0781p5567d0100dc00dsc00dp00ic08isc06ip50in00", want: nil},
	} {
		if diff := cmp.Diff(tc.want, Match(aliases, tc.modalias)); diff != "" {
			t.Errorf("%s: Match(%q) (-want +got):\n%s", tc.reason, tc.modalias, diff)
		}
	}
	for _, bad := range []string{"alias onlypattern\n", "blacklist x y\n", "alias [ x\n"} {
		if _, err := ParseAliases(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseAliases(%q) succeeded, want an error", bad)
		}
	}
}

func TestEnableIRProtocols(t *testing.T) {
	sys := t.TempDir()
	if err := EnableIRProtocols(sys); err == nil {
		t.Errorf("EnableIRProtocols without a receiver succeeded")
	}
	p := filepath.Join(sys, "class/rc/rc0/protocols")
	write(t, p, "[lirc] nec rc-5 rc-6 sony\n")
	if err := EnableIRProtocols(sys); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("nec rc-5 rc-6 sony\n", string(b)); diff != "" {
		t.Errorf("protocols (-want +got):\n%s", diff)
	}
}

func FuzzParseAliases(f *testing.F) {
	f.Add(testAlias, "of:NhdmiT(null)Cbrcm,bcm2711-hdmi0")
	f.Fuzz(func(t *testing.T, txt, modalias string) {
		aliases, err := ParseAliases(strings.NewReader(txt))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, m := range Match(aliases, modalias) {
			if seen[m] || m == "" {
				t.Fatalf("Match returned %q twice or empty", m)
			}
			seen[m] = true
		}
	})
}
