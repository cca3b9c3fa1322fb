package bench

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
)

// Channel is a published one-episode channel for a benchmark: the episode
// is random bytes (the protocol does not care what it carries; nothing
// decodes it) named .mp4 so that the publisher accepts it.
type Channel struct {
	Dir       string // the origin directory to serve
	BaseURL   string // where boxes find it, ending in "/"
	Key       ed25519.PrivateKey
	Catalog   *catalog.Catalog
	Episode   catalog.Episode
	MediaPath string // the episode's file in Dir

	manifest *publish.Manifest
	src      string
	opt      publish.Options
}

// PublicKey is the network key a box is given, as -network-key takes it.
func (c *Channel) PublicKey() string {
	return catalog.FormatPublicKey(c.Key.Public().(ed25519.PublicKey))
}

// ChannelOptions describe the episode to generate.
type ChannelOptions struct {
	Size            int64   // bytes
	DurationSeconds float64 // media duration (Size / duration is the bit rate)
	PieceLength     int64   // 0: the publisher's default
	Trackers        []string
	Seed            uint64 // of the random content
	// OriginBoxRate is the catalog's per-box origin budget, bytes/s (0:
	// the boxes' default).
	OriginBoxRate int64
	// ReleaseAt, when set, publishes the episode embargoed until then
	// (encrypted, no key in the catalog); Release publishes the key.
	ReleaseAt time.Time
}

// PublishChannel writes a random episode under work/src and publishes it
// into work/origin for boxes that reach the origin at baseURL. Blocks while
// writing and hashing.
func PublishChannel(ctx context.Context, work, baseURL string, opt ChannelOptions) (*Channel, error) {
	src := filepath.Join(work, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return nil, err
	}
	const id = "crowd"
	video := filepath.Join(src, id+".mp4")
	if err := testmedia.WriteRandom(video, opt.Size, opt.Seed); err != nil {
		return nil, err
	}
	m := &publish.Manifest{
		Network: "Benchmark Channel",
		Shows: []publish.ManifestShow{{
			ID: "bench", Title: "Benchmark",
			Episodes: []publish.ManifestEpisode{{
				ID: id, Season: 1, Number: 1, Title: "Flash crowd",
				Video: video, DurationSeconds: opt.DurationSeconds, ReleaseAt: opt.ReleaseAt,
			}},
		}},
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(work, "origin")
	popt := publish.Options{
		OriginDir: dir, BaseURL: baseURL, Key: key, Trackers: opt.Trackers, PieceLength: opt.PieceLength,
		OriginBoxRate: opt.OriginBoxRate,
	}
	c, err := publish.Publish(ctx, m, src, popt)
	if err != nil {
		return nil, fmt.Errorf("publish benchmark channel: %w", err)
	}
	ep := c.Shows[0].Episodes[0]
	return &Channel{
		Dir: dir, BaseURL: baseURL, Key: key, Catalog: c, Episode: ep,
		MediaPath: filepath.Join(dir, publish.MediaDir, id+".mp4"),
		manifest:  m, src: src, opt: popt,
	}, nil
}

// Release moves the embargoed episode's release time to now and publishes
// the catalog again, which then carries the content key (the network
// releasing a premiere; the torrent, and so what boxes pre-fetched, stays
// the same). Blocks while publishing.
func (c *Channel) Release(ctx context.Context) error {
	now := time.Now()
	c.manifest.Shows[0].Episodes[0].ReleaseAt = now
	cat, err := publish.Publish(ctx, c.manifest, c.src, c.opt)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	ep := cat.Shows[0].Episodes[0]
	if ep.ContentKey == "" || ep.InfoHash != c.Episode.InfoHash {
		return fmt.Errorf("release: the new catalog has key %t and info hash %s (was %s)", ep.ContentKey != "", ep.InfoHash, c.Episode.InfoHash)
	}
	c.Catalog, c.Episode = cat, ep
	return nil
}

// MediaURL is the episode's URL on the origin (what a plain HTTP player reads).
func (c *Channel) MediaURL() string {
	return c.BaseURL + publish.MediaDir + "/" + filepath.Base(c.MediaPath)
}
