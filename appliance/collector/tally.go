package collector

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/ledger"
)

// MonthFormat is how months are written.
const MonthFormat = "2006-01"

// Row is one box's month.
type Row struct {
	BoxKey string `json:"boxKey"` // base64 (std)
	Month  string `json:"month"`  // MonthFormat
	// Claimed is what the box's reports say it uploaded, to anyone
	// (boxes or not).
	Claimed int64 `json:"claimed"`
	// ClaimedToBoxes is the part of Claimed it says went to named boxes.
	ClaimedToBoxes int64 `json:"claimedToBoxes"`
	// Confirmed is Σ min(gave B, B says got from it) over named boxes B:
	// the contribution the network credits.
	Confirmed int64 `json:"confirmed"`
	// ConfirmingBoxes counts the boxes whose reports confirmed any of it.
	ConfirmingBoxes int `json:"confirmingBoxes"`
}

// pair is what passed between two boxes over a month, as one of them says.
type pair struct{ gave, got int64 }

// Tally returns the month's table (month in MonthFormat), one row per box
// that reported any day of it, most confirmed first. It reuses the last
// tally of the month while no report arrived since. Holds the collector's
// lock while it runs: accepts wait.
func (c *Collector) Tally(month string) ([]Row, error) {
	if _, err := time.Parse(MonthFormat, month); err != nil || len(month) != len(MonthFormat) {
		return nil, fmt.Errorf("month %q is not YYYY-MM", month)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if tc, ok := c.cache[month]; ok && tc.gen == c.gen {
		return tc.rows, nil
	}
	rows := c.tallyLocked(month)
	c.cache[month] = tallyCache{gen: c.gen, rows: rows}
	return rows, nil
}

func (c *Collector) tallyLocked(month string) []Row {
	prefix := month + "-"
	// Pass 1: each reporting box's month, per counterpart, as it says.
	sums := make([]map[uint32]pair, len(c.boxes))
	claimed := make([]int64, len(c.boxes))
	reported := make([]bool, len(c.boxes))
	for i, b := range c.boxes {
		if b == nil {
			continue
		}
		var m map[uint32]pair
		for date, d := range b.days {
			if !strings.HasPrefix(date, prefix) {
				continue
			}
			reported[i] = true
			claimed[i] += d.uploaded
			if m == nil {
				m = make(map[uint32]pair, len(d.boxes))
			}
			for _, cp := range d.boxes {
				p := m[cp.peer]
				p.gave += cp.gave
				p.got += cp.got
				m[cp.peer] = p
			}
		}
		sums[i] = m
	}
	// Who names whom: a gift from A to B counts only if some reporting box
	// other than B named A this month, and some box other than A named B
	// (both witnessed): a key that only its partner ever names, such as
	// one a box invented to confirm itself, neither earns nor confirms.
	const none = ^uint32(0)
	namer := make([]uint32, len(c.boxes)) // the first box that named it, or none
	multi := make([]bool, len(c.boxes))   // named by two boxes or more
	for i := range namer {
		namer[i] = none
	}
	for i, m := range sums {
		for peer := range m {
			switch namer[peer] {
			case none:
				namer[peer] = uint32(i)
			case uint32(i):
			default:
				multi[peer] = true
			}
		}
	}
	witnessed := func(b, a uint32) bool { return multi[b] || (namer[b] != none && namer[b] != a) }
	// Pass 2: credit each gift as far as its receiver confirms it.
	var rows []Row
	for i := range c.boxes {
		if !reported[i] {
			continue
		}
		row := Row{BoxKey: c.keys[i].String(), Month: month, Claimed: claimed[i]}
		for peer, p := range sums[i] {
			row.ClaimedToBoxes += p.gave
			if int(peer) == i || p.gave == 0 || !witnessed(peer, uint32(i)) || !witnessed(uint32(i), peer) {
				continue
			}
			confirmed := min(p.gave, sums[peer][uint32(i)].got) // nil map: 0
			if confirmed > 0 {
				row.Confirmed += confirmed
				row.ConfirmingBoxes++
			}
		}
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b Row) int {
		if a.Confirmed != b.Confirmed {
			if a.Confirmed > b.Confirmed {
				return -1
			}
			return 1
		}
		return strings.Compare(a.BoxKey, b.BoxKey)
	})
	return rows
}

// BoxMonth returns one box's row for month (zeros when it reported
// nothing that month).
func (c *Collector) BoxMonth(key ledger.BoxKey, month string) (Row, error) {
	rows, err := c.Tally(month)
	if err != nil {
		return Row{}, err
	}
	want := key.String()
	for _, r := range rows {
		if r.BoxKey == want {
			return r, nil
		}
	}
	return Row{BoxKey: want, Month: month}, nil
}
