package collector

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"

	"github.com/atomicnetwork/atomicbox/appliance/ledger"
)

// Paths the Handler serves.
const (
	ReportsPath   = "/api/reports"   // POST a signed report document
	ConfirmedPath = "/api/confirmed" // GET ?month=YYYY-MM[&box=KEY][&format=text]
)

// Table is the JSON of GET ConfirmedPath without box.
type Table struct {
	Month string `json:"month"`
	Rows  []Row  `json:"rows"`
}

// Handler serves the collector over HTTP:
//
//	POST /api/reports     body: a signed report (at most Options.MaxReport bytes)
//	                      200 stored (Accepted as JSON); 400 invalid; 409 replayed or
//	                      stale sequence; 413 too large; 422 a day in the future
//	GET  /api/confirmed   ?month=YYYY-MM (default: this month, UTC): the table as JSON
//	                      (Table), or text with format=text; with box=KEY (base64,
//	                      as in reports) that box's Row only
func (c *Collector) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ReportsPath, c.postReport)
	mux.HandleFunc("GET "+ConfirmedPath, c.getConfirmed)
	return mux
}

func (c *Collector) postReport(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(c.opts.MaxReport)))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		http.Error(w, fmt.Sprintf("report larger than %d bytes", c.opts.MaxReport), http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		http.Error(w, "read report: "+err.Error(), http.StatusBadRequest)
		return
	}
	acc, err := c.Accept(body)
	if err != nil {
		code := http.StatusInternalServerError
		switch {
		case errors.Is(err, ErrTooLarge):
			code = http.StatusRequestEntityTooLarge
		case errors.Is(err, ErrInvalid):
			code = http.StatusBadRequest
		case errors.Is(err, ErrReplay):
			code = http.StatusConflict
		case errors.Is(err, ErrFuture):
			code = http.StatusUnprocessableEntity
		default:
			c.opts.Log.Error("collector: accept", "err", err)
		}
		http.Error(w, err.Error(), code)
		return
	}
	writeJSON(w, acc)
}

func (c *Collector) getConfirmed(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	month := q.Get("month")
	if month == "" {
		month = c.opts.Now().UTC().Format(MonthFormat)
	}
	text := q.Get("format") == "text"
	if s := q.Get("box"); s != "" {
		key, err := ledger.ParseBoxKey(s)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		row, err := c.BoxMonth(key, month)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if text {
			writeText(w, []Row{row})
			return
		}
		writeJSON(w, row)
		return
	}
	rows, err := c.Tally(month)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if text {
		writeText(w, rows)
		return
	}
	if rows == nil {
		rows = []Row{}
	}
	writeJSON(w, Table{Month: month, Rows: rows})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// writeText writes rows as an aligned table, in bytes.
func writeText(w http.ResponseWriter, rows []Row) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "month\tbox\tclaimed\tto boxes\tconfirmed\tconfirming boxes\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t\n", r.Month, r.BoxKey, r.Claimed, r.ClaimedToBoxes, r.Confirmed, r.ConfirmingBoxes)
	}
	tw.Flush()
}
