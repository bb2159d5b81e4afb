package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// httpWordCount is a live word count over generated lines of text.
const httpWordCount = `
CREATE TABLE gen (ts TIMESTAMP(3), txt VARCHAR, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (connector = 'datagen', rows_per_second = '2000', 'fields.txt.words' = '5');
SELECT word, COUNT(*) AS n FROM (SELECT UNNEST(STRING_TO_ARRAY(txt, ' ')) AS word FROM gen) AS w GROUP BY word;`

var dashboardLine = regexp.MustCompile(`weir: dashboard on (http://[^/\s]+)/`)

// startHTTPWeir starts `weir run --http 127.0.0.1:0` with args and returns
// it and its base URL, once it printed that it serves.
func startHTTPWeir(t *testing.T, env []string, args ...string) (*liveWeir, string) {
	t.Helper()
	w := startWeirEnv(t, env, append([]string{"run", "--http", "127.0.0.1:0", "--format", "jsonl", "--batch-interval", "100ms"}, args...)...)
	var base string
	w.waitFor(t, 20*time.Second, "the dashboard's address", func(_ []string, stderr string) bool {
		m := dashboardLine.FindStringSubmatch(stderr)
		if m != nil {
			base = m[1]
		}
		return m != nil
	})
	return w, base
}

// startWeirEnv is startWeir with extra environment variables.
func startWeirEnv(t *testing.T, env []string, args ...string) *liveWeir {
	t.Helper()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v) // the child inherits it
	}
	return startWeir(t, t.TempDir(), args...)
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// waitBatches polls /api/queries until query id ran n batches.
func waitBatches(t *testing.T, base string, id, n int) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var l struct{ Queries []map[string]any }
		getJSON(t, base+"/api/queries", &l)
		for _, q := range l.Queries {
			if int(q["id"].(float64)) == id && q["batches"].(float64) >= float64(n) {
				return q
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("query %d did not run %d batches: %v", id, n, l.Queries)
		}
		time.Sleep(50 * time.Millisecond) // polling a condition, not synchronising
	}
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// TestHTTPAPIWordCount: the API, the event stream, /metrics and the stop
// endpoint of a real `weir run --http` over a live word count.
func TestHTTPAPIWordCount(t *testing.T) {
	w, base := startHTTPWeir(t, nil, "-e", httpWordCount)
	q := waitBatches(t, base, 1, 3)
	wantQ := []string{"bad_rows", "batches", "checkpoints", "expired_keys", "id", "last_checkpoint", "late_rows", "mode",
		"rows_in", "rows_out", "sink", "sql", "state_bytes", "state_keys", "status", "watermark", "watermark_lag_ms"}
	if got := keysOf(q); !slices.Equal(got, wantQ) {
		t.Errorf("query fields %v, want %v", got, wantQ)
	}
	if q["status"] != "running" || q["mode"] != "updating" || q["sink"] != "console" || q["rows_in"].(float64) <= 0 || q["watermark"] == nil {
		t.Errorf("query %v", q)
	}

	var d struct {
		ID      int
		Explain string
		Graph   struct {
			Nodes []struct {
				ID       int
				Label    string
				Stateful bool
			}
			Edges [][2]int
		}
		Batches []struct {
			Time         int64
			Rows         int64
			InputRate    float64 `json:"input_rate"`
			ProcessingMs *int64  `json:"processing_ms"`
			Watermark    *int64
		}
		CheckpointHistory []any `json:"checkpoint_history"`
		Result            struct {
			Columns  []string
			Rows     [][]any
			Changed  []int
			Updating bool
		}
	}
	getJSON(t, base+"/api/queries/1", &d)
	if d.ID != 1 || !strings.Contains(d.Explain, "mode: updating") || d.CheckpointHistory == nil {
		t.Errorf("detail: id %d explain %q history %v", d.ID, d.Explain, d.CheckpointHistory)
	}
	nodes := d.Graph.Nodes
	if len(nodes) < 3 || nodes[0].Label != "Source gen (connector=datagen)" || nodes[len(nodes)-1].Label != "ConsoleSink" ||
		len(d.Graph.Edges) != len(nodes)-1 {
		t.Errorf("graph %+v", d.Graph)
	}
	stateful := 0
	for _, n := range nodes {
		if n.Stateful {
			stateful++
		}
	}
	if stateful != 1 {
		t.Errorf("graph: %d stateful nodes, want 1: %+v", stateful, nodes)
	}
	if len(d.Batches) < 3 || d.Batches[len(d.Batches)-1].ProcessingMs == nil || d.Batches[len(d.Batches)-1].InputRate <= 0 {
		t.Errorf("batches %+v", d.Batches)
	}
	r := d.Result
	if !slices.Equal(r.Columns, []string{"word", "n"}) || !r.Updating || len(r.Rows) == 0 {
		t.Fatalf("result %+v", r)
	}
	// The current result: one row per word, its count the words seen.
	seen := map[string]bool{}
	for _, row := range r.Rows {
		word := row[0].(string)
		if seen[word] || row[1].(float64) < 1 {
			t.Fatalf("result row %v (seen before: %v)", row, seen[word])
		}
		seen[word] = true
	}
	for _, i := range r.Changed {
		if i < 0 || i >= len(r.Rows) {
			t.Errorf("changed index %d out of %d rows", i, len(r.Rows))
		}
	}

	// The event stream delivers a batch event with the query's summary.
	resp, err := http.Get(base + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("events content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 4<<20)
	var ev struct {
		Query   int
		Batch   map[string]any
		Summary map[string]any `json:"query_summary"`
	}
	for event := ""; sc.Scan(); {
		line := sc.Text()
		if e, ok := strings.CutPrefix(line, "event: "); ok {
			event = e
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok && event == "batch" {
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	resp.Body.Close()
	wantB := []string{"input_rate", "processing_ms", "rows", "scheduling_delay_ms", "time", "total_delay_ms", "watermark", "watermark_lag_ms"}
	if got := keysOf(ev.Batch); ev.Query != 1 || !slices.Equal(got, wantB) || ev.Summary["id"] != 1.0 {
		t.Errorf("batch event %+v, batch fields %v", ev, got)
	}

	// /metrics shows the same counters as the API.
	var before struct{ Queries []map[string]any }
	getJSON(t, base+"/api/queries", &before)
	fams := scrape(t, base, nil)
	in := metricValue(t, fams, "weir_rows_in_total", "1")
	if in < before.Queries[0]["rows_in"].(float64) {
		t.Errorf("weir_rows_in_total %v < rows_in %v", in, before.Queries[0]["rows_in"])
	}
	if n := fams["weir_batch_processing_seconds"].GetMetric()[0].GetHistogram().GetSampleCount(); n < 3 {
		t.Errorf("processing histogram has %d samples", n)
	}

	// Stopping the only query from the API ends the run as SIGINT does.
	resp, err = http.Post(base+"/api/queries/1/stop", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || strings.TrimSpace(string(b)) != `{"id":1,"status":"stopping"}` {
		t.Errorf("stop: %s %s", resp.Status, b)
	}
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		t.Fatal("weir did not end after its query was stopped")
	}
	if err := w.cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, w.stderr.String())
	}
}

// scrape reads /metrics, with header h if given.
func scrape(t *testing.T, base string, h http.Header) map[string]*dtoFamily {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	return fams
}

// metricValue is the value of the counter or gauge name{query=id}.
func metricValue(t *testing.T, fams map[string]*dtoFamily, name, id string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("/metrics has no %s", name)
	}
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "query" && l.GetValue() == id {
				if m.GetCounter() != nil {
					return m.GetCounter().GetValue()
				}
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("/metrics has no %s{query=%q}", name, id)
	return 0
}

// TestHTTPStopOneQuery: stopping one query leaves the other running.
func TestHTTPStopOneQuery(t *testing.T) {
	w, base := startHTTPWeir(t, nil, "-e", httpWordCount+`
SELECT COUNT(*) AS c FROM gen;`)
	waitBatches(t, base, 2, 2)
	resp, err := http.Post(base+"/api/queries/1/stop", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var l struct{ Queries []map[string]any }
		getJSON(t, base+"/api/queries", &l)
		if l.Queries[0]["status"] == "stopped" {
			if l.Queries[1]["status"] != "running" {
				t.Fatalf("query 2 is %v after query 1 was stopped", l.Queries[1]["status"])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("query 1 did not stop: %v", l.Queries)
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err = http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || string(b) != "not ready: query 1: stopped\n" {
		t.Errorf("/readyz: %s %q", resp.Status, b)
	}
	before := waitBatches(t, base, 2, 1)["batches"].(float64)
	waitBatches(t, base, 2, int(before)+2) // query 2 goes on
	w.stop(t)
}

// TestHTTPTokenEndToEnd: with WEIR_HTTP_TOKEN set, the event stream and
// /metrics answer 401 without it and serve with it.
func TestHTTPTokenEndToEnd(t *testing.T) {
	_, base := startHTTPWeir(t, []string{"WEIR_HTTP_TOKEN=s3cret"}, "-e", httpWordCount)
	for _, path := range []string{"/metrics", "/api/events", "/healthz", "/", "/api/queries"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("%s without token: %s", path, resp.Status)
		}
	}
	fams := scrape(t, base, http.Header{"Authorization": {"Bearer s3cret"}})
	if _, ok := fams["weir_rows_in_total"]; !ok {
		t.Errorf("/metrics with the token lacks weir_rows_in_total")
	}
}

// TestHTTPBadAddress: a bad --http address is one error line, before
// anything runs.
func TestHTTPBadAddress(t *testing.T) {
	for _, addr := range []string{"nonsense", "127.0.0.1:99999"} {
		cmd := exec.Command(weirBin(t), "run", "--http", addr, "-e", httpWordCount)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("--http %s: no error:\n%s", addr, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "weir: --http ") {
			t.Errorf("--http %s: output\n%s", addr, out)
		}
	}
}

type dtoFamily = dto.MetricFamily

// TestHTTPCheckpoints: with --checkpoint-dir, the API shows each query's
// checkpoints and /metrics their durations.
func TestHTTPCheckpoints(t *testing.T) {
	w, base := startHTTPWeir(t, nil, "--checkpoint-dir", t.TempDir(), "-e", "SET checkpoint_batches = 1;"+httpWordCount)
	deadline := time.Now().Add(20 * time.Second)
	var d struct {
		Checkpoints    int64 `json:"checkpoints"`
		LastCheckpoint *struct {
			Seq, Time, Bytes int64
		} `json:"last_checkpoint"`
		History []struct {
			Seq   int64
			Bytes int64
		} `json:"checkpoint_history"`
	}
	for {
		getJSON(t, base+"/api/queries/1", &d)
		if len(d.History) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoints: %+v", d)
		}
		time.Sleep(50 * time.Millisecond) // polling a condition, not synchronising
	}
	last := d.History[len(d.History)-1]
	if d.LastCheckpoint == nil || d.LastCheckpoint.Seq != last.Seq || last.Bytes <= 0 || d.Checkpoints < int64(len(d.History)) ||
		d.History[0].Seq+1 != d.History[1].Seq {
		t.Errorf("checkpoints %+v", d)
	}
	// The histogram observes a checkpoint after the next batch.
	fams := scrape(t, base, nil)
	for fams["weir_checkpoint_duration_seconds"] == nil {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint durations observed")
		}
		time.Sleep(50 * time.Millisecond)
		fams = scrape(t, base, nil)
	}
	if v := metricValue(t, fams, "weir_checkpoints_total", "1"); v < 2 {
		t.Errorf("weir_checkpoints_total %v", v)
	}
	w.stop(t)
}
