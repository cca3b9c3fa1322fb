package api

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Network is the box's networking as the API serves it (see
// network_types.go for the endpoints). Implementations must be safe for
// concurrent use.
type Network interface {
	View() NetworkView
	// HasWifi is false while the box has no Wi-Fi radio: the Wi-Fi
	// endpoints then answer 404.
	HasWifi() bool
	// ScanWifi scans (blocking, at most about 10 s, or until ctx ends).
	ScanWifi(ctx context.Context) ([]WifiNetwork, error)
	// JoinWifi starts joining and returns at once; errors wrapping
	// ErrBadWifiJoin are the person's to fix.
	JoinWifi(j WifiJoin) error
	// ForgetWifi deletes the stored network and disconnects.
	ForgetWifi() error
}

// ErrBadWifiJoin is wrapped by Network.JoinWifi for an SSID or passphrase
// that cannot be right (400 with the error's text).
var ErrBadWifiJoin = errors.New("wifi join refused")

// maxJoinBody is POST /api/wifi/join's limit, bytes.
const maxJoinBody = 1 << 10

// scanTimeout bounds GET /api/wifi/networks.
const scanTimeout = 15 * time.Second

func (s *Server) routeNetwork() {
	n := s.cfg.Network
	if n == nil {
		return
	}
	wifiOr404 := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !n.HasWifi() {
				writeError(w, http.StatusNotFound, "this box has no Wi-Fi radio")
				return
			}
			h(w, r)
		}
	}
	s.mux.HandleFunc("GET /api/network", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, n.View())
	})
	s.mux.HandleFunc("GET /api/wifi/networks", wifiOr404(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), scanTimeout)
		defer cancel()
		nets, err := n.ScanWifi(ctx)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "scan failed: "+err.Error())
			return
		}
		if nets == nil {
			nets = []WifiNetwork{}
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, nets)
	}))
	s.mux.HandleFunc("POST /api/wifi/join", wifiOr404(func(w http.ResponseWriter, r *http.Request) {
		var j WifiJoin
		if !decodeBody(w, r, maxJoinBody, &j) {
			return
		}
		err := n.JoinWifi(j)
		if errors.Is(err, ErrBadWifiJoin) {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	s.mux.HandleFunc("DELETE /api/wifi", wifiOr404(func(w http.ResponseWriter, r *http.Request) {
		if err := n.ForgetWifi(); err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
}
