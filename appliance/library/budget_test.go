package library

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/atomicnetwork/atomicbox/appliance/state"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

type fakeStatFS Usage

func (f fakeStatFS) Statfs(string) (Usage, error) { return Usage(f), nil }

const gib = 1 << 30

func TestBudget(t *testing.T) {
	tests := []struct {
		reason      string
		usage       Usage
		opts        BudgetOptions
		reserve     int64
		wantToFree  int64
		wantRefused bool
	}{
		{reason: "half empty: nothing to free, a piece fits", usage: Usage{Total: 100 * gib, Avail: 50 * gib}, reserve: 1 * mib},
		{reason: "exactly 10% free: within budget", usage: Usage{Total: 100 * gib, Avail: 10 * gib}, reserve: 1 * mib},
		{reason: "4% free: free 6% to get back to 10%; the guard still lets pieces in", usage: Usage{Total: 100 * gib, Avail: 4 * gib}, reserve: 1 * mib, wantToFree: 6 * gib},
		{reason: "below the 1% guard floor: refused, before the disk is full", usage: Usage{Total: 100 * gib, Avail: gib - 1}, reserve: 1 * mib, wantToFree: 9*gib + 1, wantRefused: true},
		{reason: "small card: floor is at least 32 MiB", usage: Usage{Total: 2 * gib, Avail: 32*mib + 512<<10}, reserve: 1 * mib, wantToFree: 2*gib/10 - (32*mib + 512<<10), wantRefused: true},
		{reason: "custom keep-free share of 20%", usage: Usage{Total: 100 * gib, Avail: 15 * gib}, opts: BudgetOptions{KeepFree: 0.2}, reserve: 1 * mib, wantToFree: 5 * gib},
		{reason: "explicit floor", usage: Usage{Total: 100 * gib, Avail: 3 * gib}, opts: BudgetOptions{GuardFloor: 3 * gib}, reserve: 1, wantToFree: 7 * gib, wantRefused: true},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			opts := tt.opts
			opts.FS = fakeStatFS(tt.usage)
			b := NewBudget("/perm/atomicbox", opts)
			toFree, err := b.ToFree()
			if err != nil {
				t.Fatal(err)
			}
			if toFree != tt.wantToFree {
				t.Errorf("ToFree = %d, want %d", toFree, tt.wantToFree)
			}
			err = b.Reserve(tt.reserve)
			if refused := err != nil; refused != tt.wantRefused {
				t.Fatalf("Reserve(%d) = %v, want refused %v", tt.reserve, err, tt.wantRefused)
			}
			if err != nil {
				var dfe *DiskFullError
				if !errors.As(err, &dfe) || !errors.Is(err, syscall.ENOSPC) {
					t.Errorf("refusal %v is not a DiskFullError wrapping ENOSPC", err)
				}
				if !strings.Contains(err.Error(), "storage is full") {
					t.Errorf("refusal does not say what happened in words: %q", err)
				}
			}
		})
	}
}

// mountTmpfs mounts a fresh tmpfs of size bytes and unmounts it at cleanup.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; this test is the disk-full check and did not run")
	}
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		t.Fatalf("mount tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

type settings struct {
	Name  string
	Notes string
}

// TestStateWriteOnFullDiskKeepsOldFile fills a real 8 MiB file system and
// shows that writing state through appliance/state then fails with ENOSPC,
// leaving the previous file intact and no temp files behind.
func TestStateWriteOnFullDiskKeepsOldFile(t *testing.T) {
	dir := mountTmpfs(t, 8*mib)
	path := filepath.Join(dir, "settings.json")
	old := settings{Name: "before", Notes: "kept"}
	if err := state.WriteJSON(path, old); err != nil {
		t.Fatal(err)
	}
	oldBytes, _ := os.ReadFile(path)

	filler, err := os.Create(filepath.Join(dir, "episode.bin"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{0xab}, 64<<10)
	var fillErr error
	for range 1000 {
		if _, fillErr = filler.Write(chunk); fillErr != nil {
			break
		}
	}
	filler.Close()
	if !errors.Is(fillErr, syscall.ENOSPC) {
		t.Fatalf("filling the file system ended with %v, want ENOSPC", fillErr)
	}

	err = state.WriteJSON(path, settings{Name: "after", Notes: strings.Repeat("x", 8<<10)})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("state write on a full disk = %v, want an ENOSPC error", err)
	}
	b := NewBudget(dir, BudgetOptions{})
	t.Logf("state write refused: %v", b.Explain(err, 8<<10))
	if !strings.Contains(b.Explain(err, 8<<10).Error(), "storage is full") {
		t.Errorf("Explain does not turn ENOSPC into words: %v", b.Explain(err, 8<<10))
	}

	got, _ := os.ReadFile(path)
	if diff := cmp.Diff(string(oldBytes), string(got)); diff != "" {
		t.Errorf("previous state file changed (-want +got)\n%s", diff)
	}
	var loaded settings
	if found, err := state.ReadJSON(path, &loaded, nil); err != nil || !found {
		t.Fatalf("ReadJSON after the failed write = %v, %v", found, err)
	}
	if diff := cmp.Diff(old, loaded); diff != "" {
		t.Errorf("state after failed write (-want +got)\n%s", diff)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"episode.bin", "settings.json"}, names); diff != "" {
		t.Errorf("files left on the disk (-want +got)\n%s", diff)
	}
}

// TestGuardRefusesBeforeDiskIsFull writes an episode through the guard on a
// real 8 MiB file system with a 2 MiB floor: the guard refuses while space
// is still free, so state files can still be saved afterwards.
func TestGuardRefusesBeforeDiskIsFull(t *testing.T) {
	dir := mountTmpfs(t, 8*mib)
	b := NewBudget(dir, BudgetOptions{GuardFloor: 2 * mib})
	f, err := os.Create(filepath.Join(dir, "episode.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := b.GuardWriterAt(f)
	chunk := bytes.Repeat([]byte{0xcd}, 256<<10)
	var off int64
	var werr error
	for range 100 {
		var n int
		n, werr = w.WriteAt(chunk, off)
		off += int64(n)
		if werr != nil {
			break
		}
	}
	var dfe *DiskFullError
	if !errors.As(werr, &dfe) || !errors.Is(werr, syscall.ENOSPC) {
		t.Fatalf("guarded writes ended with %v, want a DiskFullError", werr)
	}
	t.Logf("guard refused after %d bytes: %v", off, werr)
	u, err := b.Usage()
	if err != nil {
		t.Fatal(err)
	}
	if u.Avail < 2*mib-256<<10 {
		t.Errorf("guard let the free space fall to %d bytes, below its 2 MiB floor", u.Avail)
	}
	if err := state.WriteJSON(filepath.Join(dir, "resume.json"), settings{Name: "still room"}); err != nil {
		t.Errorf("state write after the guard refused: %v", err)
	}
}

// TestBudgetFollowsGrownFileSystem grows a real file system under a Budget
// (a tmpfs remounted larger, as permgrow grows /perm at boot while the
// daemon runs): the Budget must read the size each time, not once.
func TestBudgetFollowsGrownFileSystem(t *testing.T) {
	dir := mountTmpfs(t, 8*mib)
	if err := os.WriteFile(filepath.Join(dir, "episode.bin"), bytes.Repeat([]byte{1}, 7*mib+mib/2), 0o644); err != nil {
		t.Fatal(err)
	}
	b := NewBudget(dir, BudgetOptions{})
	before, err := b.ToFree()
	if err != nil || before == 0 {
		t.Fatalf("on the full 8 MiB file system ToFree = %d, %v; want something to free", before, err)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_REMOUNT, fmt.Sprintf("size=%d,mode=0755", 64*mib)); err != nil {
		t.Fatalf("remount tmpfs larger: %v", err)
	}
	u, err := b.Usage()
	if err != nil || u.Total != 64*mib {
		t.Fatalf("after the grow Usage = %+v, %v; want a total of %d", u, err, 64*mib)
	}
	if after, err := b.ToFree(); err != nil || after != 0 {
		t.Errorf("after the grow ToFree = %d, %v; want 0 (was %d)", after, err, before)
	}
	if err := b.Reserve(32 * mib); err != nil {
		t.Errorf("after the grow Reserve(32 MiB) = %v; want room", err)
	}
}
