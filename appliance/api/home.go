package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Home endpoints (see settings_types.go for the JSON):
//
//	GET /api/settings          SettingsView
//	PUT /api/settings          SettingsUpdate -> 200 SettingsView; 400 {"error"}
//	GET /api/seeding           SeedingView
//	GET /api/ledger/report?from=YYYY-MM-DD&to=YYYY-MM-DD
//	                           the contribution report, signed with the box's
//	                           ed25519 key (ledger.Report; check with
//	                           ledger.VerifyReport); 400 on bad dates
//
// A server without a Home answers 404 on all of them (the UI's "not
// available on this box yet").

// ErrEmbargoed is wrapped by Backend.Open for an episode that may not be
// played yet (not released, or its key has not arrived); the server answers
// 403 with the error's text.
var ErrEmbargoed = errors.New("not released yet")

// ErrBadSettings is wrapped by Home.UpdateSettings for settings a person
// must correct; the server answers 400 with the error's text.
var ErrBadSettings = errors.New("settings refused")

// MaxReportDays is the longest period GET /api/ledger/report covers.
const MaxReportDays = 400

// Home is the home-node side of the box: settings, seeding and the ledger.
// Implementations must be safe for concurrent use.
type Home interface {
	Settings() SettingsView
	// UpdateSettings applies u at once and returns what is stored; errors
	// wrapping ErrBadSettings are the person's to fix.
	UpdateSettings(u SettingsUpdate) (SettingsView, error)
	Seeding() SeedingView
	// LedgerReport returns the signed report JSON for the UTC days
	// from..to inclusive. Blocks on disk I/O.
	LedgerReport(from, to time.Time) ([]byte, error)
}

// maxSettingsBody is PUT /api/settings' limit, bytes.
const maxSettingsBody = 4 << 10

func (s *Server) routeHome() {
	h := s.cfg.Home
	if h == nil {
		return
	}
	s.mux.HandleFunc("GET /api/settings", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, h.Settings())
	})
	s.mux.HandleFunc("PUT /api/settings", func(w http.ResponseWriter, r *http.Request) {
		var u SettingsUpdate
		if !decodeBody(w, r, maxSettingsBody, &u) {
			return
		}
		v, err := h.UpdateSettings(u)
		if errors.Is(err, ErrBadSettings) {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
	s.mux.HandleFunc("GET /api/seeding", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, h.Seeding())
	})
	s.mux.HandleFunc("GET /api/ledger/report", func(w http.ResponseWriter, r *http.Request) {
		from, to, err := reportPeriod(r.URL.Query().Get("from"), r.URL.Query().Get("to"))
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		data, err := h.LedgerReport(from, to)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="atomicbox-report-%s-%s.json"`, from.Format(time.DateOnly), to.Format(time.DateOnly)))
		w.Write(data)
	})
}

// reportPeriod parses the report's from and to (UTC dates, inclusive).
func reportPeriod(fromS, toS string) (from, to time.Time, err error) {
	from, err = time.Parse(time.DateOnly, fromS)
	if err != nil {
		return from, to, fmt.Errorf("from=%q is not a date like 2026-11-25", fromS)
	}
	to, err = time.Parse(time.DateOnly, toS)
	if err != nil {
		return from, to, fmt.Errorf("to=%q is not a date like 2026-11-25", toS)
	}
	if to.Before(from) {
		return from, to, fmt.Errorf("to (%s) is before from (%s)", toS, fromS)
	}
	if to.Sub(from) >= MaxReportDays*24*time.Hour {
		return from, to, fmt.Errorf("a report covers at most %d days", MaxReportDays)
	}
	return from, to, nil
}
