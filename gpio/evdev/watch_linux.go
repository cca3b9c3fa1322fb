//go:build linux

package evdev

import (
	"log/slog"
	"os"

	"golang.org/x/sys/unix"
)

// watchDir calls poke whenever an entry of dir is created, deleted or
// renamed (inotify). Without inotify, or while dir does not exist, it does
// nothing and Run's periodic rescan finds changes. The returned stop
// function releases the watch.
func watchDir(dir string, poke func(), log *slog.Logger) (stop func()) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		log.Info("evdev: no inotify; polling", "err", err)
		return func() {}
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_DELETE|unix.IN_MOVED_TO|unix.IN_MOVED_FROM|unix.IN_ATTRIB); err != nil {
		unix.Close(fd)
		log.Debug("evdev: cannot watch input dir; polling", "dir", dir, "err", err)
		return func() {}
	}
	f := os.NewFile(uintptr(fd), "inotify") // non-blocking: reads go through the poller and stop on Close
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			if _, err := f.Read(buf); err != nil {
				return
			}
			poke()
		}
	}()
	return func() {
		f.Close()
		<-done
	}
}
