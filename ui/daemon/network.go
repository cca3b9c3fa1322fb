package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

// Network fetches GET /api/network.
func (c *Client) Network(ctx context.Context) (api.NetworkView, error) {
	var v api.NetworkView
	return v, c.getJSON(ctx, "/api/network", &v)
}

// WifiNetworks fetches GET /api/wifi/networks: a fresh scan, strongest
// first. The daemon blocks up to about 10 s while it scans; give ctx more.
func (c *Client) WifiNetworks(ctx context.Context) ([]api.WifiNetwork, error) {
	var v []api.WifiNetwork
	return v, c.getJSON(ctx, "/api/wifi/networks", &v)
}

// JoinWifi sends POST /api/wifi/join. The daemon answers 202 at once; the
// progress comes through Network (and EventNetwork).
func (c *Client) JoinWifi(ctx context.Context, j api.WifiJoin) error {
	return c.sendJSON(ctx, http.MethodPost, "/api/wifi/join", j, nil)
}

// ForgetWifi sends DELETE /api/wifi: forget the stored network and disconnect.
func (c *Client) ForgetWifi(ctx context.Context) error {
	return c.sendJSON(ctx, http.MethodDelete, "/api/wifi", nil, nil)
}

// Household fetches the household settings from GET /api/settings. A
// daemon whose settings lack the "household" object (older than the
// contract) counts as not offering them: ErrNotAvailable, as for 404, so
// the first-boot screens do not run on a box that cannot store the answers.
func (c *Client) Household(ctx context.Context) (api.HouseholdSettings, error) {
	var raw json.RawMessage
	if err := c.getJSON(ctx, "/api/settings", &raw); err != nil {
		return api.HouseholdSettings{}, err
	}
	return ParseHousehold(raw)
}

// ParseHousehold reads the household object out of a GET /api/settings
// body; without one it returns ErrNotAvailable.
func ParseHousehold(settings []byte) (api.HouseholdSettings, error) {
	var v struct {
		Household *api.HouseholdSettings `json:"household"`
	}
	if err := json.Unmarshal(settings, &v); err != nil {
		return api.HouseholdSettings{}, fmt.Errorf("settings: %w", err)
	}
	if v.Household == nil {
		return api.HouseholdSettings{}, fmt.Errorf("settings without household: %w", ErrNotAvailable)
	}
	return *v.Household, nil
}

// PutHousehold stores the household settings (PUT /api/settings
// {"household": ...}) and returns them as stored.
func (c *Client) PutHousehold(ctx context.Context, h api.HouseholdSettings) (api.HouseholdSettings, error) {
	v, err := c.PutSettings(ctx, api.SettingsUpdate{Household: &h})
	return v.Household, err
}

// ScanTimeout bounds GET /api/wifi/networks (the daemon's scan takes up to 10 s).
const ScanTimeout = 15 * time.Second
