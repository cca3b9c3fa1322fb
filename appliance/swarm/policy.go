package swarm

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/anacrolix/torrent"
)

// Policy hooks: what the daemon's disk, pre-fetch and ledger policies need
// from the swarm. All methods are safe for concurrent use.

// Prefetch asks for the whole episode in the background (at normal
// priority; streams' pieces still come first). It does not block.
func (s *Swarm) Prefetch(episodeID string) error {
	// A dormant episode joins the client here; that does not wait on the
	// network (the torrent's info is in its metainfo).
	ep, err := s.activate(context.Background(), episodeID)
	if err != nil {
		return err
	}
	ep.t.DownloadAll()
	return nil
}

// StopPrefetch withdraws a Prefetch: pieces not yet fetched are no longer
// wanted unless a stream reads them. Pieces already held stay and are
// seeded. It does not block.
func (s *Swarm) StopPrefetch(episodeID string) {
	ep, ok := s.get(episodeID)
	if !ok {
		return
	}
	ep.t.CancelPieces(0, ep.t.NumPieces())
}

// Held returns the verified bytes of the episode on disk; 0 for an unknown
// or dormant episode.
func (s *Swarm) Held(episodeID string) int64 {
	ep, ok := s.get(episodeID)
	if !ok {
		return 0
	}
	return ep.t.BytesCompleted()
}

// Copies returns how many connected peers hold the whole episode (a cheap
// measure of how well it is seeded without this box).
func (s *Swarm) Copies(episodeID string) int {
	ep, ok := s.get(episodeID)
	if !ok {
		return 0
	}
	n := ep.t.NumPieces()
	if n == 0 {
		return 0
	}
	copies := 0
	for _, pc := range ep.t.PeerConns() {
		if int(pc.PeerPieces().GetCardinality()) == n {
			copies++
		}
	}
	return copies
}

// Drop removes the episode from the swarm and deletes its file from the
// media dir, returning the bytes that were held. Open streams on it end
// with an error. Adding it again later starts from nothing. ctx is unused
// today (dropping does not wait on the network) but bounds future work.
func (s *Swarm) Drop(ctx context.Context, episodeID string) (int64, error) {
	s.mu.Lock()
	ep, ok := s.episodes[episodeID]
	if ok {
		delete(s.episodes, episodeID)
	}
	_, sleeping := s.dormant[episodeID]
	delete(s.dormant, episodeID)
	s.mu.Unlock()
	if !ok && !sleeping {
		return 0, fmt.Errorf("%w: %s", ErrUnknownEpisode, episodeID)
	}
	if !ok {
		return 0, nil // dormant: nothing held, nothing in the client
	}
	held := ep.t.BytesCompleted()
	name := ""
	if info := ep.t.Info(); info != nil {
		name = info.BestName()
	}
	s.overlap.forget(ep)
	ep.drop()
	if name == "" {
		return held, nil
	}
	p := filepath.Join(s.cfg.DataDir, MediaDir, name)
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return held, fmt.Errorf("swarm: drop episode %s: %w", episodeID, err)
	}
	return held, nil
}

// Client is the anacrolix client (for the ledger's meter, which polls its
// connections). Callers must not add or drop torrents through it.
func (s *Swarm) Client() *torrent.Client { return s.client }

// EpisodeByInfoHash returns the episode whose torrent has the lower-case hex
// info hash, or "".
func (s *Swarm) EpisodeByInfoHash(hexHash string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, ep := range s.episodes {
		if ep.t.InfoHash().HexString() == hexHash {
			return id
		}
	}
	for id, d := range s.dormant {
		if d.ih.HexString() == hexHash {
			return id
		}
	}
	return ""
}

// Episodes returns the IDs of the episodes added, dormant or not.
func (s *Swarm) Episodes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.episodes)+len(s.dormant))
	for id := range s.episodes {
		ids = append(ids, id)
	}
	for id := range s.dormant {
		ids = append(ids, id)
	}
	return ids
}

// episodeOf returns the episode of torrent t, or nil.
func (s *Swarm) episodeOf(t *torrent.Torrent) *episode {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ep := range s.episodes {
		if ep.t == t {
			return ep
		}
	}
	return nil
}

func (s *Swarm) get(episodeID string) (*episode, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep, ok := s.episodes[episodeID]
	return ep, ok
}

// Warm adds a dormant episode to the BitTorrent client without asking for
// any of it: the box joins the episode's swarm (dials its peers, accepts
// theirs) before anyone presses play, so a viewer at a premiere starts
// over connections already made. A no-op for an episode already in the
// client. It does not wait on the network.
func (s *Swarm) Warm(episodeID string) error {
	_, err := s.activate(context.Background(), episodeID)
	return err
}

// Cool puts an episode back to sleep (see dormant) if the box holds
// nothing of it and nothing streams it, and reports whether it did. A
// warmed episode nobody watched is cooled so that premieres do not pile
// up in the client over months of uptime.
func (s *Swarm) Cool(episodeID string) bool {
	s.activating.Lock()
	defer s.activating.Unlock()
	s.mu.Lock()
	ep, ok := s.episodes[episodeID]
	s.mu.Unlock()
	if !ok {
		return false
	}
	ep.mu.Lock()
	streams := len(ep.streams)
	ep.mu.Unlock()
	// A file in the media dir (held, or placed by hand and being checked)
	// keeps it awake, as it would have kept it from sleeping at Add.
	if streams > 0 || ep.t.BytesCompleted() > 0 || s.holdsFile(ep.asleep.name) {
		return false
	}
	d := *ep.asleep
	ep.mu.Lock()
	d.duration = ep.duration
	ep.mu.Unlock()
	s.mu.Lock()
	if s.episodes[episodeID] != ep {
		s.mu.Unlock()
		return false
	}
	delete(s.episodes, episodeID)
	s.dormant[episodeID] = &d
	s.mu.Unlock()
	s.overlap.forget(ep)
	ep.drop()
	return true
}
