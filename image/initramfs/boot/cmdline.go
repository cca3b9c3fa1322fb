package boot

import (
	"fmt"
	"strconv"
	"strings"
)

// Cmdline is what the initramfs takes from the kernel command line
// (/proc/cmdline) as gokrazy's packer writes it, for example
// "console=tty1 root=PARTUUID=2a8d5d2c-02 init=/gokrazy/init rootwait panic=10".
type Cmdline struct {
	Root       RootSpec // root=
	RootFSType string   // rootfstype=, "" when absent
	Init       string   // init=, DefaultInit when absent
}

// DefaultInit is gokrazy's init, used when the command line has no init=.
const DefaultInit = "/gokrazy/init"

// RootSpec names the root partition.
type RootSpec struct {
	// PartUUID is lower case: an MBR "dddddddd-NN" (disk signature and
	// partition number, as Linux prints it) or a GPT partition GUID.
	PartUUID string
	// PartNrOff is PARTNROFF=: the root is the partition this many numbers
	// after the one PartUUID names (gokrazy's GPT form).
	PartNrOff int
	// Device is a device path such as /dev/mmcblk0p2 when root= names one.
	Device string
}

func (r RootSpec) String() string {
	if r.Device != "" {
		return r.Device
	}
	s := "PARTUUID=" + r.PartUUID
	if r.PartNrOff != 0 {
		s += "/PARTNROFF=" + strconv.Itoa(r.PartNrOff)
	}
	return s
}

// ParseCmdline parses a kernel command line. It fails when root= is missing
// or malformed; other parameters are ignored. Quoted values are not used by
// gokrazy and are not supported.
func ParseCmdline(s string) (Cmdline, error) {
	c := Cmdline{Init: DefaultInit}
	var root string
	haveRoot := false
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		switch k {
		case "root":
			root, haveRoot = v, true
		case "rootfstype":
			c.RootFSType = v
		case "init":
			if v == "" || v[0] != '/' {
				return Cmdline{}, fmt.Errorf("init=%q: not an absolute path", v)
			}
			c.Init = v
		}
	}
	if !haveRoot {
		return Cmdline{}, fmt.Errorf("no root= on the kernel command line")
	}
	r, err := ParseRoot(root)
	if err != nil {
		return Cmdline{}, err
	}
	c.Root = r
	return c, nil
}

// ParseRoot parses the value of root=: PARTUUID=<mbr-id>-<NN>,
// PARTUUID=<gpt-guid>[/PARTNROFF=<n>] or /dev/<name>.
func ParseRoot(v string) (RootSpec, error) {
	if strings.HasPrefix(v, "/dev/") && len(v) > len("/dev/") && !strings.Contains(v[len("/dev/"):], "..") {
		return RootSpec{Device: v}, nil
	}
	rest, ok := strings.CutPrefix(v, "PARTUUID=")
	if !ok {
		return RootSpec{}, fmt.Errorf("root=%q: want PARTUUID=... or /dev/...", v)
	}
	var r RootSpec
	id, off, hasOff := strings.Cut(rest, "/")
	if hasOff {
		n, ok := strings.CutPrefix(off, "PARTNROFF=")
		if !ok {
			return RootSpec{}, fmt.Errorf("root=%q: unknown suffix %q", v, off)
		}
		i, err := strconv.Atoi(n)
		if err != nil || i < -128 || i > 128 {
			return RootSpec{}, fmt.Errorf("root=%q: bad PARTNROFF %q", v, n)
		}
		r.PartNrOff = i
	}
	id = strings.ToLower(id)
	switch {
	case isMBRPartUUID(id), isGUID(id):
		r.PartUUID = id
	default:
		return RootSpec{}, fmt.Errorf("root=%q: %q is neither an MBR (dddddddd-NN) nor a GPT PARTUUID", v, id)
	}
	return r, nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// isMBRPartUUID: 8 hex digits, '-', 2 hex digits (Linux prints %08x-%02x).
func isMBRPartUUID(s string) bool {
	return len(s) == 11 && s[8] == '-' && isHex(s[:8]) && isHex(s[9:])
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	parts := strings.Split(s, "-")
	if len(parts) != 5 {
		return false
	}
	for i, p := range parts {
		if len(p) != []int{8, 4, 4, 4, 12}[i] || !isHex(p) {
			return false
		}
	}
	return true
}
