package edge

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
)

// The pulse file format (version 1) is text, for bug reports and test
// captures:
//
//	# atomicbox ir pulses v1
//	# source: /dev/gpiochip0 line 18 (pinctrl-bcm2711)
//	# start: 2026-11-25T15:40:00Z
//	+9024 -4480 +570 -550 +570 -1680 ...
//
// The first line is exactly the magic line. Other lines starting with '#'
// are "key: value" headers (or free comments). Every other line holds pulses
// separated by spaces: '+' and a duration for a mark, '-' for a space, in
// whole microseconds from 1 to MaxPulse. Adjacent pulses of the same level
// are allowed (they add up). Lines are at most MaxLine bytes.

// Magic is the first line of a pulse file.
const Magic = "# atomicbox ir pulses v1"

// Limits of the pulse file format.
const (
	MaxPulse  = 3600 * time.Second
	MaxLine   = 4096
	MaxPulses = 4 << 20
)

// ErrPulseFile wraps every reason ReadPulses refuses a file.
var ErrPulseFile = errors.New("bad pulse file")

// PulseFile is a parsed pulse file.
type PulseFile struct {
	Headers [][2]string // "key: value" lines in order; comments have an empty key
	Pulses  []ir.Pulse
}

// Header returns the value of the first header named key.
func (f *PulseFile) Header(key string) string {
	for _, h := range f.Headers {
		if h[0] == key {
			return h[1]
		}
	}
	return ""
}

// ReadPulses parses a pulse file. It never panics on bad input; errors wrap
// ErrPulseFile and name the line.
func ReadPulses(r io.Reader) (*PulseFile, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, MaxLine), MaxLine)
	f := &PulseFile{}
	line := 0
	bad := func(format string, a ...any) (*PulseFile, error) {
		return nil, fmt.Errorf("%w: line %d: %s", ErrPulseFile, line, fmt.Sprintf(format, a...))
	}
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if line == 1 {
			if text != Magic {
				return bad("first line is %.40q, want %q", text, Magic)
			}
			continue
		}
		if strings.HasPrefix(text, "#") {
			kv := strings.TrimSpace(text[1:])
			if k, v, ok := strings.Cut(kv, ":"); ok && !strings.ContainsAny(k, " \t") && k != "" {
				f.Headers = append(f.Headers, [2]string{k, strings.TrimSpace(v)})
			} else {
				f.Headers = append(f.Headers, [2]string{"", kv})
			}
			continue
		}
		for _, tok := range strings.Fields(text) {
			if len(f.Pulses) == MaxPulses {
				return bad("more than %d pulses", MaxPulses)
			}
			if len(tok) < 2 || (tok[0] != '+' && tok[0] != '-') {
				return bad("pulse %.20q is not +N or -N", tok)
			}
			us, err := strconv.ParseUint(tok[1:], 10, 32)
			if err != nil || tok[1] == '+' || tok[1] == '-' {
				return bad("pulse %.20q is not +N or -N", tok)
			}
			d := time.Duration(us) * time.Microsecond
			if us == 0 || d > MaxPulse {
				return bad("pulse %q out of range 1..%d us", tok, MaxPulse.Microseconds())
			}
			f.Pulses = append(f.Pulses, ir.Pulse{Level: tok[0] == '+', Duration: d})
		}
	}
	if err := sc.Err(); err != nil {
		line++
		return bad("%v", err)
	}
	if line == 0 {
		return bad("empty file")
	}
	return f, nil
}

// PulseWriter writes a pulse file, merging adjacent pulses of the same level
// and rounding to microseconds (the last pulse is written by Flush). Not
// safe for concurrent use.
type PulseWriter struct {
	w       *bufio.Writer
	pending ir.Pulse
	has     bool
	onLine  int
	err     error
}

// NewPulseWriter writes the magic line and headers ("key", "value" pairs)
// to w.
func NewPulseWriter(w io.Writer, headers ...[2]string) *PulseWriter {
	pw := &PulseWriter{w: bufio.NewWriter(w)}
	_, pw.err = fmt.Fprintln(pw.w, Magic)
	for _, h := range headers {
		if pw.err == nil {
			_, pw.err = fmt.Fprintf(pw.w, "# %s: %s\n", h[0], strings.ReplaceAll(h[1], "\n", " "))
		}
	}
	return pw
}

// Write adds one pulse.
func (pw *PulseWriter) Write(p ir.Pulse) {
	if pw.has && pw.pending.Level == p.Level {
		pw.pending.Duration += p.Duration
		return
	}
	pw.out()
	pw.pending, pw.has = p, true
}

func (pw *PulseWriter) out() {
	if !pw.has || pw.err != nil {
		return
	}
	p := pw.pending
	p.Duration = min(max(p.Duration.Round(time.Microsecond), time.Microsecond), MaxPulse)
	sep := " "
	if pw.onLine == 0 {
		sep = ""
	}
	_, pw.err = fmt.Fprintf(pw.w, "%s%s", sep, p)
	pw.onLine++
	if pw.onLine == 16 {
		_, pw.err = fmt.Fprintln(pw.w)
		pw.onLine = 0
	}
	pw.has = false
}

// Flush writes the pending pulse and a final newline and flushes; it
// returns the first error met since the writer was made.
func (pw *PulseWriter) Flush() error {
	pw.out()
	if pw.onLine != 0 && pw.err == nil {
		_, pw.err = fmt.Fprintln(pw.w)
		pw.onLine = 0
	}
	if pw.err == nil {
		pw.err = pw.w.Flush()
	}
	return pw.err
}
