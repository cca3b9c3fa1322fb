// Package classicio makes anacrolix/torrent's file storage use plain file
// reads and writes instead of mmap, before that storage package initialises.
//
// anacrolix/torrent v1.61 picks its file I/O once, in the storage package's
// init, from TORRENT_STORAGE_DEFAULT_FILE_IO (default mmap, which showed
// ~600 MiB of file-backed RSS in the streaming trial). Go initialises
// packages in import-path order among those whose imports are ready; this
// package imports only os, and the storage package imports path/filepath
// (which sorts after this path), so this init always runs first. The swarm
// tests check the effect (no mapping of a media file in /proc/self/maps).
package classicio

import "os"

// EnvVar is the variable anacrolix/torrent reads; an explicit value from the
// environment (e.g. "mmap" for an experiment) is left alone.
const EnvVar = "TORRENT_STORAGE_DEFAULT_FILE_IO"

func init() {
	if _, ok := os.LookupEnv(EnvVar); !ok {
		os.Setenv(EnvVar, "classic")
	}
}
