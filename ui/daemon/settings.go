package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

// ErrNotAvailable is returned (wrapped) when the daemon answers 404: this
// box's daemon does not offer the endpoint yet.
var ErrNotAvailable = errors.New("not available on this box yet")

// RemoteFrame is one decoded IR frame of GET /api/remote/frames (the JSON
// of gpio/remote.FrameRecord, without importing the device code).
type RemoteFrame struct {
	At       time.Time `json:"at"`
	Protocol string    `json:"protocol"`
	Scancode string    `json:"scancode"` // hex, "0x0045"
	Toggle   bool      `json:"toggle,omitempty"`
	Repeat   bool      `json:"repeat,omitempty"`
	Key      string    `json:"key,omitempty"` // "" when no keymap knows the code
	Map      string    `json:"map,omitempty"`
}

const maxSettingsBytes = 1 << 20

// Settings fetches GET /api/settings.
func (c *Client) Settings(ctx context.Context) (api.SettingsView, error) {
	var v api.SettingsView
	return v, c.getJSON(ctx, "/api/settings", &v)
}

// PutSettings sends PUT /api/settings and returns the settings as stored.
// A 400 comes back as an error carrying the daemon's sentence.
func (c *Client) PutSettings(ctx context.Context, u api.SettingsUpdate) (api.SettingsView, error) {
	var v api.SettingsView
	return v, c.sendJSON(ctx, http.MethodPut, "/api/settings", u, &v)
}

// Seeding fetches GET /api/seeding.
func (c *Client) Seeding(ctx context.Context) (api.SeedingView, error) {
	var v api.SeedingView
	return v, c.getJSON(ctx, "/api/seeding", &v)
}

// Learn fetches GET /api/remote/learn.
func (c *Client) Learn(ctx context.Context) (api.LearnStatus, error) {
	var v api.LearnStatus
	return v, c.getJSON(ctx, "/api/remote/learn", &v)
}

// LearnCommand sends POST /api/remote/learn/{cmd} (start, skip or cancel)
// and returns the new status.
func (c *Client) LearnCommand(ctx context.Context, cmd string) (api.LearnStatus, error) {
	var v api.LearnStatus
	switch cmd {
	case "start", "skip", "cancel":
	default:
		return v, fmt.Errorf("learn: unknown command %q", cmd)
	}
	return v, c.sendJSON(ctx, http.MethodPost, "/api/remote/learn/"+cmd, nil, &v)
}

// RemoteFrames fetches GET /api/remote/frames (oldest first).
func (c *Client) RemoteFrames(ctx context.Context) ([]RemoteFrame, error) {
	var v struct {
		Frames []RemoteFrame `json:"frames"`
	}
	err := c.getJSON(ctx, "/api/remote/frames", &v)
	return v.Frames, err
}

// RequestPairing sends POST /api/pair/request; the code arrives as a
// pairing event.
func (c *Client) RequestPairing(ctx context.Context) error {
	return c.sendJSON(ctx, http.MethodPost, "/api/pair/request", struct{}{}, nil)
}

// PairedDevices fetches GET /api/pair/devices: the paired phones and
// browsers, newest first.
func (c *Client) PairedDevices(ctx context.Context) ([]api.PairedDevice, error) {
	var v []api.PairedDevice
	err := c.getJSON(ctx, "/api/pair/devices", &v)
	return v, err
}

// Unpair sends DELETE /api/pair/devices/{id}: the device's token stops
// working at once. A device already gone answers 404, which wraps
// ErrNotAvailable like a daemon without the endpoint; either way the list
// no longer holds it.
func (c *Client) Unpair(ctx context.Context, id string) error {
	return c.sendJSON(ctx, http.MethodDelete, "/api/pair/devices/"+url.PathEscape(id), nil, nil)
}

func (c *Client) getJSON(ctx context.Context, path string, v any) error {
	return c.sendJSON(ctx, http.MethodGet, path, nil, v)
}

// sendJSON sends body (nil: none) and decodes a 2xx answer into out (nil:
// discarded). 404 wraps ErrNotAvailable; other errors carry the daemon's
// {"error": "..."} text when there is one.
func (c *Client) sendJSON(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL(path), rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSettingsBytes+1))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if len(data) > maxSettingsBytes {
		return fmt.Errorf("%s %s: larger than %d bytes", method, path, maxSettingsBytes)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%s %s: %w", method, path, ErrNotAvailable)
	case resp.StatusCode/100 != 2:
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return &StatusError{Code: resp.StatusCode, Message: e.Error}
		}
		return &StatusError{Code: resp.StatusCode, Message: resp.Status}
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// StatusError is a refusal from the daemon; Message is for a person.
type StatusError struct {
	Code    int
	Message string
}

func (e *StatusError) Error() string { return fmt.Sprintf("daemon answered %d: %s", e.Code, e.Message) }
