package powercut

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRegisterJudge(t *testing.T) {
	tests := []struct {
		reason             string
		acked, inflight    int64 // writes acknowledged (seq) and in flight (0: none)
		found              int64
		want               Verdict
		wantAckedAfterward int64
	}{
		{reason: "the acknowledged value survived", acked: 5, found: 5, want: Kept, wantAckedAfterward: 5},
		{reason: "the in-flight write landed", acked: 5, inflight: 6, found: 6, want: Kept, wantAckedAfterward: 6},
		{reason: "the in-flight write was lost: allowed", acked: 5, inflight: 6, found: 5, want: Kept, wantAckedAfterward: 5},
		{reason: "an acknowledged write was lost", acked: 5, inflight: 6, found: 4, want: Lost, wantAckedAfterward: 4},
		{reason: "every acknowledged write was lost (file gone)", acked: 5, found: 0, want: Lost, wantAckedAfterward: 0},
		{reason: "a value never sent is corruption", acked: 5, found: 9, want: Unknown, wantAckedAfterward: 9},
		{reason: "nothing written, nothing found", found: 0, want: Kept},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			var r Register
			if tt.acked != 0 {
				r.Send(tt.acked)
				r.Ack(tt.acked)
			}
			if tt.inflight != 0 {
				r.Send(tt.inflight)
			}
			if got := r.Judge(tt.found); got != tt.want {
				t.Errorf("Judge(%d) = %v, want %v", tt.found, got, tt.want)
			}
			if got := r.Acked(); got != tt.wantAckedAfterward {
				t.Errorf("Acked after Judge = %d, want %d (the box restarts from what is on disk)", got, tt.wantAckedAfterward)
			}
		})
	}
}

// perm writes a data dir as the box would leave it after the book's
// writes: resume of e1 at 7, keepFree/uplink at seq 3, keymap at 4, and a
// pairing file with tok1.
func perm(t *testing.T, edit func(dir string)) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("resume.json", `{"version":1,"episodes":{"e1":{"seconds":7,"durationSeconds":1e7}}}`)
	write("settings.json", fmt.Sprintf(`{"keepFreePercent":%d}`, KeepFreeValue(3)))
	write("bandwidth.json", fmt.Sprintf(`{"uplinkBytesPerSec":%d}`, UplinkBase+3))
	write("keymap.json", `{"version":1,"maps":[{"name":"learned","entries":[{"protocol":"nec","scancode":"0x0004","key":"KEY_UP"}]}]}`)
	write("pairing.json", fmt.Sprintf(`{"tokens":[{"hash":%q}]}`, HashToken("tok1")))
	write("boxkey", "not json, not a state file")
	write(".settings.json.tmp-123", `{"keepFree`) // an interrupted atomic write
	if edit != nil {
		edit(dir)
	}
	return dir
}

func book() *Book {
	b := NewBook([]string{"e1"})
	b.Resume["e1"].Send(7)
	b.Resume["e1"].Ack(7)
	for _, r := range []*Register{&b.KeepFree, &b.Uplink} {
		r.Send(3)
		r.Ack(3)
	}
	b.Keymap.Send(4)
	b.Keymap.Ack(4)
	b.PairAcked("tok1")
	return b
}

func TestCheckPerm(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	stored := func(signer ed25519.PrivateKey) string {
		cat := []byte(`{"network":"x"}`)
		b, _ := json.Marshal(map[string]any{"catalog": cat, "signature": base64.StdEncoding.EncodeToString(ed25519.Sign(signer, cat))})
		return string(b)
	}
	write := func(name, data string) func(string) {
		return func(dir string) {
			os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		reason      string
		edit        func(dir string)
		wantLost    int
		wantCorrupt int
		// wantCorruptAgain: a second look counts what is still corrupt in
		// the files, not what was moved aside and counted already.
		wantCorruptAgain int
	}{
		{reason: "everything acknowledged is there; temp files and non-JSON files are not state"},
		{reason: "an older resume position is a lost acknowledged write",
			edit: write("resume.json", `{"episodes":{"e1":{"seconds":6}}}`), wantLost: 1},
		{reason: "a resume file cut short is corrupt, and loses the position",
			edit: write("resume.json", `{"episodes":{"e1":{"sec`), wantCorrupt: 1, wantLost: 1, wantCorruptAgain: 1},
		{reason: "a missing settings file loses keepFree and uplink",
			edit: func(dir string) {
				os.Remove(filepath.Join(dir, "settings.json"))
				os.Remove(filepath.Join(dir, "bandwidth.json"))
			}, wantLost: 2},
		{reason: "an older keymap is lost",
			edit: write("keymap.json", `{"maps":[{"entries":[{"scancode":"0x0003"}]}]}`), wantLost: 1},
		{reason: "a paired token that is gone is lost",
			edit: write("pairing.json", `{"tokens":[]}`), wantLost: 1},
		{reason: "a file the daemon moved aside as corrupt counts",
			edit: write("ledger.json.corrupt-1700000000", `{`), wantCorrupt: 1},
		{reason: "an unknown JSON file that does not parse is corrupt",
			edit: write("wifi.json", `{"ssid":`), wantCorrupt: 1, wantCorruptAgain: 1},
		{reason: "a stored catalog with another key's signature is corrupt",
			edit: write("catalog/catalog.stored.json", stored(otherPriv)), wantCorrupt: 1, wantCorruptAgain: 1},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			dir, b := perm(t, tt.edit), book()
			rep, err := CheckPerm(dir, b, pub)
			if err != nil {
				t.Fatal(err)
			}
			// A second look at the same files finds nothing new: losses
			// were rebased, files moved aside were counted.
			again, err := CheckPerm(dir, b, pub)
			if err != nil {
				t.Fatal(err)
			}
			if again.Corrupt != tt.wantCorruptAgain {
				t.Errorf("second CheckPerm: %d corrupt, want %d (problems %q)", again.Corrupt, tt.wantCorruptAgain, again.Problems)
			}
			if again.LostAcknowledged != 0 {
				t.Errorf("second CheckPerm: %d lost, want 0 (problems %q)", again.LostAcknowledged, again.Problems)
			}
			if diff := cmp.Diff([2]int{tt.wantLost, tt.wantCorrupt}, [2]int{rep.LostAcknowledged, rep.Corrupt}); diff != "" {
				t.Errorf("[lost corrupt] (-want +got):\n%s\nproblems: %q", diff, rep.Problems)
			}
			if rep.FilesChecked < 3 {
				t.Errorf("%d files checked, want the state files", rep.FilesChecked)
			}
		})
	}
}
