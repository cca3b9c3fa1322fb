package box

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/ledger"
)

// Contributor sends the box's signed contribution reports to the network's
// collector (atomicpublish collect) and fetches what the collector
// confirmed of this month's upload, for the Seeding page. Safe for
// concurrent use.
//
// Each round sends one report of the last ReportDays days of the household's
// calendar: the collector keeps the latest statement of each day, so a box
// that was offline for less than that loses nothing, and a report stays far
// below the collector's size cap however many boxes the box met.
type Contributor struct {
	base   string // the collector's base URL, without a trailing slash
	client *http.Client
	led    *ledger.Ledger
	key    ed25519.PrivateKey
	now    func() time.Time
	log    *slog.Logger

	mu        sync.Mutex
	confirmed *api.SeedingConfirmed
}

// ReportDays is how many days each report covers, today included.
const ReportDays = 3

// NewContributor returns a Contributor for the collector at base (an
// http(s) URL). client nil: 30 s timeout; now nil: time.Now.
func NewContributor(base string, client *http.Client, led *ledger.Ledger, key ed25519.PrivateKey, now func() time.Time, log *slog.Logger) (*Contributor, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("box: collector URL %q is not an http(s) URL", base)
	}
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Contributor{base: strings.TrimSuffix(base, "/"), client: client, led: led, key: key, now: now, log: log}, nil
}

// Confirmed returns the last figure fetched, or nil.
func (c *Contributor) Confirmed() *api.SeedingConfirmed {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.confirmed == nil {
		return nil
	}
	v := *c.confirmed
	return &v
}

// Round sends a report and fetches the confirmed figure. Blocks on the
// network until ctx ends or the client times out.
func (c *Contributor) Round(ctx context.Context) error {
	loc := c.led.Location()
	local := c.now().In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 12, 0, 0, 0, loc)
	doc, err := c.led.Report(today.AddDate(0, 0, -(ReportDays-1)), today, c.key)
	if err != nil {
		return err
	}
	if err := c.post(ctx, doc); err != nil {
		return err
	}
	return c.fetch(ctx, today.Format("2006-01"))
}

func (c *Contributor) post(ctx context.Context, doc []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/reports", bytes.NewReader(doc))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("send report: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("send report: %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	return nil
}

// collectorRow is the part of the collector's Row the box reads.
type collectorRow struct {
	Month           string `json:"month"`
	Claimed         int64  `json:"claimed"`
	Confirmed       int64  `json:"confirmed"`
	ConfirmingBoxes int    `json:"confirmingBoxes"`
}

func (c *Contributor) fetch(ctx context.Context, month string) error {
	q := url.Values{"month": {month}, "box": {ledger.BoxKey(c.key.Public().(ed25519.PublicKey)).String()}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/confirmed?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("fetch confirmed: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch confirmed: %s", resp.Status)
	}
	var row collectorRow
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&row); err != nil {
		return fmt.Errorf("fetch confirmed: %w", err)
	}
	c.mu.Lock()
	c.confirmed = &api.SeedingConfirmed{Month: month, Claimed: row.Claimed, Confirmed: row.Confirmed, Boxes: row.ConfirmingBoxes, At: c.now()}
	c.mu.Unlock()
	return nil
}

// Run does a round now and then every interval until ctx ends. Failures
// are logged and retried at the next round (degradable: the ledger keeps
// the figures, and the next report restates the days).
func (c *Contributor) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := c.Round(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("contribution report", "collector", c.base, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
