package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// WhyNotPlayable asks the daemon for the first byte of an episode's stream
// (GET path with "Range: bytes=0-0") and returns a sentence for a viewer
// saying why it cannot start, or "" when the daemon serves it. It blocks
// for one request, bounded by ctx.
func (c *Client) WhyNotPlayable(ctx context.Context, streamPath string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(streamPath), nil)
	if err != nil {
		return "The episode's address is not valid: " + err.Error()
	}
	req.Header.Set("Range", "bytes=0-0")
	resp, err := c.http.Do(req)
	if err != nil {
		return "The box's service is not answering (it may be restarting). Try again in a minute."
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return StreamRefusal(resp.StatusCode, body)
}

// StreamRefusal turns the daemon's answer to a stream request into a
// sentence for a viewer ("" for 200 and 206). body is the answer's body:
// the daemon's {"error": "..."} is quoted when present.
func StreamRefusal(code int, body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	msg := ""
	if json.Unmarshal(body, &e) == nil {
		msg = strings.TrimSpace(e.Error)
	}
	with := func(s string) string {
		if msg != "" {
			return s + " The box says: " + msg
		}
		return s
	}
	switch {
	case code == http.StatusOK || code == http.StatusPartialContent:
		return ""
	case code == http.StatusForbidden:
		return with("This episode is not released yet.")
	case code == http.StatusNotFound:
		return with("The channel no longer lists this episode.")
	case code == http.StatusInsufficientStorage:
		return with("The box's disk is full.")
	case code == http.StatusServiceUnavailable || code == http.StatusBadGateway || code == http.StatusGatewayTimeout:
		return with("The box can't fetch the episode right now: no peers and no connection to the channel.")
	}
	return with(fmt.Sprintf("The box refused to play it (%d %s).", code, http.StatusText(code)))
}
