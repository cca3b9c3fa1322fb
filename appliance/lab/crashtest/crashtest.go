// Package crashtest kills real atomicboxd processes at random moments and
// checks what survives: state, resume positions and the bytes served.
package crashtest

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/anacrolix/torrent/metainfo"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
)

// Channel is a published channel of generated episodes: random bytes named
// .mp4 so the publisher accepts them. Nothing decodes them; the tests only
// compare bytes, so real MP4s are not needed.
type Channel struct {
	Dir     string // origin directory
	BaseURL string // where boxes reach Dir, ending in "/"
	Key     ed25519.PrivateKey
	Catalog *catalog.Catalog
	// Files maps an episode ID to its media file in Dir.
	Files map[string]string
	// Names maps an episode ID to its torrent's file name (the file name
	// under a box's media/ directory).
	Names map[string]string
}

// PublicKey is the network key as -network-key takes it.
func (c *Channel) PublicKey() string {
	return catalog.FormatPublicKey(c.Key.Public().(ed25519.PublicKey))
}

// EpisodeIDs lists the channel's episodes in catalog order.
func (c *Channel) EpisodeIDs() []string {
	var ids []string
	for _, sh := range c.Catalog.Shows {
		for _, ep := range sh.Episodes {
			ids = append(ids, ep.ID)
		}
	}
	return ids
}

// PublishRandom writes one random episode per entry of sizes (bytes) under
// work/src, IDs e1, e2, ... (content from seed), and publishes them into
// work/origin for boxes that reach it at baseURL. pieceLength 0 = the
// publisher's default. Blocks while writing and hashing.
func PublishRandom(ctx context.Context, work, baseURL string, sizes []int64, pieceLength int64, seed uint64) (*Channel, error) {
	src := filepath.Join(work, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return nil, err
	}
	show := publish.ManifestShow{ID: "crash", Title: "Crash Test"}
	for i, size := range sizes {
		i++
		id := fmt.Sprintf("e%d", i)
		video := filepath.Join(src, id+".mp4")
		if err := testmedia.WriteRandom(video, size, seed+uint64(i)); err != nil {
			return nil, err
		}
		// The duration makes the bit rate 64 Mbit/s: the daemon paces a
		// stream's reads of data it does not hold yet to the bit rate
		// (swarm.paceLead), and these tests read whole episodes to check
		// every byte while the box is still downloading them.
		show.Episodes = append(show.Episodes, publish.ManifestEpisode{
			ID: id, Season: 1, Number: i, Title: "Episode " + id, Video: video, DurationSeconds: float64(size) * 8 / 64e6,
		})
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(work, "origin")
	c, err := publish.Publish(ctx, &publish.Manifest{Network: "Crash Channel", Shows: []publish.ManifestShow{show}}, src,
		publish.Options{OriginDir: dir, BaseURL: baseURL, Key: key, PieceLength: pieceLength})
	if err != nil {
		return nil, fmt.Errorf("publish crash channel: %w", err)
	}
	ch := &Channel{Dir: dir, BaseURL: baseURL, Key: key, Catalog: c, Files: map[string]string{}, Names: map[string]string{}}
	for _, sh := range c.Shows {
		for _, ep := range sh.Episodes {
			mi, err := metainfo.LoadFromFile(filepath.Join(dir, filepath.FromSlash(ep.Torrent)))
			if err != nil {
				return nil, err
			}
			info, err := mi.UnmarshalInfo()
			if err != nil {
				return nil, err
			}
			ch.Names[ep.ID] = info.BestName()
			ch.Files[ep.ID] = filepath.Join(dir, publish.MediaDir, info.BestName())
		}
	}
	return ch, nil
}

// FileSHA256 is the hex SHA-256 of the file at path.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}

// FreePort returns a loopback TCP port the kernel just handed out (and was
// released again): good enough for a test that starts a process on it soon.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Damage simulates page cache lost in a power cut on a file a killed
// daemon was writing: it either truncates the file at a random offset or
// overwrites a random region (up to 256 KiB) with random bytes. A missing
// or empty file is left alone. It returns what it did, for the test log.
func Damage(path string, rng *rand.Rand) (string, error) {
	st, err := os.Stat(path)
	if err != nil || st.Size() == 0 {
		return "", nil
	}
	if rng.IntN(2) == 0 {
		at := rng.Int64N(st.Size())
		return fmt.Sprintf("truncated %s to %d of %d", filepath.Base(path), at, st.Size()), os.Truncate(path, at)
	}
	n := min(st.Size(), 1+rng.Int64N(256<<10))
	at := rng.Int64N(st.Size() - n + 1)
	junk := make([]byte, n)
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return "", err
	}
	if _, err := f.WriteAt(junk, at); err != nil {
		f.Close()
		return "", err
	}
	return fmt.Sprintf("overwrote %d bytes of %s at %d", n, filepath.Base(path), at), f.Close()
}

// Process is an atomicboxd (or any) process started for a crash test.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid after done
}

// Start runs bin with args, its output appended to logPath, in its own
// process group, with this process's environment plus env ("KEY=value").
// The process lives until Kill or Stop, whatever happens to ctx (only the
// start honours ctx).
func Start(ctx context.Context, bin string, args []string, logPath string, env ...string) (*Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), env...)
	// Pdeathsig: a test binary that dies (timeout panic) takes its daemons along.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Kill sends SIGKILL and blocks until the process is gone.
func (p *Process) Kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop sends SIGTERM, waits up to grace, then kills. It returns the
// process's exit error (nil for exit 0), or an error if it had to kill.
func (p *Process) Stop(grace time.Duration) error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		return p.err
	case <-t.C:
		p.Kill()
		return fmt.Errorf("pid %d did not stop within %v; killed", p.Pid(), grace)
	}
}

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// DaemonArgs are atomicboxd's flags for a loopback box on the given ports,
// without DHT or trackers.
func DaemonArgs(dataDir string, apiPort, btPort int, ch *Channel, peers ...string) []string {
	args := []string{
		"-data", dataDir, "-listen", fmt.Sprintf("127.0.0.1:%d", apiPort), "-channel", ch.BaseURL,
		"-network-key", ch.PublicKey(), "-bt-port", fmt.Sprint(btPort), "-no-dht", "-no-trackers",
	}
	for _, p := range peers {
		args = append(args, "-peer", p)
	}
	return args
}
