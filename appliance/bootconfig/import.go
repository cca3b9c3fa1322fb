package bootconfig

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/atomicnetwork/atomicbox/appliance/state"
)

// StateFile is the name of the imported configuration inside the data dir.
const StateFile = "bootconfig.json"

// Import moves bootDir/atomicbox.txt into dataDir/bootconfig.json and returns
// the merged configuration (what dataDir held, overridden by every field the
// file sets). bootDir is the boot partition mounted read-write by the caller
// (see MountBoot); dataDir is the daemon's data dir under /perm.
//
// Order, so that a power cut loses nothing: parse, write the merged JSON
// atomically, then remove the file. A missing file, or one that sets nothing
// (the commented template shipped in the image), leaves both sides untouched
// and returns what dataDir holds. A file that does not parse is left in place
// and its error returned together with the stored configuration, so the box
// keeps running on its previous settings. imported reports whether a file was
// moved. Not safe for concurrent use on the same dataDir.
func Import(bootDir, dataDir string, log *slog.Logger) (c Config, imported bool, err error) {
	stored, err := Load(dataDir, log)
	if err != nil {
		return Config{}, false, err
	}
	path := filepath.Join(bootDir, FileName)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return stored, false, nil
	}
	if err != nil {
		return stored, false, fmt.Errorf("bootconfig: %w", err)
	}
	fresh, err := Parse(f)
	f.Close()
	if err != nil {
		return stored, false, err
	}
	if fresh.Empty() {
		return stored, false, nil
	}
	merged := stored.Merge(fresh)
	// 0600: it may hold the Wi-Fi passphrase.
	if err := state.WriteJSONPrivate(filepath.Join(dataDir, StateFile), merged); err != nil {
		return stored, false, fmt.Errorf("bootconfig: save: %w", err)
	}
	if err := os.Remove(path); err != nil {
		return merged, true, fmt.Errorf("bootconfig: imported, but could not remove %s (it will be imported again): %w", path, err)
	}
	return merged, true, nil
}

// Load returns the configuration imported earlier into dataDir; none yet
// means an empty Config. A corrupt or invalid file is logged by state and
// treated as none (start fresh) and logged to log (may be nil).
func Load(dataDir string, log *slog.Logger) (Config, error) {
	var c Config
	path := filepath.Join(dataDir, StateFile)
	// Boxes from before WriteJSONPrivate stored it readable by all.
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return Config{}, fmt.Errorf("bootconfig: make %s private: %w", path, err)
		}
	}
	ok, err := state.ReadJSON(path, &c, log)
	if err != nil {
		return Config{}, fmt.Errorf("bootconfig: %w", err)
	}
	if !ok {
		return Config{}, nil
	}
	if err := c.Validate(); err != nil {
		if log != nil {
			log.Warn("stored boot config is invalid; ignoring it", "err", err)
		}
		return Config{}, nil
	}
	return c, nil
}

// BootPartition returns the boot partition's device (partition 1 of the disk
// gokrazy booted from) given /proc/self/mountinfo: it finds the device mounted
// on permDir (gokrazy mounts partition 4 on /perm) and swaps the partition
// number, e.g. /dev/mmcblk0p4 -> /dev/mmcblk0p1, /dev/sda4 -> /dev/sda1.
func BootPartition(mountinfo io.Reader, permDir string) (string, error) {
	sc := bufio.NewScanner(mountinfo)
	for sc.Scan() {
		// 36 35 98:0 / /perm rw,noatime master:1 - ext4 /dev/sda4 rw
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 2 || f[4] != permDir {
			continue
		}
		dev := g[1]
		if !strings.HasPrefix(dev, "/dev/") || !strings.HasSuffix(dev, "4") {
			return "", fmt.Errorf("bootconfig: %s is on %s, not a partition 4", permDir, dev)
		}
		return strings.TrimSuffix(dev, "4") + "1", nil
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("bootconfig: read mountinfo: %w", err)
	}
	return "", fmt.Errorf("bootconfig: nothing mounted on %s", permDir)
}
