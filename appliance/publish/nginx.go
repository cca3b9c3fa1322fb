package publish

import _ "embed"

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
