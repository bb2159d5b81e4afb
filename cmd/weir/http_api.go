package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/weirdb/weir/connectors/dashboard"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
)

// queryJSON is a query's summary in the API (Q in the contract).
type queryJSON struct {
	ID             int             `json:"id"`
	SQL            string          `json:"sql"`
	Status         string          `json:"status"`
	Mode           string          `json:"mode"`
	Sink           string          `json:"sink"`
	RowsIn         int64           `json:"rows_in"`
	RowsOut        int64           `json:"rows_out"`
	Batches        int64           `json:"batches"`
	Watermark      *int64          `json:"watermark"`
	WatermarkLag   *int64          `json:"watermark_lag_ms"`
	LateRows       int64           `json:"late_rows"`
	BadRows        int64           `json:"bad_rows"`
	ExpiredKeys    int64           `json:"expired_keys"`
	StateKeys      int64           `json:"state_keys"`
	StateBytes     int64           `json:"state_bytes"`
	Checkpoints    int64           `json:"checkpoints"`
	LastCheckpoint *checkpointJSON `json:"last_checkpoint"`
}

// checkpointJSON is one completed checkpoint.
type checkpointJSON struct {
	Seq        int64 `json:"seq"`
	Time       int64 `json:"time"`
	DurationMs int64 `json:"duration_ms"`
	Bytes      int64 `json:"bytes"`
}

// batchJSON is one micro-batch (B in the contract).
type batchJSON struct {
	Time              int64   `json:"time"`
	Rows              int64   `json:"rows"`
	InputRate         float64 `json:"input_rate"`
	ProcessingMs      int64   `json:"processing_ms"`
	SchedulingDelayMs int64   `json:"scheduling_delay_ms"`
	TotalDelayMs      int64   `json:"total_delay_ms"`
	Watermark         *int64  `json:"watermark"`
	WatermarkLag      *int64  `json:"watermark_lag_ms"`
}

// queryDetailJSON is GET /api/queries/{id}.
type queryDetailJSON struct {
	queryJSON
	Explain           string               `json:"explain"`
	Graph             planner.ExplainGraph `json:"graph"`
	Batches           []batchJSON          `json:"batches"`
	CheckpointHistory []checkpointJSON     `json:"checkpoint_history"`
	Result            resultJSON           `json:"result"`
}

// The event stream's payloads.
type (
	batchEvent struct {
		Query   int       `json:"query"`
		Batch   batchJSON `json:"batch"`
		Summary queryJSON `json:"query_summary"`
	}
	resultEvent struct {
		Query  int        `json:"query"`
		Result resultJSON `json:"result"`
	}
)

// maxBatches and maxCheckpoints are how many of the latest batches and
// checkpoints GET /api/queries/{id} returns.
const (
	maxBatches     = 300
	maxCheckpoints = 50
)

// watermarkMs is a watermark as the API shows it: nil before the first
// (MinWatermark) and after the input ended (MaxWatermark).
func watermarkMs(wm int64) *int64 {
	if wm <= exec.MinWatermark || wm >= exec.MaxWatermark {
		return nil
	}
	return &wm
}

// lagMs is how far wm is behind at, or nil.
func lagMs(wm *int64, at time.Time) *int64 {
	if wm == nil {
		return nil
	}
	l := at.UnixMilli() - *wm
	return &l
}

func checkpointOf(c exec.CheckpointInfo) checkpointJSON {
	return checkpointJSON{Seq: c.Seq, Time: c.Time.UnixMilli(), DurationMs: c.Duration.Milliseconds(), Bytes: c.Bytes}
}

// queryJSON summarises w now.
func (m *monitor) queryJSON(w *watched) queryJSON {
	mt := w.metrics()
	q := queryJSON{ID: w.id, SQL: w.sql, Status: mt.Status, Mode: w.mode, Sink: w.sink,
		RowsIn: mt.RowsIn, RowsOut: mt.RowsOut, Batches: mt.Batches,
		LateRows: mt.LateRows, BadRows: mt.BadRows, ExpiredKeys: mt.State.ExpiredKeys,
		StateKeys: int64(mt.State.Keys), StateBytes: mt.State.StateBytes}
	q.Watermark = watermarkMs(mt.Watermark)
	q.WatermarkLag = lagMs(q.Watermark, m.now())
	if w.checkpointN != nil {
		q.Checkpoints = w.checkpointN()
	}
	if w.checkpoints != nil {
		if cs := w.checkpoints(); len(cs) > 0 {
			c := checkpointOf(cs[len(cs)-1])
			q.LastCheckpoint = &c
		}
	}
	return q
}

// batchJSON describes batch b of w. Its input rate is its rows over the
// batch interval (over its processing time for a query reading files
// back to back); its watermark lag is measured when the batch ended.
func (m *monitor) batchJSON(w *watched, b exec.BatchInfo) batchJSON {
	span, end := b.Processing, b.Time.Add(b.TotalDelay)
	if w.live {
		span, end = w.interval, end.Add(w.interval)
	}
	if b.SchedulingDelay == 0 && b.TotalDelay == 0 { // read back to back
		span, end = b.Processing, b.Time.Add(b.Processing)
	}
	rate := 0.0
	if span > 0 {
		rate = float64(b.Rows) / span.Seconds()
	}
	j := batchJSON{Time: b.Time.UnixMilli(), Rows: b.Rows, InputRate: rate, ProcessingMs: b.Processing.Milliseconds(),
		SchedulingDelayMs: b.SchedulingDelay.Milliseconds(), TotalDelayMs: b.TotalDelay.Milliseconds(),
		Watermark: watermarkMs(b.Watermark)}
	j.WatermarkLag = lagMs(j.Watermark, end)
	return j
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// httpError answers with a one-line plain-text error.
func httpError(w http.ResponseWriter, code int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, format+"\n", args...)
}

func (m *monitor) listQueries(w http.ResponseWriter, r *http.Request) {
	qs := []queryJSON{}
	for _, q := range m.list() {
		qs = append(qs, m.queryJSON(q))
	}
	writeJSON(w, http.StatusOK, map[string]any{"queries": qs})
}

// lookup finds the query of the request's {id}, or answers 404.
func (m *monitor) lookup(w http.ResponseWriter, r *http.Request) *watched {
	id, err := strconv.Atoi(r.PathValue("id"))
	q := m.get(id)
	if err != nil || q == nil {
		httpError(w, http.StatusNotFound, "no query %s: GET /api/queries lists them", r.PathValue("id"))
		return nil
	}
	return q
}

func (m *monitor) getQuery(w http.ResponseWriter, r *http.Request) {
	q := m.lookup(w, r)
	if q == nil {
		return
	}
	d := queryDetailJSON{queryJSON: m.queryJSON(q), Explain: q.explain, Graph: q.graph,
		Batches: []batchJSON{}, CheckpointHistory: []checkpointJSON{}, Result: q.result.snapshot()}
	if d.Graph.Nodes == nil {
		d.Graph = planner.ExplainGraph{Nodes: []planner.GraphNode{}, Edges: [][2]int{}}
	}
	bs := q.batches()
	for _, b := range bs[max(0, len(bs)-maxBatches):] {
		d.Batches = append(d.Batches, m.batchJSON(q, b))
	}
	if q.checkpoints != nil {
		cs := q.checkpoints()
		for _, c := range cs[max(0, len(cs)-maxCheckpoints):] {
			d.CheckpointHistory = append(d.CheckpointHistory, checkpointOf(c))
		}
	}
	writeJSON(w, http.StatusOK, d)
}

func (m *monitor) stopQuery(w http.ResponseWriter, r *http.Request) {
	q := m.lookup(w, r)
	if q == nil {
		return
	}
	if q.stop != nil {
		q.stop()
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"id": q.id, "status": "stopping"})
}

// readyz answers 200 when every query runs or finished cleanly, else 503
// listing the others.
func (m *monitor) readyz(w http.ResponseWriter, r *http.Request) {
	var bad []string
	for _, q := range m.list() {
		if st := q.metrics().Status; st != "running" && st != "finished" {
			bad = append(bad, fmt.Sprintf("query %d: %s", q.id, st))
		}
	}
	if len(bad) > 0 {
		httpError(w, http.StatusServiceUnavailable, "not ready: %s", strings.Join(bad, "; "))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ready")
}

func (m *monitor) listDashboards(w http.ResponseWriter, r *http.Request) {
	cs := m.hub.Charts()
	for i := range cs {
		if cs[i].Points == nil {
			cs[i].Points = []dashboard.Point{}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"charts": cs})
}
