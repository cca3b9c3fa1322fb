package mpv

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// DefaultDRMMode is the output mode the TV profile pins unless the user
// picked another: 4K modes drop frames on a Pi.
const DefaultDRMMode = "1920x1080@60"

// DRMDevice is one /dev/dri node and the driver behind it.
type DRMDevice struct {
	Node   string // "card0", "renderD128"
	Driver string // "vc4", "v3d", "i915", "amdgpu", "virtio_gpu"
	Vendor string // PCI vendor, "0x8086"; "" for platform devices
}

// V4L2Device is what VIDIOC_QUERYCAP and VIDIOC_ENUM_FMT say about a
// /dev/video* node.
type V4L2Device struct {
	Node    string   // "video10"
	Driver  string   // "bcm2835-codec", "rpi-hevc-dec"
	Card    string   // "bcm2835-codec-decode"
	Caps    uint32   // device capabilities (V4L2_CAP_*)
	Formats []string // fourccs accepted on the OUTPUT (bitstream) queue: "H264", "HEVC", "S265"
}

// V4L2 capability bits used here.
const (
	CapVideoM2MMplane = 0x00004000
	CapVideoM2M       = 0x00008000
)

// M2M reports whether the node is a memory-to-memory device (a codec).
func (d V4L2Device) M2M() bool { return d.Caps&(CapVideoM2MMplane|CapVideoM2M) != 0 }

// Decodes reports whether the node accepts fourcc as compressed input.
func (d V4L2Device) Decodes(fourcc string) bool { return d.M2M() && slices.Contains(d.Formats, fourcc) }

// System is what the running system offers for video.
type System struct {
	Model string      // /proc/device-tree/model, "" on PCs
	DRM   []DRMDevice // cards and render nodes
	Video []V4L2Device
	Media []string // "media0", ...
}

// V4L2Querier asks a /dev/video* node what it is. name is relative to
// the probed root ("dev/video10"). The real one is SysV4L2; tests use fakes.
type V4L2Querier interface {
	Query(name string) (V4L2Device, error)
}

// Probe describes the system under root (a file system rooted at "/":
// os.DirFS("/") on a box, fstest.MapFS in tests): /dev/dri, the DRM
// drivers in /sys/class/drm/*/device/uevent and vendor, /dev/video* through
// q, /dev/media*, /proc/device-tree/model. Missing parts are simply absent;
// a node that cannot be queried is skipped and reported in the error list
// (the caller logs it). It never fails as a whole.
func Probe(root fs.FS, q V4L2Querier) (System, []error) {
	var sys System
	var errs []error
	if b, err := fs.ReadFile(root, "proc/device-tree/model"); err == nil {
		sys.Model = strings.TrimSpace(strings.TrimRight(string(b), "\x00"))
	}
	if ents, err := fs.ReadDir(root, "dev/dri"); err == nil {
		for _, e := range ents {
			n := e.Name()
			if !strings.HasPrefix(n, "card") && !strings.HasPrefix(n, "renderD") {
				continue
			}
			d := DRMDevice{Node: n}
			dev := path.Join("sys/class/drm", n, "device")
			if b, err := fs.ReadFile(root, dev+"/uevent"); err == nil {
				for _, l := range strings.Split(string(b), "\n") {
					if v, ok := strings.CutPrefix(l, "DRIVER="); ok {
						d.Driver = strings.TrimSpace(v)
					}
				}
			}
			if b, err := fs.ReadFile(root, dev+"/vendor"); err == nil {
				d.Vendor = strings.ToLower(strings.TrimSpace(string(b)))
			}
			sys.DRM = append(sys.DRM, d)
		}
	}
	if ents, err := fs.ReadDir(root, "dev"); err == nil {
		for _, e := range ents {
			n := e.Name()
			switch {
			case strings.HasPrefix(n, "media") && isNumbered(n, "media"):
				sys.Media = append(sys.Media, n)
			case strings.HasPrefix(n, "video") && isNumbered(n, "video"):
				if q == nil {
					continue
				}
				d, err := q.Query("dev/" + n)
				if err != nil {
					errs = append(errs, fmt.Errorf("query /dev/%s: %w", n, err))
					continue
				}
				d.Node = n
				sys.Video = append(sys.Video, d)
			}
		}
	}
	return sys, errs
}

func isNumbered(name, prefix string) bool {
	rest := strings.TrimPrefix(name, prefix)
	if rest == "" {
		return false
	}
	for _, r := range rest {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Playback is the chosen video path: what Options turns into vo, gpu
// context, hwdec and drm-mode for the TV profile, and what settings shows.
type Playback struct {
	VO         string // "gpu" or "drm"
	GPUContext string // "drm" with vo=gpu
	HWDec      string // "no", "v4l2m2m-copy", "drm", "drm-copy", "vaapi"
	DRMMode    string // "1920x1080@60"
	GPU        string // driver of the render node ("v3d", "i915"); "" without one
	Display    string // driver that scans out ("vc4"); "" when unknown
	Decoder    string // for a person: "hardware H.264 (bcm2835-codec, V4L2 M2M)"
	Model      string // board model when known
}

// Summary is the one line logged at start and shown in settings, e.g.
// "vo=gpu (drm, v3d) · decoder: software H.264 — this kernel has no V4L2 decoder".
func (p Playback) Summary() string { return p.Output() + " · decoder: " + p.Decoder }

// Output names the video output: "vo=gpu (drm, v3d)".
func (p Playback) Output() string {
	out := "vo=" + p.VO
	var ctx []string
	if p.GPUContext != "" {
		ctx = append(ctx, p.GPUContext)
	}
	switch {
	case p.GPU != "":
		ctx = append(ctx, p.GPU)
	case p.Display != "":
		ctx = append(ctx, p.Display)
	}
	if len(ctx) > 0 {
		out += " (" + strings.Join(ctx, ", ") + ")"
	}
	return out
}

// ProfilePlayback describes the fixed paths of the Desktop and Headless
// profiles (Options chooses them without probing), for logs and settings.
func ProfilePlayback(p Profile) Playback {
	switch p {
	case Desktop:
		return Playback{VO: "gpu", GPUContext: "x11egl", HWDec: "no", Decoder: "software (desktop window)"}
	case Headless:
		return Playback{VO: "null", HWDec: "no", Decoder: "none (headless)"}
	}
	return Playback{}
}

// AutoProfile is Desktop when an X11 or Wayland display is present
// (getenv is os.Getenv), else TV.
func AutoProfile(getenv func(string) string) Profile {
	if getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != "" {
		return Desktop
	}
	return TV
}

// vaapiVendors are PCI vendors whose GPUs Debian's VA drivers cover.
var vaapiVendors = map[string]string{"0x8086": "Intel", "0x1002": "AMD"}

// ChoosePlayback picks the TV profile's video path for sys. mode is the
// user's output mode from settings ("" means DefaultDRMMode). It is pure.
//
//   - a render node: vo=gpu with the DRM context (else vo=drm, software scaling)
//   - an H.264 V4L2 M2M decoder (bcm2835-codec, /dev/video10): hwdec=v4l2m2m-copy
//   - a stateless HEVC decoder with a media device (rpi-hevc-dec): hwdec=drm
//     (drm-copy under vo=drm); H.264 stays software (a Pi 5 has no H.264 block)
//   - an Intel or AMD render node: hwdec=vaapi
//   - otherwise software decoding (hwdec=no)
func ChoosePlayback(sys System, mode string) Playback {
	if mode == "" {
		mode = DefaultDRMMode
	}
	p := Playback{VO: "drm", HWDec: "no", DRMMode: mode, Model: sys.Model}
	var render *DRMDevice
	for i, d := range sys.DRM {
		if strings.HasPrefix(d.Node, "renderD") && render == nil {
			render = &sys.DRM[i]
		}
	}
	// The display driver is the card that is not the render node's (vc4
	// beside v3d), or the only one there is.
	for _, d := range sys.DRM {
		if !strings.HasPrefix(d.Node, "card") || d.Driver == "" {
			continue
		}
		if p.Display == "" || (render != nil && p.Display == render.Driver && d.Driver != render.Driver) {
			p.Display = d.Driver
		}
	}
	if render != nil {
		p.VO, p.GPUContext, p.GPU = "gpu", "drm", render.Driver
	}

	var h264, hevc *V4L2Device
	for i, v := range sys.Video {
		switch {
		case h264 == nil && v.Decodes("H264"):
			h264 = &sys.Video[i]
		case hevc == nil && v.Decodes("S265") && len(sys.Media) > 0:
			hevc = &sys.Video[i]
		}
	}
	switch {
	case h264 != nil:
		p.HWDec = "v4l2m2m-copy"
		p.Decoder = fmt.Sprintf("hardware H.264 (%s, V4L2 M2M)", h264.Driver)
	case hevc != nil:
		p.HWDec = "drm"
		if p.VO != "gpu" {
			p.HWDec = "drm-copy"
		}
		p.Decoder = fmt.Sprintf("software H.264, hardware HEVC (%s)", hevc.Driver)
	case render != nil && vaapiVendors[render.Vendor] != "":
		p.HWDec = "vaapi"
		p.Decoder = fmt.Sprintf("hardware (VA-API, %s %s)", vaapiVendors[render.Vendor], render.Driver)
	case render != nil:
		p.Decoder = "software H.264 — no VA-API or V4L2 decoder for " + render.Driver
	case len(sys.DRM) == 0:
		p.Decoder = "software H.264 — no display device found"
	default:
		p.Decoder = "software H.264 — this kernel has no V4L2 decoder"
	}
	return p
}

// ErrNotV4L2 is returned by a querier for a node that is not a V4L2 device.
var ErrNotV4L2 = errors.New("not a V4L2 device")
