// Package qr encodes bytes as a QR code (ISO/IEC 18004): byte mode, error
// correction level M, versions 1 to 10, the mask chosen by the standard's
// penalty rules. It is what the TV draws for a phone to scan; it has no
// decoder (tests use a third-party one).
package qr

import (
	"errors"
	"fmt"
	"image"
	"image/color"
)

// MaxVersion is the largest version Encode makes (57x57 modules).
const MaxVersion = 10

// ErrTooLong is returned (wrapped) when data does not fit version MaxVersion.
var ErrTooLong = errors.New("qr: data too long")

// Code is an encoded symbol. Modules are dark where true; it does not
// include the quiet zone (4 light modules around it).
type Code struct {
	Version int // 1..MaxVersion
	Mask    int // 0..7
	Size    int // modules per side: 17 + 4*Version
	dark    []bool
}

// Dark says whether the module at column x, row y is dark; outside the
// symbol (the quiet zone) it is light.
func (c *Code) Dark(x, y int) bool {
	if x < 0 || y < 0 || x >= c.Size || y >= c.Size {
		return false
	}
	return c.dark[y*c.Size+x]
}

// Image draws the code with scale pixels per module and quiet modules of
// light border on each side (the standard asks for 4).
func (c *Code) Image(scale, quiet int) *image.Gray {
	n := (c.Size + 2*quiet) * scale
	img := image.NewGray(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			v := uint8(255)
			if c.Dark(x/scale-quiet, y/scale-quiet) {
				v = 0
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	return img
}

// blockSpec is the error correction layout of one version at level M
// (ISO/IEC 18004 table 9).
type blockSpec struct {
	ecPerBlock int
	groups     [2][2]int // {number of blocks, data codewords per block}
}

// levelM is indexed by version (index 0 unused).
var levelM = [MaxVersion + 1]blockSpec{
	1:  {10, [2][2]int{{1, 16}}},
	2:  {16, [2][2]int{{1, 28}}},
	3:  {26, [2][2]int{{1, 44}}},
	4:  {18, [2][2]int{{2, 32}}},
	5:  {24, [2][2]int{{2, 43}}},
	6:  {16, [2][2]int{{4, 27}}},
	7:  {18, [2][2]int{{4, 31}}},
	8:  {22, [2][2]int{{2, 38}, {2, 39}}},
	9:  {22, [2][2]int{{3, 36}, {2, 37}}},
	10: {26, [2][2]int{{4, 43}, {1, 44}}},
}

// alignment lists the alignment pattern centre coordinates per version.
var alignment = [MaxVersion + 1][]int{
	2: {6, 18}, 3: {6, 22}, 4: {6, 26}, 5: {6, 30}, 6: {6, 34},
	7: {6, 22, 38}, 8: {6, 24, 42}, 9: {6, 26, 46}, 10: {6, 28, 50},
}

func (s blockSpec) dataCodewords() int {
	return s.groups[0][0]*s.groups[0][1] + s.groups[1][0]*s.groups[1][1]
}

// countBits is the length of byte mode's character count field.
func countBits(version int) int {
	if version <= 9 {
		return 8
	}
	return 16
}

// Capacity is how many bytes fit a version at level M.
func Capacity(version int) int {
	if version < 1 || version > MaxVersion {
		return 0
	}
	return (levelM[version].dataCodewords()*8 - 4 - countBits(version)) / 8
}

// Encode makes the smallest symbol (level M) that holds data.
func Encode(data []byte) (*Code, error) { return encode(data, -1) }

// encode uses mask 0..7, or the best by penalty when mask is -1.
func encode(data []byte, forceMask int) (*Code, error) {
	version := 0
	for v := 1; v <= MaxVersion; v++ {
		if len(data) <= Capacity(v) {
			version = v
			break
		}
	}
	if version == 0 {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLong, len(data), Capacity(MaxVersion))
	}
	codewords := interleave(version, dataCodewords(version, data))
	best, bestPenalty := (*Code)(nil), -1
	for mask := 0; mask < 8; mask++ {
		if forceMask >= 0 && mask != forceMask {
			continue
		}
		c := build(version, mask, codewords)
		if p := penalty(c); bestPenalty < 0 || p < bestPenalty {
			best, bestPenalty = c, p
		}
	}
	return best, nil
}

// bitWriter appends bits most significant first.
type bitWriter struct {
	bytes []byte
	n     int // bits written
}

func (w *bitWriter) write(v uint, bits int) {
	for i := bits - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.bytes = append(w.bytes, 0)
		}
		if v>>uint(i)&1 == 1 {
			w.bytes[w.n/8] |= 0x80 >> uint(w.n%8)
		}
		w.n++
	}
}

// dataCodewords is the bit stream of data in byte mode, terminated and
// padded to the version's data capacity.
func dataCodewords(version int, data []byte) []byte {
	total := levelM[version].dataCodewords()
	var w bitWriter
	w.write(0b0100, 4) // byte mode
	w.write(uint(len(data)), countBits(version))
	for _, b := range data {
		w.write(uint(b), 8)
	}
	w.write(0, min(4, total*8-w.n)) // terminator, shorter when the symbol is full
	if w.n%8 != 0 {
		w.write(0, 8-w.n%8)
	}
	for pad := 0; len(w.bytes) < total; pad++ {
		w.bytes = append(w.bytes, [2]byte{0xEC, 0x11}[pad%2])
	}
	return w.bytes
}

// interleave splits data into the version's blocks, adds each block's
// Reed-Solomon codewords and interleaves them as the symbol stores them.
func interleave(version int, data []byte) []byte {
	spec := levelM[version]
	var blocks, ecs [][]byte
	off := 0
	for _, g := range spec.groups {
		for range g[0] {
			b := data[off : off+g[1]]
			off += g[1]
			blocks = append(blocks, b)
			ecs = append(ecs, rsRemainder(b, spec.ecPerBlock))
		}
	}
	var out []byte
	longest := spec.groups[0][1]
	if spec.groups[1][0] > 0 {
		longest = spec.groups[1][1]
	}
	for i := 0; i < longest; i++ {
		for _, b := range blocks {
			if i < len(b) {
				out = append(out, b[i])
			}
		}
	}
	for i := 0; i < spec.ecPerBlock; i++ {
		for _, e := range ecs {
			out = append(out, e[i])
		}
	}
	return out
}

// GF(256) with the QR polynomial x^8+x^4+x^3+x^2+1.
var gfExp, gfLog = func() (exp [512]byte, log [256]byte) {
	x := 1
	for i := 0; i < 255; i++ {
		exp[i] = byte(x)
		log[x] = byte(i)
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11D
		}
	}
	for i := 255; i < 512; i++ {
		exp[i] = exp[i-255]
	}
	return
}()

func gfMul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return gfExp[int(gfLog[a])+int(gfLog[b])]
}

// rsGenerator returns the coefficients of prod (x - a^i), i < n, highest
// degree first without the leading 1.
func rsGenerator(n int) []byte {
	g := []byte{1}
	for i := 0; i < n; i++ {
		next := make([]byte, len(g)+1)
		for j, c := range g {
			next[j] ^= c
			next[j+1] ^= gfMul(c, gfExp[i])
		}
		g = next
	}
	return g[1:]
}

// rsRemainder is data(x) * x^n mod generator(x): the n error correction codewords.
func rsRemainder(data []byte, n int) []byte {
	gen := rsGenerator(n)
	rem := make([]byte, n)
	for _, d := range data {
		f := d ^ rem[0]
		copy(rem, rem[1:])
		rem[n-1] = 0
		for i, g := range gen {
			rem[i] ^= gfMul(g, f)
		}
	}
	return rem
}

// grid is a symbol under construction: fn marks function modules
// (finders, timing, alignment, format and version information).
type grid struct {
	size     int
	dark, fn []bool
}

func (g *grid) set(x, y int, dark bool) {
	g.dark[y*g.size+x] = dark
	g.fn[y*g.size+x] = true
}

func build(version, mask int, codewords []byte) *Code {
	size := 17 + 4*version
	g := &grid{size: size, dark: make([]bool, size*size), fn: make([]bool, size*size)}
	g.functionPatterns(version)
	g.format(mask) // reserves the format areas before the data is placed
	g.placeData(codewords)
	g.applyMask(mask)
	return &Code{Version: version, Mask: mask, Size: size, dark: g.dark}
}

func (g *grid) functionPatterns(version int) {
	n := g.size
	for i := 0; i < n; i++ { // timing patterns
		g.set(6, i, i%2 == 0)
		g.set(i, 6, i%2 == 0)
	}
	for _, c := range [][2]int{{3, 3}, {n - 4, 3}, {3, n - 4}} { // finders and separators
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				x, y := c[0]+dx, c[1]+dy
				if x < 0 || y < 0 || x >= n || y >= n {
					continue
				}
				d := max(abs(dx), abs(dy))
				g.set(x, y, d != 2 && d != 4)
			}
		}
	}
	pos := alignment[version]
	for i, cx := range pos {
		for j, cy := range pos {
			// Not over the three finders.
			if (i == 0 && j == 0) || (i == 0 && j == len(pos)-1) || (i == len(pos)-1 && j == 0) {
				continue
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					g.set(cx+dx, cy+dy, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	if version >= 7 {
		bits := bchVersion(version)
		for i := 0; i < 18; i++ {
			d := bits>>uint(i)&1 == 1
			a, b := n-11+i%3, i/3
			g.set(a, b, d)
			g.set(b, a, d)
		}
	}
}

// bchVersion is the 18-bit version information: 6 bits of version and 12
// of BCH(18,6) with generator 0x1F25.
func bchVersion(version int) uint {
	rem := uint(version)
	for i := 0; i < 12; i++ {
		rem = rem<<1 ^ (rem>>11)*0x1F25
	}
	return uint(version)<<12 | rem
}

// formatBits is the 15-bit format information for level M (00) and mask:
// BCH(15,5) with generator 0x537, XORed with 0x5412.
func formatBits(mask int) uint {
	data := uint(0b00)<<3 | uint(mask)
	rem := data
	for i := 0; i < 10; i++ {
		rem = rem<<1 ^ (rem>>9)*0x537
	}
	return (data<<10 | rem) ^ 0x5412
}

// format writes both copies of the format information and the dark module.
func (g *grid) format(mask int) {
	bits := formatBits(mask)
	bit := func(i int) bool { return bits>>uint(i)&1 == 1 }
	n := g.size
	// Around the top-left finder: bits 0..7 down column 8 (skipping the
	// timing row), bits 8..14 leftwards along row 8.
	for i := 0; i <= 5; i++ {
		g.set(8, i, bit(i))
	}
	g.set(8, 7, bit(6))
	g.set(8, 8, bit(7))
	g.set(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		g.set(14-i, 8, bit(i))
	}
	// The second copy: bits 0..7 along row 8 from the right edge, bits
	// 8..14 down column 8 from the bottom-left finder.
	for i := 0; i < 8; i++ {
		g.set(n-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		g.set(8, n-15+i, bit(i))
	}
	g.set(8, n-8, true)
}

// placeData fills the non-function modules in the standard's zigzag:
// two-module columns from the right, upwards then downwards, skipping the
// vertical timing column. Remainder modules stay light.
func (g *grid) placeData(codewords []byte) {
	n := g.size
	i := 0
	total := len(codewords) * 8
	for right := n - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		upward := ((right + 1) & 2) == 0
		for vert := 0; vert < n; vert++ {
			y := vert
			if upward {
				y = n - 1 - vert
			}
			for j := 0; j < 2; j++ {
				x := right - j
				if g.fn[y*n+x] {
					continue
				}
				if i < total {
					g.dark[y*n+x] = codewords[i/8]>>uint(7-i%8)&1 == 1
					i++
				}
			}
		}
	}
}

// maskBit is the standard's eight mask conditions (x column, y row).
func maskBit(mask, x, y int) bool {
	switch mask {
	case 0:
		return (x+y)%2 == 0
	case 1:
		return y%2 == 0
	case 2:
		return x%3 == 0
	case 3:
		return (x+y)%3 == 0
	case 4:
		return (x/3+y/2)%2 == 0
	case 5:
		return x*y%2+x*y%3 == 0
	case 6:
		return (x*y%2+x*y%3)%2 == 0
	default:
		return ((x+y)%2+x*y%3)%2 == 0
	}
}

func (g *grid) applyMask(mask int) {
	for y := 0; y < g.size; y++ {
		for x := 0; x < g.size; x++ {
			if !g.fn[y*g.size+x] && maskBit(mask, x, y) {
				g.dark[y*g.size+x] = !g.dark[y*g.size+x]
			}
		}
	}
}

// penalty scores a symbol by the standard's four rules; lower is better.
func penalty(c *Code) int {
	n := c.Size
	p := 0
	line := make([]bool, n)
	for _, horizontal := range []bool{true, false} {
		for a := 0; a < n; a++ {
			for b := 0; b < n; b++ {
				if horizontal {
					line[b] = c.Dark(b, a)
				} else {
					line[b] = c.Dark(a, b)
				}
			}
			p += linePenalty(line)
		}
	}
	// Rule 2: each 2x2 block of one colour.
	for y := 0; y+1 < n; y++ {
		for x := 0; x+1 < n; x++ {
			d := c.Dark(x, y)
			if c.Dark(x+1, y) == d && c.Dark(x, y+1) == d && c.Dark(x+1, y+1) == d {
				p += 3
			}
		}
	}
	// Rule 4: the share of dark modules, 10 points per 5% away from 50%.
	darkN := 0
	for _, d := range c.dark {
		if d {
			darkN++
		}
	}
	total := n * n
	p += abs(darkN*20-total*10) / total * 10
	return p
}

// linePenalty applies rules 1 (runs of five or more) and 3 (the finder-like
// 1:1:3:1:1 pattern with four light modules on one side; outside the
// symbol counts as light) to one row or column.
func linePenalty(line []bool) int {
	p := 0
	run := 1
	for i := 1; i <= len(line); i++ {
		if i < len(line) && line[i] == line[i-1] {
			run++
			continue
		}
		if run >= 5 {
			p += 3 + run - 5
		}
		run = 1
	}
	at := func(i int) bool { return i >= 0 && i < len(line) && line[i] }
	lightRun := func(from, to int) bool {
		for i := from; i < to; i++ {
			if at(i) {
				return false
			}
		}
		return true
	}
	for i := 0; i+7 <= len(line); i++ {
		if at(i) && !at(i+1) && at(i+2) && at(i+3) && at(i+4) && !at(i+5) && at(i+6) &&
			(lightRun(i-4, i) || lightRun(i+7, i+11)) {
			p += 40
		}
	}
	return p
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
