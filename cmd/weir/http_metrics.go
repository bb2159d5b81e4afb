package main

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/weirdb/weir/exec"
)

// promMetrics is what /metrics exposes: the queries' counters and gauges
// read at scrape time (queryCollector), histograms observed after each
// batch and checkpoint, and the Go runtime's and the process's metrics.
type promMetrics struct {
	reg                                   *prometheus.Registry
	processing, scheduling, total, ckTime *prometheus.HistogramVec
}

// batchBuckets are the histogram buckets of batch times, in seconds.
var batchBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

func newPromMetrics(m *monitor) *promMetrics {
	hist := func(name, help string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: batchBuckets}, []string{"query"})
	}
	p := &promMetrics{reg: prometheus.NewRegistry(),
		processing: hist("weir_batch_processing_seconds", "Time each micro-batch took to run."),
		scheduling: hist("weir_batch_scheduling_delay_seconds", "How late each micro-batch started after its time was due."),
		total:      hist("weir_batch_total_delay_seconds", "Scheduling delay plus processing time of each micro-batch."),
		ckTime:     hist("weir_checkpoint_duration_seconds", "Time each checkpoint took to write."),
	}
	p.reg.MustRegister(p.processing, p.scheduling, p.total, p.ckTime, &queryCollector{m: m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return p
}

func (p *promMetrics) handler() http.Handler {
	return promhttp.HandlerFor(p.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

func (p *promMetrics) observeBatch(w *watched, b exec.BatchInfo) {
	id := strconv.Itoa(w.id)
	p.processing.WithLabelValues(id).Observe(b.Processing.Seconds())
	p.scheduling.WithLabelValues(id).Observe(b.SchedulingDelay.Seconds())
	p.total.WithLabelValues(id).Observe(b.TotalDelay.Seconds())
}

func (p *promMetrics) observeCheckpoint(w *watched, c exec.CheckpointInfo) {
	p.ckTime.WithLabelValues(strconv.Itoa(w.id)).Observe(c.Duration.Seconds())
}

// queryCollector reads every query's counters at scrape time.
type queryCollector struct{ m *monitor }

var (
	queryLabels  = []string{"query"}
	descInfo     = prometheus.NewDesc("weir_query_info", "A query: its SQL, status, mode and sink (value 1).", []string{"query", "sql", "status", "mode", "sink"}, nil)
	descRunning  = prometheus.NewDesc("weir_query_running", "1 while the query runs, else 0.", queryLabels, nil)
	descRowsIn   = prometheus.NewDesc("weir_rows_in_total", "Rows the query read from its sources.", queryLabels, nil)
	descRowsOut  = prometheus.NewDesc("weir_rows_out_total", "Rows the query wrote to its sink.", queryLabels, nil)
	descBatches  = prometheus.NewDesc("weir_batches_total", "Micro-batches the query ran.", queryLabels, nil)
	descLate     = prometheus.NewDesc("weir_late_rows_total", "Rows dropped as late: older than the watermark, their windows already emitted.", queryLabels, nil)
	descBad      = prometheus.NewDesc("weir_bad_rows_total", "Input records skipped as malformed.", queryLabels, nil)
	descExpired  = prometheus.NewDesc("weir_expired_keys_total", "Keys dropped from state by the state TTL.", queryLabels, nil)
	descKeys     = prometheus.NewDesc("weir_state_keys", "Keys held in the query's state.", queryLabels, nil)
	descBytes    = prometheus.NewDesc("weir_state_bytes", "Estimated memory of the query's state.", queryLabels, nil)
	descWM       = prometheus.NewDesc("weir_watermark_seconds", "The query's watermark, as Unix time (absent before the first).", queryLabels, nil)
	descWMLag    = prometheus.NewDesc("weir_watermark_lag_seconds", "How far the query's watermark is behind wall time.", queryLabels, nil)
	descCk       = prometheus.NewDesc("weir_checkpoints_total", "Checkpoints the query completed.", queryLabels, nil)
	descCkLast   = prometheus.NewDesc("weir_last_checkpoint_timestamp_seconds", "When the query's last checkpoint completed, as Unix time.", queryLabels, nil)
	descCkBytes  = prometheus.NewDesc("weir_last_checkpoint_bytes", "Size of the query's last checkpoint.", queryLabels, nil)
	descTableLag = prometheus.NewDesc("weir_source_lag_records", "Records a source partition is behind its end (Kafka consumer lag).", []string{"query", "table", "partition"}, nil)
)

// Describe implements prometheus.Collector.
func (c *queryCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descInfo, descRunning, descRowsIn, descRowsOut, descBatches, descLate, descBad,
		descExpired, descKeys, descBytes, descWM, descWMLag, descCk, descCkLast, descCkBytes, descTableLag} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *queryCollector) Collect(ch chan<- prometheus.Metric) {
	for _, w := range c.m.list() {
		q := c.m.queryJSON(w)
		id := strconv.Itoa(w.id)
		gauge := func(d *prometheus.Desc, v float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{id}, labels...)...)
		}
		counter := func(d *prometheus.Desc, v int64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), id)
		}
		ch <- prometheus.MustNewConstMetric(descInfo, prometheus.GaugeValue, 1, id, w.sql, q.Status, w.mode, w.sink)
		running := 0.0
		if q.Status == "running" {
			running = 1
		}
		gauge(descRunning, running)
		counter(descRowsIn, q.RowsIn)
		counter(descRowsOut, q.RowsOut)
		counter(descBatches, q.Batches)
		counter(descLate, q.LateRows)
		counter(descBad, q.BadRows)
		counter(descExpired, q.ExpiredKeys)
		gauge(descKeys, float64(q.StateKeys))
		gauge(descBytes, float64(q.StateBytes))
		if q.Watermark != nil {
			gauge(descWM, float64(*q.Watermark)/1000)
			gauge(descWMLag, float64(*q.WatermarkLag)/1000)
		}
		counter(descCk, q.Checkpoints)
		if lc := q.LastCheckpoint; lc != nil {
			gauge(descCkLast, float64(lc.Time)/1000)
			gauge(descCkBytes, float64(lc.Bytes))
		}
		if w.lag != nil {
			for _, l := range w.lag() {
				gauge(descTableLag, float64(l.records), l.table, strconv.Itoa(int(l.partition)))
			}
		}
	}
}
