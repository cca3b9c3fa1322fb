package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/atomicnetwork/atomicbox/appliance/bootconfig"
)

// bootMountDir is where the FAT boot partition is mounted for the moment it
// takes to import atomicbox.txt (gokrazy itself never mounts it).
const bootMountDir = "/run/atomicbox-boot"

// applyBootConfig fills the channel and network key that the flags leave
// empty from the box configuration a person edits after flashing
// (atomicbox.txt on the boot partition; see appliance/bootconfig). mode is
// "" (off: a desktop), "auto" (find the boot partition of the disk that
// holds /perm, mount it, import, unmount) or a directory that holds the
// file. Every failure is logged and degrades to what the data dir already
// holds: a bad file never stops a box that worked before.
func applyBootConfig(mode string, f *flags, log *slog.Logger) {
	if mode == "" {
		return
	}
	if err := os.MkdirAll(f.data, 0o755); err != nil {
		log.Warn("boot config: data dir", "err", err)
		return
	}
	dir := mode
	if mode == "auto" {
		unmount, err := mountBootPartition(filepath.Dir(f.data))
		if err != nil {
			log.Warn("boot config: boot partition not readable; using stored settings", "err", err)
			dir = ""
		} else {
			defer func() {
				if err := unmount(); err != nil {
					log.Warn("boot config: unmount", "err", err)
				}
			}()
			dir = bootMountDir
		}
	}
	var cfg bootconfig.Config
	var err error
	if dir != "" {
		var imported bool
		cfg, imported, err = bootconfig.Import(dir, f.data, log)
		if imported {
			log.Info("boot config imported into the data dir", "file", filepath.Join(dir, bootconfig.FileName))
		}
	} else {
		cfg, err = bootconfig.Load(f.data, log)
	}
	if err != nil {
		log.Warn("boot config: using stored settings", "err", err)
	}
	if f.channel == "" && cfg.Channel != "" {
		f.channel = cfg.Channel
	}
	if f.key == "" && f.keyFile == "" && cfg.NetworkKey != "" {
		f.key = cfg.NetworkKey
	}
}

// mountBootPartition mounts partition 1 of the disk whose partition is
// mounted on permDir.
func mountBootPartition(permDir string) (unmount func() error, err error) {
	mi, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	dev, err := bootconfig.BootPartition(mi, permDir)
	mi.Close()
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(dev, "/dev/") {
		return nil, fmt.Errorf("boot partition %q is not a device", dev)
	}
	return bootconfig.MountBoot(dev, bootMountDir)
}
