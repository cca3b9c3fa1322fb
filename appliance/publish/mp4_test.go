package publish_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/atomicnetwork/atomicbox/appliance/publish"
)

func box(typ string, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	return append(append(b, typ...), body...)
}

// largeBox writes a box with the 64-bit size form (size field 1).
func largeBox(typ string, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, 1)
	b = append(b, typ...)
	b = binary.BigEndian.AppendUint64(b, uint64(16+len(payload)))
	return append(b, payload...)
}

func mvhd(version byte, timescale uint32, duration uint64) []byte {
	p := []byte{version, 0, 0, 0}
	if version == 1 {
		p = append(p, make([]byte, 16)...)
		p = binary.BigEndian.AppendUint32(p, timescale)
		p = binary.BigEndian.AppendUint64(p, duration)
	} else {
		p = append(p, make([]byte, 8)...)
		p = binary.BigEndian.AppendUint32(p, timescale)
		p = binary.BigEndian.AppendUint32(p, uint32(duration))
	}
	p = append(p, make([]byte, 80)...) // rate, volume, matrix, next track ID
	return box("mvhd", p)
}

// mvhdFile is a minimal MP4: ftyp, then moov holding mvhd.
func mvhdFile(version byte, timescale uint32, duration uint64) []byte {
	return append(box("ftyp", []byte("isom\x00\x00\x02\x00isomiso2avc1mp41")), box("moov", mvhd(version, timescale, duration))...)
}

func TestMP4Duration(t *testing.T) {
	ftyp := box("ftyp", []byte("isom\x00\x00\x02\x00isomiso2avc1mp41"))
	tests := []struct {
		reason  string
		data    []byte
		want    float64
		wantErr string
	}{
		{reason: "version 0 mvhd", data: mvhdFile(0, 1000, 3000), want: 3},
		{reason: "version 1 mvhd (64-bit times)", data: mvhdFile(1, 90000, 90000*3600*30), want: 3600 * 30},
		{reason: "moov after mdat (no faststart)", data: bytes.Join([][]byte{ftyp, box("mdat", make([]byte, 1000)), box("moov", box("trak"), mvhd(0, 600, 1500))}, nil), want: 2.5},
		{reason: "a 64-bit size box before moov", data: bytes.Join([][]byte{ftyp, largeBox("mdat", make([]byte, 100)), box("moov", mvhd(0, 1, 7))}, nil), want: 7},
		{reason: "mvhd after other boxes in moov", data: append(ftyp, box("moov", box("iods", make([]byte, 8)), mvhd(0, 48000, 48000*90))...), want: 90},
		{reason: "a last box with size 0 runs to the end", data: append(ftyp, append([]byte{0, 0, 0, 0}, append([]byte("moov"), mvhd(0, 10, 25)...)...)...), want: 2.5},
		{reason: "no moov", data: append(ftyp, box("mdat", make([]byte, 10))...), wantErr: "no moov box"},
		{reason: "moov without mvhd", data: append(ftyp, box("moov", box("trak"))...), wantErr: "no mvhd box"},
		{reason: "timescale 0", data: mvhdFile(0, 0, 100), wantErr: "timescale is 0"},
		{reason: "duration 0 (fragmented files)", data: mvhdFile(0, 1000, 0), wantErr: "duration is 0"},
		{reason: "unknown duration (all ones)", data: mvhdFile(0, 1000, math.MaxUint32), wantErr: "unknown"},
		{reason: "unknown mvhd version", data: mvhdFile(2, 1000, 1000), wantErr: "version 2"},
		{reason: "a box larger than the file", data: append(ftyp, []byte{0, 0, 1, 0, 'm', 'o', 'o', 'v'}...), wantErr: "does not fit"},
		{reason: "a box size smaller than its header", data: append(ftyp, []byte{0, 0, 0, 4, 'm', 'o', 'o', 'v'}...), wantErr: "does not fit"},
		{reason: "a truncated header", data: append(ftyp, 0, 0, 0), wantErr: "truncated"},
		{reason: "a truncated mvhd", data: append(ftyp, box("moov", box("mvhd", []byte{0, 0, 0, 0, 1, 2}))...), wantErr: "too short"},
		{reason: "empty input", data: nil, wantErr: "no moov"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			got, err := publish.MP4Duration(bytes.NewReader(tt.data), int64(len(tt.data)))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("MP4Duration = %v, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("MP4Duration = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestMP4DurationRealClips reads ffmpeg's own files, moov first and last.
func TestMP4DurationRealClips(t *testing.T) {
	for _, faststart := range []bool{true, false} {
		path := clip(t, "Duration", faststart)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := f.Stat()
		d, err := publish.MP4Duration(f, fi.Size())
		f.Close()
		if err != nil || math.Abs(d-3) > 0.1 {
			t.Errorf("faststart=%v: MP4Duration = %v, %v; want about 3 s", faststart, d, err)
		}
	}
}
