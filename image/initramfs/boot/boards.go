package boot

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Board is a kind of machine and the modules it needs before its root
// partition can be found and mounted.
type Board struct {
	Name       string
	Compatible []string // device tree compatible strings, any of which selects the board
	Modules    []string
}

//go:embed boards.txt
var boardsTxt string

// Boards returns the boards of the embedded boards.txt (which
// scripts/kernel-build.sh also reads to fill the initramfs).
func Boards() []Board {
	b, err := ParseBoards(strings.NewReader(boardsTxt))
	if err != nil {
		panic(fmt.Sprintf("embedded boards.txt: %v", err)) // checked by the tests
	}
	return b
}

// ParseBoards parses lines of "name compatible[|compatible...] module...";
// '#' starts a comment line.
func ParseBoards(r io.Reader) ([]Board, error) {
	var out []Board
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) < 3 {
			return nil, fmt.Errorf("boards line %d: want name, compatible strings and modules", line)
		}
		for _, b := range out {
			if b.Name == f[0] {
				return nil, fmt.Errorf("boards line %d: board %s listed twice", line, f[0])
			}
		}
		compat := strings.Split(f[1], "|")
		if slices.Contains(compat, "") {
			return nil, fmt.Errorf("boards line %d: empty compatible string in %q", line, f[1])
		}
		out = append(out, Board{Name: f[0], Compatible: compat, Modules: f[2:]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read boards: %w", err)
	}
	return out, nil
}

// DetectBoard returns the first board one of whose compatible strings is in
// compatible, the raw device tree property (NUL-separated strings, e.g.
// "raspberrypi,4-model-b\x00brcm,bcm2711\x00").
func DetectBoard(boards []Board, compatible []byte) (Board, bool) {
	have := strings.Split(strings.TrimRight(string(compatible), "\x00"), "\x00")
	for _, b := range boards {
		for _, c := range b.Compatible {
			if slices.Contains(have, c) {
				return b, true
			}
		}
	}
	return Board{}, false
}

// AllModules is every board's modules, each once, in order of appearance:
// what to load on an unknown board.
func AllModules(boards []Board) []string {
	var out []string
	seen := map[string]bool{}
	for _, b := range boards {
		for _, m := range b.Modules {
			if n := ModuleName(m); !seen[n] {
				seen[n] = true
				out = append(out, m)
			}
		}
	}
	return out
}
