// Package testbin builds the box's own programs for the tests and lab
// tools that run them as separate processes (crowds, crash loops, interop,
// the seeding load): any main of the module, and atomicboxd once per test
// binary.
package testbin

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Module is this repository's module path.
const Module = "github.com/atomicnetwork/atomicbox"

// DaemonPackage is atomicboxd's main package.
const DaemonPackage = Module + "/appliance/cmd/atomicboxd"

// Build compiles the main package pkg (CGO_ENABLED=0 and the tags netgo
// and osusergo, as gok builds the image) into dir with the go tool that
// built the running program, and returns the binary's path. It blocks for
// the build. make test's TAGS carry the same two, so under make test the
// dependency graph comes from the build cache.
func Build(ctx context.Context, dir, pkg string) (string, error) {
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.CommandContext(ctx, filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-tags", "netgo,osusergo", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", filepath.Base(pkg), err, msg)
	}
	return out, nil
}

var daemon struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Daemon returns the path of atomicboxd built once per test binary (the
// first call blocks for the build, up to 5 minutes), or $ATOMICBOXD when
// set; it fails t if the build fails. Safe for concurrent use. The test
// binary's TestMain is Main, which removes the build at the end.
func Daemon(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("ATOMICBOXD"); p != "" {
		return p
	}
	daemon.once.Do(func() {
		daemon.dir, daemon.err = os.MkdirTemp("", "atomicboxd-test-")
		if daemon.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		daemon.path, daemon.err = Build(ctx, daemon.dir, DaemonPackage)
	})
	if daemon.err != nil {
		t.Fatal(daemon.err)
	}
	return daemon.path
}

// Main runs the tests and removes what Daemon built; a test binary that
// calls Daemon uses it as its TestMain: func TestMain(m *testing.M) { testbin.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if daemon.dir != "" {
		os.RemoveAll(daemon.dir)
	}
	os.Exit(code)
}
