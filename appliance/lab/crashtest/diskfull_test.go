package crashtest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/resume"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testbin"
)

// mountTmpfs mounts a tmpfs of size bytes on a new temp dir and unmounts
// it at cleanup. It needs root (CAP_SYS_ADMIN).
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		t.Fatalf("mount tmpfs on %s (needs root): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

func freeBytes(t *testing.T, dir string) int64 {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// TestDiskFull is issue 6's disk-full test: the data dir is a 16 MiB
// tmpfs; the box holds a 6 MiB episode and is asked to stream a 12 MiB one
// that cannot fit. Playback of the held episode must go on with correct
// bytes, whatever of the big one is served must be correct, resume.json
// and the catalog must stay intact (a restart with the origin gone loads
// both), and the log must say the disk is full.
func TestDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("mounts a tmpfs and runs a real daemon")
	}
	if os.Geteuid() != 0 {
		t.Fatal("TestDiskFull mounts a tmpfs: run it as root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bin := testbin.Daemon(t)
	var handler http.Handler = http.NotFoundHandler()
	var mu sync.RWMutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.RLock()
		h := handler
		mu.RUnlock()
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	work := t.TempDir()
	// e1 6 MiB (will be held), e2 12 MiB (cannot fit next to it).
	ch, err := PublishRandom(ctx, work, srv.URL+"/", []int64{6 << 20, 12 << 20}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	handler = publish.NewOrigin(ch.Dir, publish.OriginOptions{})
	mu.Unlock()
	want := map[string][]byte{}
	for id, p := range ch.Files {
		if want[id], err = os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
	}
	sumE1 := fmt.Sprintf("%x", sha256.Sum256(want["e1"]))

	disk := mountTmpfs(t, 16<<20)
	data := filepath.Join(disk, "atomicbox")
	pp := ports(t, 2)
	logPath := filepath.Join(t.TempDir(), "box.log")
	p, err := Start(ctx, bin, DaemonArgs(data, pp[0], pp[1], ch), logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill) // a failed test leaves no daemon behind
	bx := newBox(pp[0])
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	err = bx.waitCatalog(wctx, 2)
	wcancel()
	if err != nil {
		t.Fatalf("%v\n%s", err, tail(logPath))
	}
	sum, err := bx.fullSHA256(ctx, "e1")
	if err != nil || sum != sumE1 {
		t.Fatalf("e1 before the disk fills: sha %s, %v\n%s", sum, err, tail(logPath))
	}
	if err := bx.putResume(ctx, "e1", 100); err != nil {
		t.Fatal(err)
	}
	t.Logf("free on the data dir before e2: %d KiB", freeBytes(t, disk)>>10)

	// Fill the disk: stream all of e2 (it cannot be held) while e1 plays.
	// A box with no peers gets e2 from the origin at most at
	// piecechoice.OriginRate (four times an 8 Mbit/s stream, the per-box
	// origin bound), so filling takes a while.
	fillCtx, fillCancel := context.WithTimeout(ctx, 75*time.Second)
	defer fillCancel()
	e2 := make(chan error, 1)
	var e2Bytes int64
	go func() {
		n, err := bx.checkRange(fillCtx, "e2", 0, 12<<20, want["e2"])
		e2Bytes = n
		e2 <- err
	}()
	var plays, playBytes int64
	full := false
	var lastPut error
	for i := 0; ; i++ {
		select {
		case err := <-e2:
			// e2 cannot be held: the box may end its stream early (or
			// the fill time may end it), but what arrived must match.
			if errors.Is(err, errCorrupt) || err != nil && !errors.Is(err, errShortBody) && fillCtx.Err() == nil {
				t.Errorf("e2 while filling the disk: %v", err)
			}
			goto filled
		case <-fillCtx.Done():
			goto filled
		default:
		}
		off := int64(i*397<<10) % (6<<20 - 256<<10)
		n, err := bx.checkRange(ctx, "e1", off, 256<<10, want["e1"])
		if err != nil || n != 256<<10 {
			t.Errorf("playback of the held episode while the disk fills: %d of %d bytes, %v", n, 256<<10, err)
		}
		plays++
		playBytes += n
		if freeBytes(t, disk) < 64<<10 {
			full = true
		}
		lastPut = bx.putResume(ctx, "e1", float64(200+i))
		time.Sleep(50 * time.Millisecond)
	}
filled:
	fillCancel()
	full = full || freeBytes(t, disk) < 64<<10
	t.Logf("e1: %d ranges (%d KiB) served correctly while filling; e2: %d KiB served before the stream ended; last resume PUT: %v",
		plays, playBytes>>10, e2Bytes>>10, lastPut)
	if !full {
		t.Errorf("the data dir never filled (free %d KiB): the test did not test a full disk", freeBytes(t, disk)>>10)
	}
	// e1 still plays in full after the disk filled.
	if sum, err := bx.fullSHA256(ctx, "e1"); err != nil || sum != sumE1 {
		t.Errorf("e1 after the disk filled: sha %s, %v", sum, err)
	}
	var acked api.Resume
	if err := bx.get(ctx, "/api/resume/e1", &acked); err != nil {
		t.Fatal(err)
	}
	logText := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	if !strings.Contains(logText(), "no space left on device") {
		t.Errorf("the log never says the disk is full:\n%s", tail(logPath))
	}

	// Nothing corrupt: a clean restart with the origin gone loads the
	// catalog and the resume positions from the full disk.
	// A stop may fail only for what could not be written on the full disk
	// (a resume position whose PUT was already answered with an error, the
	// ledger's last flush): the restart below proves nothing is corrupt.
	if err := p.Stop(20 * time.Second); err != nil {
		if lt := logText(); !strings.Contains(lt, "daemon close") || !strings.Contains(lt, "no space left on device") {
			t.Errorf("stop on a full disk: %v\n%s", err, tail(logPath))
		} else {
			t.Logf("stop on a full disk: %v (pending resume write failed, as its PUT did)", err)
		}
	}
	var rf struct {
		Version  int                   `json:"version"`
		Episodes map[string]api.Resume `json:"episodes"`
	}
	if b, err := os.ReadFile(filepath.Join(data, resume.FileName)); err != nil || json.Unmarshal(b, &rf) != nil {
		t.Errorf("resume.json after the disk filled: %v, %q", err, b)
	}
	if _, err := os.Stat(filepath.Join(data, "catalog", catalog.StoredFile)); err != nil {
		t.Errorf("stored catalog after the disk filled: %v", err)
	}
	mu.Lock()
	handler = http.NotFoundHandler()
	mu.Unlock()
	p2, err := Start(ctx, bin, DaemonArgs(data, pp[0], pp[1], ch), logPath+".2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p2.Kill) // a failed test leaves no daemon behind
	wctx, wcancel = context.WithTimeout(ctx, 30*time.Second)
	err = bx.waitCatalog(wctx, 2)
	wcancel()
	if err != nil {
		t.Fatalf("restart on the full disk: %v\n%s", err, tail(logPath+".2"))
	}
	var got api.Resume
	if err := bx.get(ctx, "/api/resume/e1", &got); err != nil {
		t.Fatal(err)
	}
	if got.Seconds != acked.Seconds && lastPut == nil && !strings.Contains(logText(), "daemon close: resume") {
		t.Errorf("resume e1 after restart: %v, want %v (the last position the daemon reported)", got.Seconds, acked.Seconds)
	}
	if got.Seconds < 100 {
		t.Errorf("resume e1 after restart: %v, want at least the 100 stored before the disk filled", got.Seconds)
	}
	// e1 is on disk: reading it takes well under a second, so a minute
	// means it is being fetched again (with the origin gone, forever).
	rctx, rcancel := context.WithTimeout(ctx, time.Minute)
	sum, err = bx.fullSHA256(rctx, "e1")
	rcancel()
	if err != nil || sum != sumE1 {
		t.Errorf("e1 after restarting on the full disk: sha %s, %v\n%s", sum, err, tail(logPath+".2"))
	}
	// The disk is still full: as above, only writes that find no room may
	// fail at the stop (nothing else), and nothing is corrupt.
	if err := p2.Stop(20 * time.Second); err != nil {
		b, _ := os.ReadFile(logPath + ".2")
		if lt := string(b); !strings.Contains(lt, "daemon close") || !strings.Contains(lt, "no space left on device") {
			t.Errorf("stop: %v\n%s", err, tail(logPath+".2"))
		} else {
			t.Logf("stop on the still full disk: %v (a final write found no room)", err)
		}
	}
}
