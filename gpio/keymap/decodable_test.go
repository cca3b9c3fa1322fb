package keymap

import (
	"testing"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/irtest"
)

// TestDefaultsDecodable checks that every built-in keymap entry can be
// received: its protocol is one gpio/ir decodes, its scancode encodes, and
// the frame sent over the air decodes back to the same code, which the
// default table maps to the entry's key. A keymap for a protocol the
// decoders do not know would silently never fire.
func TestDefaultsDecodable(t *testing.T) {
	table := NewTable(DefaultFile())
	for _, m := range Defaults() {
		if len(m.Entries) == 0 {
			t.Errorf("%s: no entries", m.Name)
		}
		for _, e := range m.Entries {
			c := e.Code()
			if !c.Protocol.Valid() {
				t.Errorf("%s: %v: protocol not decoded by gpio/ir (ir.Protocols %v)", m.Name, c, ir.Protocols)
				continue
			}
			ps, err := ir.Encode(c.Protocol, c.Scancode, false)
			if err != nil {
				t.Errorf("%s: %v: %v", m.Name, c, err)
				continue
			}
			in := append([]ir.Pulse{{Duration: irtest.Gap}}, ps...)
			if c.Protocol == ir.SIRC12 || c.Protocol == ir.SIRC15 { // confirmed by a copy
				in = append(append(in, ir.Pulse{Duration: ir.Period(c.Protocol) - irtest.Length(ps)}), ps...)
			}
			in = append(in, ir.Pulse{Duration: irtest.Gap})
			var got []ir.Code
			for _, f := range irtest.Feed(ir.NewDecoder(), in) {
				got = append(got, f.Code())
			}
			if len(got) != 1 || got[0] != c {
				t.Errorf("%s: %v sent, decoded %v", m.Name, c, got)
				continue
			}
			if k, name, ok := table.Lookup(got[0]); !ok || k != e.Key || name != m.Name {
				t.Errorf("%s: %v decoded, looked up as %q in %q (found %v), want %q", m.Name, c, k, name, ok, e.Key)
			}
		}
	}
}
