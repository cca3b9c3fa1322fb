package piecechoice

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestPlainFunctions keeps the package what its comment promises, so a
// simulator can run it: its build links no BitTorrent library, no network
// and no file system.
func TestPlainFunctions(t *testing.T) {
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "list", "-deps",
		"github.com/atomicnetwork/atomicbox/appliance/swarm/piecechoice").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 5 {
		t.Fatalf("go list -deps gave %d packages; want the package and the runtime's", len(deps))
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/anacrolix/") || d == "net" || d == "os" || strings.HasPrefix(d, "net/") {
			t.Errorf("piecechoice links %s: it must stay plain functions", d)
		}
	}
}
