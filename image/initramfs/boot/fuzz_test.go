package boot

import (
	"bytes"
	"strings"
	"testing"
)

func FuzzParseCmdline(f *testing.F) {
	f.Add("console=tty1 root=PARTUUID=2a8d5d2c-02 init=/gokrazy/init rootwait")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCmdline(s)
		if err != nil {
			return
		}
		// What parses names something, and prints as it parsed.
		if c.Root.Device == "" && c.Root.PartUUID == "" || !strings.HasPrefix(c.Init, "/") {
			t.Fatalf("ParseCmdline(%q) = %+v", s, c)
		}
		again, err := ParseRoot(c.Root.String())
		if err != nil || again != c.Root {
			t.Fatalf("root %+v printed as %q parses to %+v, %v", c.Root, c.Root.String(), again, err)
		}
	})
}

func FuzzReadPartitions(f *testing.F) {
	f.Add(gokrazyMBR())
	f.Fuzz(func(t *testing.T, disk []byte) {
		parts, err := ReadPartitions(bytes.NewReader(disk))
		if err != nil {
			return
		}
		for _, p := range parts {
			if p.Number < 1 || p.Number > maxGPTEntries || p.Sectors == 0 {
				t.Fatalf("partition %+v out of range", p)
			}
			if _, err := ParseRoot("PARTUUID=" + p.PartUUID); err != nil {
				t.Fatalf("partition %+v: its PARTUUID does not parse: %v", p, err)
			}
		}
	})
}

func FuzzParseModulesDep(f *testing.F) {
	f.Add(testDep, "vc4 ext4")
	f.Fuzz(func(t *testing.T, dep, names string) {
		d, err := ParseModulesDep(strings.NewReader(dep))
		if err != nil {
			return
		}
		files, _ := d.Order(strings.Fields(names), nil)
		pos := map[string]int{}
		for i, f := range files {
			if _, dup := pos[f]; dup {
				t.Fatalf("%s ordered twice", f)
			}
			pos[f] = i
		}
		for i, f := range files {
			for _, dep := range d.deps[f] {
				if j, ok := pos[dep]; !ok || j > i {
					t.Fatalf("%s ordered before its dependency %s", f, dep)
				}
			}
		}
	})
}

func FuzzParseBoards(f *testing.F) {
	f.Add(boardsTxt, "raspberrypi,4-model-b\x00brcm,bcm2711\x00")
	f.Fuzz(func(t *testing.T, txt, compatible string) {
		boards, err := ParseBoards(strings.NewReader(txt))
		if err != nil {
			return
		}
		if b, ok := DetectBoard(boards, []byte(compatible)); ok && len(b.Modules) == 0 {
			t.Fatalf("board %+v without modules", b)
		}
	})
}
