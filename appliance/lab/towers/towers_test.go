package towers

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const module = "github.com/atomicnetwork/atomicbox/"

// pkg is one package of the module as go list reports it.
type pkg struct {
	path    string   // without the module prefix, e.g. "gpio/cec"
	imports []string // of the package itself, module paths without the prefix
	tests   []string // of its _test.go files (in-package and external)
	deps    []string // everything the package's own build links, transitively
}

// listPackages runs go list over the whole module (the nocgo build, as
// make test and the image build it).
func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "list", "-tags", "nocgo",
		"-f", "{{.ImportPath}}\t{{join .Imports \" \"}}\t{{join .TestImports \" \"}} {{join .XTestImports \" \"}}\t{{join .Deps \" \"}}",
		module+"...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	ours := func(list string) []string {
		var keep []string
		for _, p := range strings.Fields(list) {
			if rest, ok := strings.CutPrefix(p, module); ok {
				keep = append(keep, rest)
			}
		}
		return keep
	}
	var pkgs []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 {
			t.Fatalf("go list line %q: want 4 fields", sc.Text())
		}
		pkgs = append(pkgs, pkg{path: strings.TrimPrefix(f[0], module), imports: ours(f[1]), tests: ours(f[2]), deps: ours(f[3])})
	}
	if len(pkgs) < 30 {
		t.Fatalf("go list found %d packages of the module; the pattern is wrong", len(pkgs))
	}
	return pkgs
}

func under(path, tower string) bool { return path == tower || strings.HasPrefix(path, tower+"/") }

// remoteAssembly is where the daemon may use the remote library: the box's
// remote assembly and its fake TV.
const remoteAssembly = "appliance/remotes"

// TestThreeTowers enforces the layout the README draws:
//   - the remote library (gpio/) stands alone: no package under gpio/, nor
//     its tests, imports appliance/ or ui/, and nothing it links does;
//   - the TV (ui/) knows the daemon only through its API: no package under
//     ui/, nor its tests, imports gpio/, and the TV's own build links none;
//   - the daemon (appliance/) meets gpio/ only in its remote assembly.
func TestThreeTowers(t *testing.T) {
	checked := map[string]int{}
	for _, p := range listPackages(t) {
		tower := strings.SplitN(p.path, "/", 2)[0]
		checked[tower]++
		all := append(append([]string{}, p.imports...), p.tests...)
		for _, imp := range all {
			switch {
			case tower == "gpio" && (under(imp, "appliance") || under(imp, "ui")):
				t.Errorf("%s imports %s: the remote library must stand alone", p.path, imp)
			case tower == "ui" && under(imp, "gpio"):
				t.Errorf("%s imports %s: the TV knows the daemon only through appliance/api", p.path, imp)
			case tower == "appliance" && under(imp, "gpio") && !under(p.path, remoteAssembly):
				t.Errorf("%s imports %s: the daemon uses gpio/ only in %s", p.path, imp, remoteAssembly)
			}
		}
		for _, dep := range p.deps {
			switch {
			case tower == "gpio" && (under(dep, "appliance") || under(dep, "ui")):
				t.Errorf("%s links %s: the remote library must stand alone", p.path, dep)
			case tower == "ui" && under(dep, "gpio"):
				t.Errorf("%s links %s: the TV process carries no remote library", p.path, dep)
			}
		}
	}
	for _, tower := range []string{"appliance", "ui", "gpio"} {
		if checked[tower] == 0 {
			t.Errorf("no package under %s/ was checked", tower)
		}
	}
}
