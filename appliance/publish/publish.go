// Package publish is the network's side of a channel: it turns a manifest of
// videos into an origin directory of media, torrents with web seeds and a
// signed catalog, and serves that directory.
package publish

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/embargo"
	"github.com/atomicnetwork/atomicbox/appliance/state"
)

// Folders under the origin directory (and the base URL).
const (
	MediaDir   = "media"
	PostersDir = "posters"
	TorrentDir = "torrents"
)

// CreatedBy is the "created by" of every torrent the publisher makes.
const CreatedBy = "atomicbox"

// cacheFile remembers, per episode, which media file a torrent was hashed
// from, so re-publishing unchanged media does not hash it again. It is a
// dotfile: the origin never serves it.
const cacheFile = ".publish-cache.json"

// Options says where and how to publish.
type Options struct {
	OriginDir string             // the directory the origin serves
	BaseURL   string             // public URL of OriginDir, ending in "/"
	Key       ed25519.PrivateKey // the network's signing key
	Trackers  []string           // announce URLs, in order of preference; may be empty
	// OriginBoxRate is the catalog's per-box origin budget in bytes/s
	// (catalog.Catalog.OriginBoxRate); 0: boxes use their default.
	OriginBoxRate int64
	PieceLength   int64 // bytes; 0 = auto: PieceLengthFor the file's size and duration
	// ValidFor is how long boxes take the catalog as current
	// (catalog.Catalog.ValidUntil = now + ValidFor): publish again within
	// it. 0 = DefaultValidFor; at most catalog.MaxValidity.
	ValidFor time.Duration
	Now      func() time.Time // nil: time.Now
}

// DefaultValidFor is a catalog's validity when Options.ValidFor is 0: two
// weeks, so a weekly republication (new episodes, embargo keys) never lets
// a box's listing go stale.
const DefaultValidFor = 14 * 24 * time.Hour

// Automatic piece lengths (PieceLengthFor).
const (
	// PieceSeconds is the most media time an automatic piece holds. A box
	// passes a piece on only once it holds all of it and has checked it,
	// and every connection to a box races for the chunks of the piece at
	// its playhead, so long pieces leave upload unused and bytes
	// duplicated. The 30-box flash crowd of a 64 MiB 8 Mbit/s episode on
	// this project's lab (appliance/lab/bench, 2026-12-07, alone) with
	// the network at a quarter of demand ("thin") rebuffered 0.082 and
	// 0.089 of the time with 256 KiB pieces (0.26 s of media) and 0.264
	// with 1 MiB, the length a 45-minute episode got by size alone; 30
	// boxes with the seed box at half of demand ("crowd30") 0.0042 to
	// 0.0066 against 0.068. 128 KiB did better still on thin (0.036,
	// 0.052, then 0.066 and 0.078) but cost CPU per byte (35 to 44
	// CPU-s per GiB delivered; 58 at 64 KiB) and raised crowd30's median
	// start from 0.42-0.48 s to 0.60-0.62 s, and the 2-core lab could no
	// longer run crowd30 with 15% CPU to spare. Each piece also costs
	// memory while its episode is in a box's client: anacrolix keeps about
	// 440 bytes of heap per piece (1.7 MiB per GiB at 256 KiB; the swarm
	// adds only the episodes a box holds, plays or expects a crowd for).
	PieceSeconds = 0.3
	// MinPieceLength and MaxPieceLength bound automatic piece lengths.
	MinPieceLength = 64 << 10
	MaxPieceLength = 16 << 20
	// MaxPieces caps an automatic torrent's pieces, longer pieces taking
	// over for long files: each piece is 20 bytes of hash in the .torrent
	// a box fetches (640 KiB at the cap; boxes refuse torrents over 4 MiB)
	// and 440 bytes of a box's heap while it holds or plays the episode
	// (14 MiB at the cap).
	MaxPieces = 32768
)

// PieceLengthFor is the automatic piece length for a file of size bytes
// that plays for durationSeconds: the longest power of two holding at most
// PieceSeconds of media at the file's average bit rate, within
// [MinPieceLength, MaxPieceLength], doubled while the file would have over
// MaxPieces pieces. An 8 Mbit/s episode gets 256 KiB pieces, a 25 Mbit/s
// one 512 KiB. With no duration (0) the bit rate is unknown and the length
// goes by size alone: 256 KiB up to 512 MiB, 1 MiB up to 4 GiB, 4 MiB
// above.
func PieceLengthFor(size int64, durationSeconds float64) int64 {
	var pl int64
	switch {
	case durationSeconds > 0 && !math.IsInf(durationSeconds, 0):
		media := float64(size) / durationSeconds * PieceSeconds // bytes
		pl = MinPieceLength
		for pl < MaxPieceLength && float64(2*pl) <= media {
			pl *= 2
		}
	case size <= 512<<20:
		pl = 256 << 10
	case size <= 4<<30:
		pl = 1 << 20
	default:
		pl = 4 << 20
	}
	for pl < MaxPieceLength && (size+pl-1)/pl > MaxPieces {
		pl *= 2
	}
	return pl
}

// Publish copies the manifest's media into opt.OriginDir (hard links when
// on the same file system), makes one single-file torrent per episode whose
// BEP 19 web seed is opt.BaseURL+"media/", and writes a catalog whose
// sequence is one more than the previous one's, then its signature. An
// unreadable previous catalog is an error, never a reset. Files that boxes
// read are each replaced atomically; the catalog is written before its
// signature (boxes re-read the signature on a mismatch). It blocks while
// hashing and copying; ctx stops it between pieces. One Publish at a time
// per origin directory (it does not lock; atomicpublish takes LockOrigin);
// serving the directory meanwhile is fine. Media of episodes dropped from the manifest is left in place.
func Publish(ctx context.Context, m *Manifest, manifestDir string, opt Options) (*catalog.Catalog, error) {
	if err := checkOptions(&opt); err != nil {
		return nil, err
	}
	prevSeq, err := previousSequence(opt.OriginDir)
	if err != nil {
		return nil, err
	}
	cache := loadCache(opt.OriginDir)
	keys, err := loadEmbargoKeys(opt.OriginDir)
	if err != nil {
		return nil, err
	}
	c := &catalog.Catalog{
		Format:     catalog.FormatVersion,
		Network:    m.Network,
		Sequence:   prevSeq + 1,
		Published:  opt.Now().UTC().Truncate(time.Second),
		ValidUntil: opt.Now().UTC().Truncate(time.Second).Add(opt.ValidFor),
		Trackers:   opt.Trackers,
		Shows:      make([]catalog.Show, 0, len(m.Shows)),

		OriginBoxRate: opt.OriginBoxRate,
	}
	for _, ms := range m.Shows {
		s := catalog.Show{ID: ms.ID, Title: ms.Title, Synopsis: ms.Synopsis, Episodes: make([]catalog.Episode, 0, len(ms.Episodes))}
		if ms.Poster != "" {
			if s.Poster, s.PosterSHA256, err = placePoster(ResolvePath(manifestDir, ms.Poster), opt.OriginDir, ms.ID); err != nil {
				return nil, fmt.Errorf("publish show %s: %w", ms.ID, err)
			}
		}
		for _, me := range ms.Episodes {
			e, err := publishEpisode(ctx, me, manifestDir, opt, cache, keys)
			if err != nil {
				return nil, fmt.Errorf("publish episode %s: %w", me.ID, err)
			}
			s.Episodes = append(s.Episodes, e)
		}
		c.Shows = append(c.Shows, s)
	}
	if err := catalog.Validate(c); err != nil {
		return nil, fmt.Errorf("publish: the catalog would not be accepted by boxes: %w", err)
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("publish: encode catalog: %w", err)
	}
	data = append(data, '\n')
	if len(data) > catalog.MaxCatalogBytes {
		return nil, fmt.Errorf("publish: catalog is %d bytes, more than boxes accept (%d)", len(data), catalog.MaxCatalogBytes)
	}
	if err := saveCache(opt.OriginDir, cache); err != nil {
		return nil, err
	}
	if err := saveEmbargoKeys(opt.OriginDir, keys); err != nil {
		return nil, err
	}
	if err := state.WriteFileAtomic(filepath.Join(opt.OriginDir, catalog.CatalogFile), data, 0o644); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	if err := state.WriteFileAtomic(filepath.Join(opt.OriginDir, catalog.SignatureFile), catalog.Sign(opt.Key, data), 0o644); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	return c, nil
}

func checkOptions(opt *Options) error {
	if opt.OriginDir == "" {
		return errors.New("publish: no origin directory")
	}
	u, err := url.Parse(opt.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !strings.HasSuffix(u.Path, "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("publish: base URL %q must be an absolute http(s) URL ending in '/'", opt.BaseURL)
	}
	if len(opt.Key) != ed25519.PrivateKeySize {
		return errors.New("publish: no signing key")
	}
	if opt.PieceLength < 0 || opt.PieceLength > 0 && (opt.PieceLength < 16<<10 || opt.PieceLength&(opt.PieceLength-1) != 0) {
		return fmt.Errorf("publish: piece length %d must be 0 (auto) or a power of two of at least 16 KiB", opt.PieceLength)
	}
	if opt.ValidFor == 0 {
		opt.ValidFor = DefaultValidFor
	}
	if opt.ValidFor < time.Minute || opt.ValidFor > catalog.MaxValidity {
		return fmt.Errorf("publish: validity %v must be between a minute and %v", opt.ValidFor, catalog.MaxValidity)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return nil
}

// previousSequence reads the sequence of the catalog already in dir: 0 when
// there is none, an error when there is one that cannot be read.
func previousSequence(dir string) (uint64, error) {
	path := filepath.Join(dir, catalog.CatalogFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("publish: read previous catalog: %w", err)
	}
	c, err := catalog.Parse(data)
	if err != nil {
		return 0, fmt.Errorf("publish: the previous catalog %s cannot be read, so the next sequence is unknown (fix or move it; boxes refuse a lower sequence): %w", path, err)
	}
	return c.Sequence, nil
}

func publishEpisode(ctx context.Context, me ManifestEpisode, manifestDir string, opt Options, cache map[string]cacheEntry, keys map[string]embargoKey) (catalog.Episode, error) {
	src := ResolvePath(manifestDir, me.Video)
	mime, err := videoType(src)
	if err != nil {
		return catalog.Episode{}, err
	}
	name := me.ID + strings.ToLower(filepath.Ext(src))
	dst := filepath.Join(opt.OriginDir, MediaDir, name)
	sealed, err := sealFor(opt, me, keys)
	if err != nil {
		return catalog.Episode{}, err
	}
	if sealed != nil {
		err = encryptTo(src, dst, sealed)
	} else {
		err = linkOrCopy(src, dst)
	}
	if err != nil {
		return catalog.Episode{}, err
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return catalog.Episode{}, err
	}
	if fi.Size() == 0 {
		return catalog.Episode{}, fmt.Errorf("%s is empty", src)
	}
	pieceLen := opt.PieceLength
	if pieceLen == 0 {
		pieceLen = PieceLengthFor(fi.Size(), me.DurationSeconds)
	}
	infoBytes, err := cachedInfo(opt.OriginDir, me.ID, name, fi, pieceLen, cache)
	if err != nil {
		info, err := hashFile(ctx, dst, name, fi.Size(), pieceLen)
		if err != nil {
			return catalog.Episode{}, err
		}
		if infoBytes, err = bencode.Marshal(info); err != nil {
			return catalog.Episode{}, fmt.Errorf("encode info: %w", err)
		}
	}
	mi := metainfo.MetaInfo{
		InfoBytes:    infoBytes,
		CreationDate: opt.Now().Unix(),
		CreatedBy:    CreatedBy,
		UrlList:      metainfo.UrlList{opt.BaseURL + MediaDir + "/"},
	}
	if len(opt.Trackers) > 0 {
		mi.Announce = opt.Trackers[0]
		for _, tr := range opt.Trackers {
			mi.AnnounceList = append(mi.AnnounceList, []string{tr})
		}
	}
	var buf bytes.Buffer
	if err := mi.Write(&buf); err != nil {
		return catalog.Episode{}, fmt.Errorf("encode torrent: %w", err)
	}
	torrentRel := TorrentDir + "/" + me.ID + ".torrent"
	if err := state.WriteFileAtomic(filepath.Join(opt.OriginDir, filepath.FromSlash(torrentRel)), buf.Bytes(), 0o644); err != nil {
		return catalog.Episode{}, err
	}
	ih := mi.HashInfoBytes().HexString()
	cache[me.ID] = cacheEntry{Name: name, Size: fi.Size(), ModTime: fi.ModTime().UnixNano(), PieceLength: pieceLen, InfoHash: ih, Encrypted: sealed != nil}

	e := catalog.Episode{
		ID:              me.ID,
		Season:          me.Season,
		Number:          me.Number,
		Title:           me.Title,
		Synopsis:        me.Synopsis,
		DurationSeconds: me.DurationSeconds,
		Torrent:         torrentRel,
		InfoHash:        ih,
		Size:            fi.Size(),
		MimeType:        mime,
		ReleaseAt:       me.ReleaseAt.UTC(),
		Priority:        me.Priority,
	}
	if sealed != nil {
		e.Embargo = &catalog.Embargo{Cipher: embargo.Cipher, KeyID: embargo.KeyID(sealed.Key), Nonce: base64.StdEncoding.EncodeToString(sealed.Nonce)}
		if !opt.Now().Before(me.ReleaseAt) {
			e.ContentKey = base64.StdEncoding.EncodeToString(sealed.Key)
		}
	}
	if me.Poster != "" {
		if e.Poster, e.PosterSHA256, err = placePoster(ResolvePath(manifestDir, me.Poster), opt.OriginDir, me.ID); err != nil {
			return catalog.Episode{}, err
		}
	}
	return e, nil
}

// placePoster puts a poster at posters/<id><ext> and returns that path and
// the SHA-256 the catalog signs. It refuses what boxes would refuse
// (catalog.CheckPoster: not PNG or JPEG by content, or too many pixels).
func placePoster(src, originDir, id string) (rel, sum string, err error) {
	want, err := imageType(src)
	if err != nil {
		return "", "", err
	}
	f, err := os.Open(src)
	if err != nil {
		return "", "", err
	}
	data, err := io.ReadAll(io.LimitReader(f, catalog.MaxPosterBytes+1))
	f.Close()
	if err != nil {
		return "", "", fmt.Errorf("poster %s: %w", src, err)
	}
	if len(data) > catalog.MaxPosterBytes {
		return "", "", fmt.Errorf("poster %s is larger than boxes accept (%d bytes)", src, catalog.MaxPosterBytes)
	}
	got, err := catalog.CheckPoster(data, "")
	if err != nil {
		return "", "", fmt.Errorf("poster %s: %w", src, err)
	}
	if got != want {
		return "", "", fmt.Errorf("poster %s: its name says %s but it holds %s", src, want, got)
	}
	rel = PostersDir + "/" + id + strings.ToLower(filepath.Ext(src))
	if err := linkOrCopy(src, filepath.Join(originDir, filepath.FromSlash(rel))); err != nil {
		return "", "", err
	}
	return rel, catalog.PosterSHA256(data), nil
}

// hashFile builds the info dictionary of a single-file torrent for path,
// checking ctx between pieces.
func hashFile(ctx context.Context, path, name string, size, pieceLen int64) (*metainfo.Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	numPieces := (size + pieceLen - 1) / pieceLen
	pieces := make([]byte, 0, numPieces*sha1.Size)
	buf := make([]byte, pieceLen)
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := io.ReadFull(f, buf)
		if n > 0 {
			sum := sha1.Sum(buf[:n])
			pieces = append(pieces, sum[:]...)
			total += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("hash %s: %w", path, err)
		}
	}
	if total != size {
		return nil, fmt.Errorf("hash %s: read %d bytes, expected %d (file changed while publishing?)", path, total, size)
	}
	return &metainfo.Info{Name: name, Length: size, PieceLength: pieceLen, Pieces: pieces}, nil
}

// linkOrCopy makes dst hold src's content: nothing when dst already is src
// (same inode) or a copy with the same size and modification time; else a
// hard link, or a copy when linking fails (another file system). The new
// dst replaces any old one atomically, so a box reading it meanwhile gets
// the old or the new file, never a mix.
func linkOrCopy(src, dst string) error {
	sfi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !sfi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}
	if dfi, err := os.Stat(dst); err == nil {
		if os.SameFile(sfi, dfi) || dfi.Size() == sfi.Size() && dfi.ModTime().Equal(sfi.ModTime()) {
			return nil
		}
	}
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(dir, fmt.Sprintf(".%s.tmp-%d", filepath.Base(dst), time.Now().UnixNano()))
	if err := os.Link(src, tmp); err != nil {
		if err := copyFile(src, tmp, sfi); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func copyFile(src, dst string, sfi fs.FileInfo) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	// Same size and time next time means "already copied".
	return os.Chtimes(dst, sfi.ModTime(), sfi.ModTime())
}

// cacheEntry records what a torrent was made from.
type cacheEntry struct {
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ModTime     int64  `json:"modTime"` // ns since the epoch, of the media file in the origin
	PieceLength int64  `json:"pieceLength"`
	InfoHash    string `json:"infoHash"`
	Encrypted   bool   `json:"encrypted,omitempty"` // the media file is the embargo ciphertext
}

func loadCache(originDir string) map[string]cacheEntry {
	m := make(map[string]cacheEntry)
	// A corrupt cache only costs hashing again.
	if _, err := state.ReadJSON(filepath.Join(originDir, cacheFile), &m, nil); err != nil || m == nil {
		return make(map[string]cacheEntry)
	}
	return m
}

func saveCache(originDir string, m map[string]cacheEntry) error {
	return state.WriteJSON(filepath.Join(originDir, cacheFile), m)
}

// cachedInfo returns the info dictionary of the existing torrent of episode
// id when the media file has not changed since it was made (same name, size
// and modification time) and the torrent's info hash is the one recorded.
func cachedInfo(originDir, id, name string, fi fs.FileInfo, pieceLen int64, cache map[string]cacheEntry) ([]byte, error) {
	ce, ok := cache[id]
	if !ok || ce.Name != name || ce.Size != fi.Size() || ce.ModTime != fi.ModTime().UnixNano() || ce.PieceLength != pieceLen {
		return nil, errors.New("not cached")
	}
	mi, err := metainfo.LoadFromFile(filepath.Join(originDir, TorrentDir, id+".torrent"))
	if err != nil {
		return nil, err
	}
	if mi.HashInfoBytes().HexString() != ce.InfoHash {
		return nil, errors.New("torrent changed")
	}
	info, err := mi.UnmarshalInfo()
	if err != nil {
		return nil, err
	}
	if info.Name != name || info.Length != fi.Size() || info.PieceLength != pieceLen || info.IsDir() {
		return nil, errors.New("torrent does not match")
	}
	return mi.InfoBytes, nil
}
