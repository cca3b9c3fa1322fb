package testmedia

import (
	"bufio"
	"encoding/binary"
	"math/rand/v2"
	"os"
)

// WriteRandom writes size bytes of ChaCha8 output keyed by seed to path:
// content for protocol tests and benchmarks that compare bytes and need
// nothing to decode it. The same seed gives the same bytes.
func WriteRandom(path string, size int64, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	rng := rand.NewChaCha8(key)
	w := bufio.NewWriterSize(f, 1<<20)
	buf := make([]byte, 64<<10)
	for left := size; left > 0; {
		n := min(left, int64(len(buf)))
		rng.Read(buf[:n])
		if _, err := w.Write(buf[:n]); err != nil {
			f.Close()
			return err
		}
		left -= n
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
