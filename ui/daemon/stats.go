package daemon

import (
	"context"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

// Stats returns the daemon's transfer figures (GET /api/stats): per
// episode, the bytes received from peers and from the origin since the
// daemon started, the peers connected now and the share held on disk.
func (c *Client) Stats(ctx context.Context) (api.Stats, error) {
	var st api.Stats
	err := c.getJSON(ctx, "/api/stats", &st)
	return st, err
}
