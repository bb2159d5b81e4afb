package main

import (
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
)

// watched is a query as the HTTP server sees it: what it was planned as
// and functions that read it while it runs (fakes in tests).
type watched struct {
	id      int
	sql     string
	mode    string // "append-only" or "updating"
	sink    string // "console" or "<table> (<connector>)"
	tables  []string
	explain string
	graph   planner.ExplainGraph
	live    bool
	// interval is the batch interval of a live query.
	interval time.Duration

	metrics     func() exec.Metrics
	batches     func() []exec.BatchInfo
	checkpoints func() []exec.CheckpointInfo
	checkpointN func() int64
	// lag reports source lag (Kafka: records behind the partition's end)
	// per table and partition; nil when no source can tell.
	lag func() []sourceLag
	// stop cancels the query's own context.
	stop func()

	result *latestResult

	mu         sync.Mutex
	lastStatus string
	lastCkSeq  int64
}

// sourceLag is how far one partition of a source is behind its end.
type sourceLag struct {
	table     string
	partition int32
	records   int64
}

// lagReporter is implemented by sources that know how far behind the
// end of their input they are, such as the Kafka source (per partition:
// the fetch high watermark minus the position).
type lagReporter interface {
	Lag() map[int32]int64
}

// watchQuery makes q visible to m: its OnBatch (chained after the one
// set) feeds the event stream and the histograms, its Tap the latest
// results. Call it before q runs; stop cancels q's context.
func (m *monitor) watchQuery(q *exec.Query, p *planner.Prepared, stop func()) *watched {
	w := &watched{id: q.ID, sql: q.SQL, mode: "append-only", sink: "console", live: q.Live(), interval: q.Interval,
		metrics: q.Metrics, batches: q.Batches, checkpoints: q.CheckpointHistory, checkpointN: q.Checkpoints, stop: stop}
	if w.interval <= 0 {
		w.interval = time.Second // Run's default
	}
	var key []string
	if p != nil {
		if p.Updating() {
			w.mode = "updating"
		}
		if p.Into != nil {
			w.sink = p.Into.Name + " (" + p.Into.Connector() + ")"
		}
		w.explain, w.graph, key = p.Explain(), p.Graph(), p.ResultKey()
	}
	var lags []func() (string, map[int32]int64)
	for _, in := range q.Inputs() {
		w.tables = append(w.tables, in.Table)
		if l, ok := in.Source.(lagReporter); ok {
			lags = append(lags, func() (string, map[int32]int64) { return in.Table, l.Lag() })
		}
	}
	if len(lags) > 0 {
		w.lag = func() []sourceLag {
			var out []sourceLag
			for _, f := range lags {
				t, per := f()
				for part, n := range per {
					out = append(out, sourceLag{table: t, partition: part, records: n})
				}
			}
			return out
		}
	}
	w.result = newLatestResult(w.mode == "updating", key)
	prevTap, prevBatch := q.Tap, q.OnBatch
	q.Tap = func(b arrow.RecordBatch) {
		if prevTap != nil {
			prevTap(b)
		}
		w.result.add(b)
	}
	q.OnBatch = func(b exec.BatchInfo) {
		if prevBatch != nil {
			prevBatch(b)
		}
		m.afterBatch(w, b)
	}
	m.add(w)
	m.statusChanged(w)
	return w
}

// afterBatch publishes a finished batch: to the histograms and, as
// events, the batch, the results if the batch changed them, and the
// query's status if it changed.
func (m *monitor) afterBatch(w *watched, b exec.BatchInfo) {
	m.prom.observeBatch(w, b)
	for _, c := range w.newCheckpoints() {
		m.prom.observeCheckpoint(w, c)
	}
	if !m.events.active() {
		w.result.takeChanged() // keep "changed" about the last batch
		m.statusChanged(w)
		return
	}
	m.events.publish("batch", batchEvent{Query: w.id, Batch: m.batchJSON(w, b), Summary: m.queryJSON(w)})
	if w.result.takeChanged() {
		m.events.publish("result", resultEvent{Query: w.id, Result: w.result.snapshot()})
	}
	m.statusChanged(w)
}

// statusChanged publishes a "status" event when w's status differs from
// the last one published.
func (m *monitor) statusChanged(w *watched) {
	st := w.metrics().Status
	w.mu.Lock()
	changed := st != w.lastStatus
	w.lastStatus = st
	w.mu.Unlock()
	if changed {
		m.events.publish("status", m.queryJSON(w))
	}
}

// newCheckpoints returns the checkpoints completed since the last call.
func (w *watched) newCheckpoints() []exec.CheckpointInfo {
	if w.checkpoints == nil {
		return nil
	}
	all := w.checkpoints()
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []exec.CheckpointInfo
	for _, c := range all {
		if c.Seq > w.lastCkSeq {
			out = append(out, c)
			w.lastCkSeq = c.Seq
		}
	}
	return out
}
