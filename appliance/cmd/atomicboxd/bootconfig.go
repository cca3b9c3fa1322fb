package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/atomicnetwork/atomicbox/appliance/bootconfig"
	"github.com/atomicnetwork/atomicbox/appliance/wifi"
)

// bootMountDir is where the FAT boot partition is mounted for the moment it
// takes to import atomicbox.txt (gokrazy itself never mounts it).
const bootMountDir = "/run/atomicbox-boot"

// applyBootConfig fills the channel and network key that the flags leave
// empty, from two layers: the box configuration a person edits after
// flashing (atomicbox.txt on the boot partition, imported into the data
// dir; see appliance/bootconfig), and under it the settings baked into the
// image (f.baked, written by make image CHANNEL=… NETWORK_KEY=…). So the
// order is: flags, then atomicbox.txt (now or earlier), then the image.
// f.bootConfig is "" (off: a desktop), "auto" (find the boot partition of
// the disk that holds /perm, mount it, import, unmount) or a directory that
// holds the file. Every failure is logged and degrades to the other layers:
// a bad file never stops a box that worked before. It returns the Wi-Fi
// network atomicbox.txt names (nil when none) and whether the file was
// imported on this boot (then it replaces the network the box stored).
func applyBootConfig(f *flags, log *slog.Logger) (seed *wifi.Network, fresh bool) {
	cfg, fresh := bootConfig(f.bootConfig, f.data, log)
	if f.baked != "" {
		baked, err := bootconfig.ReadBaked(f.baked)
		if err != nil {
			log.Warn("baked settings ignored", "err", err)
		}
		cfg = baked.Merge(cfg)
	}
	if f.channel == "" && cfg.Channel != "" {
		f.channel = cfg.Channel
	}
	if f.key == "" && f.keyFile == "" && cfg.NetworkKey != "" {
		f.key = cfg.NetworkKey
	}
	if cfg.WifiSSID != "" {
		seed = &wifi.Network{SSID: cfg.WifiSSID, Passphrase: cfg.WifiPSK}
	}
	return seed, fresh
}

// bootConfig returns what atomicbox.txt set, now or on an earlier boot
// (mode as f.bootConfig above), and whether the file was imported now;
// the zero Config when mode is off.
func bootConfig(mode, data string, log *slog.Logger) (_ bootconfig.Config, imported bool) {
	if mode == "" {
		return bootconfig.Config{}, false
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		log.Warn("boot config: data dir", "err", err)
		return bootconfig.Config{}, false
	}
	dir := mode
	if mode == "auto" {
		unmount, err := mountBootPartition(filepath.Dir(data))
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
		cfg, imported, err = bootconfig.Import(dir, data, log)
		if imported {
			log.Info("boot config imported into the data dir", "file", filepath.Join(dir, bootconfig.FileName))
		}
	} else {
		cfg, err = bootconfig.Load(data, log)
	}
	if err != nil {
		log.Warn("boot config: using stored settings", "err", err)
	}
	return cfg, imported
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
