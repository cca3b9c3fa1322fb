package collector

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/atomicnetwork/atomicbox/appliance/ledger"
)

// FuzzReadRecords: the log reader, on any bytes, never panics, stops at
// the first record it cannot read with a reason, and hands out only
// records that re-encode to the bytes it read.
func FuzzReadRecords(f *testing.F) {
	rec := encodeRecord(ledger.BoxKey{1}, 7, []byte(`{"report":{}}`))
	f.Add([]byte(logMagic))
	f.Add(append([]byte(logMagic), rec...))
	f.Add(append([]byte(logMagic), rec[:20]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		var again []byte
		good, err := readRecords(bytes.NewReader(data), func(k ledger.BoxKey, seq uint64, doc []byte) error {
			again = append(again, encodeRecord(k, seq, doc)...)
			return nil
		})
		if err != nil && !errors.Is(err, errCorrupt) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("unexpected error: %v", err)
		}
		if good > int64(len(data)) || (good > 0 && !bytes.Equal(data[len(logMagic):good], again)) {
			t.Fatalf("records read do not match the bytes (good %d)", good)
		}
		if err == nil && good != int64(len(data)) {
			t.Fatalf("a clean end at %d of %d bytes", good, len(data))
		}
	})
}
