package publish

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/state"
)

// NginxOrigin is the nginx configuration a network serves its origin
// directory with (nginx-origin.conf beside this file): to be included in a
// server block whose root is the origin directory. It sets what
// atomicpublish serve does: no dotfiles, no listings, Range on media, and
// the caching contract (catalog and signature revalidated on every request,
// media immutable). The README points to the file and the end-to-end test
// serves with exactly these bytes.
//
//go:embed nginx-origin.conf
var NginxOrigin string

// TrackerWhitelist lists the info hashes (hex, one per episode) of c, in
// catalog order: what a tracker in whitelist mode (Debian's opentracker)
// must track for the network's boxes to find each other through it.
func TrackerWhitelist(c *catalog.Catalog) []string {
	var hs []string
	for _, s := range c.Shows {
		for _, e := range s.Episodes {
			hs = append(hs, e.InfoHash)
		}
	}
	return hs
}

// WriteTrackerWhitelist writes TrackerWhitelist(c) to path, one hash a
// line, atomically (opentracker reads it at start and on SIGHUP; a reader
// never sees half a list).
func WriteTrackerWhitelist(path string, c *catalog.Catalog) error {
	var b strings.Builder
	for _, h := range TrackerWhitelist(c) {
		b.WriteString(h + "\n")
	}
	if err := state.WriteFileAtomic(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("publish: tracker whitelist: %w", err)
	}
	return nil
}
