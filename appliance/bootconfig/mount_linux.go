package bootconfig

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// MountBoot mounts the FAT boot partition dev (see BootPartition) read-write
// on dir, creating dir, and returns the function that unmounts it. gokrazy
// itself never mounts the boot partition; keep it mounted only as long as
// Import runs, so a power cut is unlikely to catch the FAT mid-write. Needs
// CAP_SYS_ADMIN (gokrazy services run as root).
func MountBoot(dev, dir string) (unmount func() error, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bootconfig: %w", err)
	}
	if err := unix.Mount(dev, dir, "vfat", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC|unix.MS_SYNCHRONOUS, ""); err != nil {
		return nil, fmt.Errorf("bootconfig: mount %s on %s: %w", dev, dir, err)
	}
	return func() error {
		if err := unix.Unmount(dir, 0); err != nil {
			return fmt.Errorf("bootconfig: unmount %s: %w", dir, err)
		}
		return nil
	}, nil
}
