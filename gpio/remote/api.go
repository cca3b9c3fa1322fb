package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/atomicnetwork/atomicbox/gpio/keymap"
)

// Handler serves the remote-control API; mount it at /api/remote/:
//
//	GET  /api/remote/frames               {"frames": [FrameRecord...]}: the last 50 IR frames, oldest first
//	GET  /api/remote/sources              {"sources": [SourceStatus...]}: which inputs run
//	GET  /api/remote/learn                keymap.LearnStatus: what the learn screen shows
//	POST /api/remote/learn/start          -> LearnStatus; 409 while learning already
//	POST /api/remote/learn/skip           -> LearnStatus; 409 for OK or when not learning (a remote without that key)
//	POST /api/remote/learn/cancel         -> LearnStatus
//	GET  /api/remote/keymap               keymap.File
//	PUT  /api/remote/keymap               keymap.File (<= 256 KiB) -> 204; 400 invalid; 413 too large
//	POST /api/remote/cec/active-source    -> 204; 503 without a CEC adapter; 502 when the TV did not answer
//
// Errors are {"error": "..."}.
func (r *Remote) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/remote/frames", func(w http.ResponseWriter, req *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"frames": r.Frames()})
	})
	mux.HandleFunc("GET /api/remote/sources", func(w http.ResponseWriter, req *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"sources": r.Sources()})
	})
	mux.HandleFunc("GET /api/remote/learn", func(w http.ResponseWriter, req *http.Request) {
		writeJSON(w, http.StatusOK, r.learner.Status())
	})
	mux.HandleFunc("POST /api/remote/learn/start", func(w http.ResponseWriter, req *http.Request) {
		if err := r.learner.Start(); err != nil {
			writeError(w, http.StatusConflict, err)
			return
		}
		writeJSON(w, http.StatusOK, r.learner.Status())
	})
	mux.HandleFunc("POST /api/remote/learn/skip", func(w http.ResponseWriter, req *http.Request) {
		if err := r.learner.Skip(); err != nil {
			writeError(w, http.StatusConflict, err)
			return
		}
		writeJSON(w, http.StatusOK, r.learner.Status())
	})
	mux.HandleFunc("POST /api/remote/learn/cancel", func(w http.ResponseWriter, req *http.Request) {
		r.learner.Cancel()
		writeJSON(w, http.StatusOK, r.learner.Status())
	})
	mux.HandleFunc("GET /api/remote/keymap", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(r.store.File().Format())
	})
	mux.HandleFunc("PUT /api/remote/keymap", func(w http.ResponseWriter, req *http.Request) {
		data, err := io.ReadAll(io.LimitReader(req.Body, keymap.MaxFileBytes+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		if len(data) > keymap.MaxFileBytes {
			writeError(w, http.StatusRequestEntityTooLarge, errors.New("keymap larger than 256 KiB"))
			return
		}
		f, err := keymap.Parse(data)
		if err == nil {
			err = r.checkKeys(f)
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		if err := r.store.Put(f); err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /api/remote/cec/active-source", func(w http.ResponseWriter, req *http.Request) {
		switch err := r.ActiveSource(req.Context()); {
		case errors.Is(err, ErrNoCEC):
			writeError(w, http.StatusServiceUnavailable, err)
		case err != nil:
			writeError(w, http.StatusBadGateway, err)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

// checkKeys refuses a keymap that names a key the remote does not deliver
// (Config.Keys), so a mistake shows when the keymap is put, not as a
// button that does nothing.
func (r *Remote) checkKeys(f keymap.File) error {
	for _, m := range f.Maps {
		for j, e := range m.Entries {
			if !r.accepts(e.Key) {
				return fmt.Errorf("%w: %q entry %d: key %q is not one the UI knows", keymap.ErrInvalid, m.Name, j, e.Key)
			}
		}
	}
	return nil
}
