package mpv

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// fakeV4L2 answers VIDIOC_QUERYCAP/ENUM_FMT from a table, keyed by the
// probed name ("dev/video10").
type fakeV4L2 map[string]V4L2Device

func (f fakeV4L2) Query(name string) (V4L2Device, error) {
	d, ok := f[name]
	if !ok {
		return V4L2Device{}, ErrNotV4L2
	}
	return d, nil
}

// tree builds a fake root: device nodes as empty files, sysfs driver and
// vendor files, the device-tree model.
type tree struct {
	model string
	drm   map[string][2]string // node -> {driver, PCI vendor}
	nodes []string             // other /dev names: video10, media0
}

func (t tree) fs() fstest.MapFS {
	m := fstest.MapFS{"dev/null": {}, "proc/version": {Data: []byte("Linux")}}
	if t.model != "" {
		m["proc/device-tree/model"] = &fstest.MapFile{Data: []byte(t.model + "\x00")}
	}
	for node, dv := range t.drm {
		m["dev/dri/"+node] = &fstest.MapFile{Mode: fs.ModeDevice | fs.ModeCharDevice}
		m["sys/class/drm/"+node+"/device/uevent"] = &fstest.MapFile{Data: []byte("DRIVER=" + dv[0] + "\nOF_NAME=gpu\n")}
		if dv[1] != "" {
			m["sys/class/drm/"+node+"/device/vendor"] = &fstest.MapFile{Data: []byte(dv[1] + "\n")}
		}
	}
	for _, n := range t.nodes {
		m["dev/"+n] = &fstest.MapFile{Mode: fs.ModeDevice | fs.ModeCharDevice}
	}
	return m
}

// Decoders as the Raspberry Pi kernels report them.
var (
	bcm2835Codec = V4L2Device{Driver: "bcm2835-codec", Card: "bcm2835-codec-decode", Caps: CapVideoM2MMplane, Formats: []string{"H264", "MJPG", "MPG2"}}
	bcm2835ISP   = V4L2Device{Driver: "bcm2835-codec", Card: "bcm2835-codec-isp", Caps: CapVideoM2MMplane, Formats: []string{"YU12", "RGB3"}}
	rpiHEVCDec   = V4L2Device{Driver: "rpi-hevc-dec", Card: "rpi-hevc-dec", Caps: CapVideoM2MMplane, Formats: []string{"S265"}}
	uvcCamera    = V4L2Device{Driver: "uvcvideo", Card: "USB Camera", Caps: 0x04200001, Formats: nil}
)

func TestChoosePlayback(t *testing.T) {
	tests := []struct {
		name   string
		tree   tree
		v4l2   fakeV4L2
		mode   string
		want   Playback
		reason string
	}{
		{"pi4 stock gokrazy kernel", tree{model: "Raspberry Pi 4 Model B Rev 1.5", drm: map[string][2]string{"card0": {"vc4", ""}}}, nil, "",
			Playback{VO: "drm", HWDec: "no", DRMMode: "1920x1080@60", Display: "vc4", Model: "Raspberry Pi 4 Model B Rev 1.5",
				Decoder: "software H.264 — this kernel has no V4L2 decoder"},
			"vc4 alone has no render node: software scaling and decoding"},
		{"pi4 with v3d and bcm2835-codec", tree{model: "Raspberry Pi 4 Model B Rev 1.5",
			drm:   map[string][2]string{"card0": {"v3d", ""}, "card1": {"vc4", ""}, "renderD128": {"v3d", ""}},
			nodes: []string{"video10", "video12", "media0", "media1"}},
			fakeV4L2{"dev/video10": bcm2835Codec, "dev/video12": bcm2835ISP}, "",
			Playback{VO: "gpu", GPUContext: "drm", HWDec: "v4l2m2m-copy", DRMMode: "1920x1080@60", GPU: "v3d", Display: "vc4",
				Model: "Raspberry Pi 4 Model B Rev 1.5", Decoder: "hardware H.264 (bcm2835-codec, V4L2 M2M)"},
			"the render node gives vo=gpu and the M2M H.264 decoder gives v4l2m2m-copy"},
		{"pi5", tree{model: "Raspberry Pi 5 Model B Rev 1.0",
			drm:   map[string][2]string{"card0": {"v3d", ""}, "card1": {"vc4", ""}, "renderD128": {"v3d", ""}},
			nodes: []string{"video19", "media0"}},
			fakeV4L2{"dev/video19": rpiHEVCDec}, "",
			Playback{VO: "gpu", GPUContext: "drm", HWDec: "drm", DRMMode: "1920x1080@60", GPU: "v3d", Display: "vc4",
				Model: "Raspberry Pi 5 Model B Rev 1.0", Decoder: "software H.264, hardware HEVC (rpi-hevc-dec)"},
			"a stateless HEVC decoder with a media device: hwdec=drm; no H.264 block"},
		{"pi5 hevc without media", tree{model: "Raspberry Pi 5 Model B Rev 1.0",
			drm:   map[string][2]string{"card1": {"vc4", ""}},
			nodes: []string{"video19"}},
			fakeV4L2{"dev/video19": rpiHEVCDec}, "",
			Playback{VO: "drm", HWDec: "no", DRMMode: "1920x1080@60", Display: "vc4",
				Model: "Raspberry Pi 5 Model B Rev 1.0", Decoder: "software H.264 — this kernel has no V4L2 decoder"},
			"a stateless decoder needs its media device for the request API"},
		{"intel nuc", tree{drm: map[string][2]string{"card0": {"i915", "0x8086"}, "renderD128": {"i915", "0x8086"}}}, nil, "",
			Playback{VO: "gpu", GPUContext: "drm", HWDec: "vaapi", DRMMode: "1920x1080@60", GPU: "i915", Display: "i915",
				Decoder: "hardware (VA-API, Intel i915)"},
			"an Intel render node decodes with VA-API"},
		{"amd", tree{drm: map[string][2]string{"card0": {"amdgpu", "0x1002"}, "renderD128": {"amdgpu", "0x1002"}}, nodes: []string{"video0"}},
			fakeV4L2{"dev/video0": uvcCamera}, "3840x2160@30",
			Playback{VO: "gpu", GPUContext: "drm", HWDec: "vaapi", DRMMode: "3840x2160@30", GPU: "amdgpu", Display: "amdgpu",
				Decoder: "hardware (VA-API, AMD amdgpu)"},
			"an AMD render node decodes with VA-API; a camera is no decoder; the user's mode wins"},
		{"qemu virtio-gpu", tree{drm: map[string][2]string{"card0": {"virtio_gpu", "0x1af4"}, "renderD128": {"virtio_gpu", "0x1af4"}}}, nil, "",
			Playback{VO: "gpu", GPUContext: "drm", HWDec: "no", DRMMode: "1920x1080@60", GPU: "virtio_gpu", Display: "virtio_gpu",
				Decoder: "software H.264 — no VA-API or V4L2 decoder for virtio_gpu"},
			"a render node without VA-API: GPU output (llvmpipe) but software decoding"},
		{"nothing", tree{}, nil, "",
			Playback{VO: "drm", HWDec: "no", DRMMode: "1920x1080@60", Decoder: "software H.264 — no display device found"},
			"an empty system still gets a complete, software answer"},
	}
	for _, tt := range tests {
		sys, errs := Probe(tt.tree.fs(), tt.v4l2)
		for _, err := range errs {
			if !errors.Is(err, ErrNotV4L2) {
				t.Errorf("%s: probe: %v", tt.name, err)
			}
		}
		got := ChoosePlayback(sys, tt.mode)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (%s): playback (-want +got):\n%s", tt.name, tt.reason, diff)
		}
	}
}

func TestPlaybackSummaryAndOptions(t *testing.T) {
	tests := []struct {
		name    string
		p       Playback
		summary string
		opts    map[string]string
		reason  string
	}{
		{"pi4 stock", Playback{VO: "drm", HWDec: "no", DRMMode: "1920x1080@60", Display: "vc4", Decoder: "software H.264 — this kernel has no V4L2 decoder"},
			"vo=drm (vc4) · decoder: software H.264 — this kernel has no V4L2 decoder",
			map[string]string{"vo": "drm", "hwdec": "no", "drm-mode": "1920x1080@60"}, "no gpu-context without vo=gpu"},
		{"pi5", Playback{VO: "gpu", GPUContext: "drm", HWDec: "drm", DRMMode: "1920x1080@60", GPU: "v3d", Display: "vc4", Decoder: "software H.264, hardware HEVC (rpi-hevc-dec)"},
			"vo=gpu (drm, v3d) · decoder: software H.264, hardware HEVC (rpi-hevc-dec)",
			map[string]string{"vo": "gpu", "gpu-context": "drm", "hwdec": "drm", "drm-mode": "1920x1080@60"}, "the GPU driver names the path"},
	}
	for _, tt := range tests {
		if got := tt.p.Summary(); got != tt.summary {
			t.Errorf("%s (%s): summary %q, want %q", tt.name, tt.reason, got, tt.summary)
		}
		opts, err := Options(Env{Profile: TV, ConfigDir: "/c", Video: tt.p})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, o := range opts {
			got[o.Name] = o.Value
		}
		for k, v := range tt.opts {
			if got[k] != v {
				t.Errorf("%s (%s): %s=%q, want %q", tt.name, tt.reason, k, got[k], v)
			}
		}
		if _, ok := got["gpu-context"]; ok && tt.p.GPUContext == "" {
			t.Errorf("%s: gpu-context set for vo=%s", tt.name, tt.p.VO)
		}
	}
}

// TestSysV4L2 runs the real querier against this machine: every node
// either answers or is refused cleanly (most CI machines have none).
func TestSysV4L2(t *testing.T) {
	if _, err := (SysV4L2{}).Query("dev/null"); err == nil {
		t.Error("/dev/null answered VIDIOC_QUERYCAP")
	}
	if _, err := (SysV4L2{}).Query("dev/does-not-exist"); err == nil {
		t.Error("a missing node answered")
	}
}

// FuzzProbe feeds arbitrary sysfs uevent and device-tree model contents
// through Probe and ChoosePlayback: they never panic and always choose a
// complete path.
func FuzzProbe(f *testing.F) {
	f.Add([]byte("DRIVER=v3d\nOF_NAME=gpu\n"), []byte("Raspberry Pi 5 Model B Rev 1.0\x00"), []byte("0x8086\n"))
	f.Add([]byte("DRIVER="), []byte(""), []byte(""))
	f.Fuzz(func(t *testing.T, uevent, model, vendor []byte) {
		root := fstest.MapFS{
			"dev/dri/card0":                          {},
			"dev/dri/renderD128":                     {},
			"dev/video10":                            {},
			"sys/class/drm/card0/device/uevent":      {Data: uevent},
			"sys/class/drm/renderD128/device/uevent": {Data: uevent},
			"sys/class/drm/renderD128/device/vendor": {Data: vendor},
			"proc/device-tree/model":                 {Data: model},
		}
		sys, _ := Probe(root, fakeV4L2{"dev/video10": bcm2835Codec})
		p := ChoosePlayback(sys, "")
		if p.VO == "" || p.HWDec == "" || p.DRMMode == "" || p.Decoder == "" {
			t.Errorf("incomplete choice %+v for %+v", p, sys)
		}
	})
}
