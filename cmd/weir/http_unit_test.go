package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/connectors/dashboard"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/vector"
)

// fakeQuery is a watched query with fixed metrics.
func fakeQuery(id int, status string) *watched {
	return &watched{id: id, sql: "SELECT 1", mode: "append-only", sink: "console", result: newLatestResult(false, nil),
		metrics: func() exec.Metrics {
			return exec.Metrics{Status: status, RowsIn: 10, RowsOut: 4, Batches: 2, Watermark: 5000, LateRows: 1, BadRows: 2,
				State: exec.WindowStats{Keys: 3, StateBytes: 300, ExpiredKeys: 7}}
		},
		batches: func() []exec.BatchInfo {
			return []exec.BatchInfo{{Seq: 1, Time: time.UnixMilli(4000), Rows: 10, Processing: 3 * time.Millisecond,
				SchedulingDelay: time.Millisecond, TotalDelay: 4 * time.Millisecond, Watermark: 5000}}
		},
		checkpoints: func() []exec.CheckpointInfo {
			return []exec.CheckpointInfo{{Seq: 1, Time: time.UnixMilli(6000), Duration: 12 * time.Millisecond, Bytes: 99}}
		},
		checkpointN: func() int64 { return 1 },
		live:        true, interval: time.Second,
	}
}

func fakeMonitor(token string, qs ...*watched) *monitor {
	m := newMonitor(token, dashboard.NewHub())
	m.now = func() time.Time { return time.UnixMilli(8000) }
	for _, q := range qs {
		m.add(q)
	}
	return m
}

func do(t *testing.T, h http.Handler, method, path string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestHTTPQueryJSON: the summary of a query, exactly.
func TestHTTPQueryJSON(t *testing.T) {
	h := fakeMonitor("", fakeQuery(1, "running")).handler()
	rec := do(t, h, "GET", "/api/queries", nil)
	want := `{"queries":[{"id":1,"sql":"SELECT 1","status":"running","mode":"append-only","sink":"console","rows_in":10,"rows_out":4,"batches":2,"watermark":5000,"watermark_lag_ms":3000,"late_rows":1,"bad_rows":2,"expired_keys":7,"state_keys":3,"state_bytes":300,"checkpoints":1,"last_checkpoint":{"seq":1,"time":6000,"duration_ms":12,"bytes":99}}]}`
	if got := strings.TrimSpace(rec.Body.String()); rec.Code != 200 || got != want {
		t.Errorf("got %d\n%s\nwant\n%s", rec.Code, got, want)
	}
	rec = do(t, h, "GET", "/api/queries/1", nil)
	var d map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if got := string(d["batches"]); got != `[{"time":4000,"rows":10,"input_rate":10,"processing_ms":3,"scheduling_delay_ms":1,"total_delay_ms":4,"watermark":5000,"watermark_lag_ms":4}]` {
		t.Errorf("batches %s", got)
	}
	if got := string(d["checkpoint_history"]); got != `[{"seq":1,"time":6000,"duration_ms":12,"bytes":99}]` {
		t.Errorf("checkpoint_history %s", got)
	}
	if got := string(d["graph"]); got != `{"nodes":[],"edges":[]}` {
		t.Errorf("graph %s", got)
	}
	if rec := do(t, h, "GET", "/api/queries/7", nil); rec.Code != 404 {
		t.Errorf("unknown query: %d", rec.Code)
	}
	if rec := do(t, h, "GET", "/api/queries/1/stop", nil); rec.Code != 405 {
		t.Errorf("GET stop: %d", rec.Code)
	}
}

// TestHTTPReadyz: 200 while every query runs or finished, else 503
// naming the others.
func TestHTTPReadyz(t *testing.T) {
	h := fakeMonitor("", fakeQuery(1, "running"), fakeQuery(2, "finished")).handler()
	if rec := do(t, h, "GET", "/readyz", nil); rec.Code != 200 {
		t.Errorf("readyz: %d %s", rec.Code, rec.Body)
	}
	h = fakeMonitor("", fakeQuery(1, "running"), fakeQuery(2, "failed: boom"), fakeQuery(3, "stopped")).handler()
	rec := do(t, h, "GET", "/readyz", nil)
	if rec.Code != 503 || rec.Body.String() != "not ready: query 2: failed: boom; query 3: stopped\n" {
		t.Errorf("readyz: %d %q", rec.Code, rec.Body)
	}
	if rec := do(t, h, "GET", "/healthz", nil); rec.Code != 200 || rec.Body.String() != "ok" {
		t.Errorf("healthz: %d %q", rec.Code, rec.Body)
	}
}

// TestHTTPStopEndpoint: POST stop cancels that query only.
func TestHTTPStopEndpoint(t *testing.T) {
	var stopped []int
	q1, q2 := fakeQuery(1, "running"), fakeQuery(2, "running")
	q1.stop = func() { stopped = append(stopped, 1) }
	q2.stop = func() { stopped = append(stopped, 2) }
	rec := do(t, fakeMonitor("", q1, q2).handler(), "POST", "/api/queries/2/stop", nil)
	if rec.Code != 202 || strings.TrimSpace(rec.Body.String()) != `{"id":2,"status":"stopping"}` || !slices.Equal(stopped, []int{2}) {
		t.Errorf("stop: %d %s, stopped %v", rec.Code, rec.Body, stopped)
	}
}

// TestHTTPToken: with a token, every path needs it.
func TestHTTPToken(t *testing.T) {
	h := fakeMonitor("s3cret", fakeQuery(1, "running")).handler()
	paths := []string{"/", "/static/app.css", "/healthz", "/readyz", "/api/queries", "/api/queries/1", "/api/dashboards", "/metrics"}
	for _, c := range []struct {
		name string
		hdr  map[string]string
		code int
	}{
		{"no token", nil, 401},
		{"wrong bearer", map[string]string{"Authorization": "Bearer nope"}, 401},
		{"not bearer", map[string]string{"Authorization": "Basic czNjcmV0"}, 401},
		{"wrong cookie", map[string]string{"Cookie": "weir_token=nope"}, 401},
		{"bearer", map[string]string{"Authorization": "Bearer s3cret"}, 200},
		{"cookie", map[string]string{"Cookie": "weir_token=s3cret"}, 200},
	} {
		for _, p := range paths {
			if rec := do(t, h, "GET", p, c.hdr); rec.Code != c.code {
				t.Errorf("%s: GET %s: %d, want %d", c.name, p, rec.Code, c.code)
			} else if c.code == 401 && (rec.Body.String() == "" || strings.Count(rec.Body.String(), "\n") != 1) {
				t.Errorf("%s: GET %s: body %q, want one line", c.name, p, rec.Body)
			}
		}
		if rec := do(t, h, "POST", "/api/queries/9/stop", c.hdr); (rec.Code == 401) != (c.code == 401) {
			t.Errorf("%s: POST stop: %d", c.name, rec.Code)
		}
	}
	rec := do(t, h, "GET", "/?token=s3cret", nil)
	ck := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" || len(ck) != 1 ||
		ck[0].Name != "weir_token" || ck[0].Value != "s3cret" || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode {
		t.Errorf("?token=: %d %v %v", rec.Code, rec.Header(), ck)
	}
	if rec := do(t, h, "GET", "/?token=nope", nil); rec.Code != 401 || len(rec.Result().Cookies()) != 0 {
		t.Errorf("?token= wrong: %d", rec.Code)
	}
	if rec := do(t, h, "GET", "/api/queries?token=s3cret", nil); rec.Code != 401 {
		t.Errorf("?token= elsewhere than the page: %d", rec.Code)
	}
}

// TestHTTPEventsSlowClient: a client that does not read is dropped;
// publishing never blocks.
func TestHTTPEventsSlowClient(t *testing.T) {
	h := newEventHub()
	ch := h.subscribe()
	for i := 0; i < eventBuffer+10; i++ {
		h.publish("batch", i)
	}
	n := 0
	for range ch {
		n++
	}
	if n != eventBuffer || h.active() {
		t.Errorf("slow client got %d events (want %d) and active=%v", n, eventBuffer, h.active())
	}
}

// TestHTTPEventsStream: a batch reaches a client of /api/events.
func TestHTTPEventsStream(t *testing.T) {
	q := fakeQuery(1, "running")
	m := fakeMonitor("", q)
	srv := httptest.NewServer(m.handler())
	defer srv.Close()
	defer m.events.close()
	resp, err := http.Get(srv.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, len(": connected\n\n"))
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != ": connected\n\n" {
		t.Fatalf("stream start %q %v", buf, err)
	}
	m.afterBatch(q, q.batches()[0])
	var got strings.Builder
	b := make([]byte, 4096)
	for !strings.Contains(got.String(), "\n\n") {
		n, err := resp.Body.Read(b)
		got.Write(b[:n])
		if err != nil {
			t.Fatal(err)
		}
	}
	ev := strings.SplitN(got.String(), "\n\n", 2)[0]
	if !strings.HasPrefix(ev, "event: batch\ndata: {\"query\":1,\"batch\":{\"time\":4000,") || !strings.Contains(ev, `"query_summary":{"id":1,`) {
		t.Errorf("event %q", ev)
	}
}

func changelogBatch(t *testing.T, words []string, ns []int64, ops []vector.RowKind) arrow.RecordBatch {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{{Name: "word", Type: arrow.BinaryTypes.String}, {Name: "n", Type: arrow.PrimitiveTypes.Int64}, vector.OpField()}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range words {
		b.Field(0).(*array.StringBuilder).Append(words[i])
		b.Field(1).(*array.Int64Builder).Append(ns[i])
		b.Field(2).(*array.Int8Builder).Append(int8(ops[i]))
	}
	return b.NewRecordBatch()
}

// TestHTTPResultUpdating: the changelog is applied by key; changed marks
// the rows of the last batch.
func TestHTTPResultUpdating(t *testing.T) {
	r := newLatestResult(true, []string{"word"})
	b := changelogBatch(t, []string{"a", "b", "c"}, []int64{1, 1, 1}, []vector.RowKind{vector.Insert, vector.Insert, vector.Insert})
	r.add(b)
	b.Release()
	r.takeChanged()
	b = changelogBatch(t, []string{"a", "a", "c"}, []int64{1, 2, 1}, []vector.RowKind{vector.UpdateBefore, vector.UpdateAfter, vector.Delete})
	r.add(b)
	b.Release()
	if !r.takeChanged() || r.takeChanged() {
		t.Fatal("takeChanged")
	}
	got, _ := json.Marshal(r.snapshot())
	if want := `{"columns":["word","n"],"rows":[["a",2],["b",1]],"changed":[0],"updating":true,"truncated":false}`; string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Without a key, a row is its own key: -U removes the old version.
	r = newLatestResult(true, nil)
	b = changelogBatch(t, []string{"a", "a", "a"}, []int64{1, 1, 2}, []vector.RowKind{vector.Insert, vector.UpdateBefore, vector.UpdateAfter})
	r.add(b)
	b.Release()
	r.takeChanged()
	got, _ = json.Marshal(r.snapshot())
	if want := `{"columns":["word","n"],"rows":[["a",2]],"changed":[0],"updating":true,"truncated":false}`; string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestHTTPResultAppend: an append-only result keeps the newest rows,
// newest first, at most maxResultRows.
func TestHTTPResultAppend(t *testing.T) {
	r := newLatestResult(false, nil)
	schema := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
	add := func(from, to int64) {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := from; i < to; i++ {
			b.Field(0).(*array.Int64Builder).Append(i)
		}
		rec := b.NewRecordBatch()
		r.add(rec)
		rec.Release()
		b.Release()
		r.takeChanged()
	}
	add(0, 900)
	add(900, 1200)
	s := r.snapshot()
	if len(s.Rows) != maxResultRows || s.Rows[0][0] != int64(1199) || s.Rows[999][0] != int64(200) || !s.Truncated || len(s.Changed) != 300 || s.Changed[299] != 299 {
		t.Errorf("rows %d first %v last %v truncated %v changed %d", len(s.Rows), s.Rows[0], s.Rows[len(s.Rows)-1], s.Truncated, len(s.Changed))
	}
}

// TestHTTPDashboards: /api/dashboards serves the hub's charts.
func TestHTTPDashboards(t *testing.T) {
	m := fakeMonitor("")
	series := "word"
	m.hub.Publish(dashboard.Chart{Table: "live", Chart: "line", X: "window_end", Y: "n", Series: &series, XType: "timestamp",
		Points: []dashboard.Point{{X: 1, Y: 2, Series: "a"}}})
	m.hub.Publish(dashboard.Chart{Table: "bars", Chart: "bar", X: "w", Y: "n", XType: "string", Updating: true})
	rec := do(t, m.handler(), "GET", "/api/dashboards", nil)
	want := `{"charts":[{"table":"live","chart":"line","x":"window_end","y":"n","series":"word","x_type":"timestamp","updating":false,"points":[{"x":1,"y":2,"series":"a"}]},{"table":"bars","chart":"bar","x":"w","y":"n","series":null,"x_type":"string","updating":true,"points":[]}]}`
	if got := strings.TrimSpace(rec.Body.String()); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestHTTPMetricsFake: /metrics shows a query's counters by query label.
func TestHTTPMetricsFake(t *testing.T) {
	q := fakeQuery(3, "running")
	q.lag = func() []sourceLag { return []sourceLag{{table: "clicks", partition: 2, records: 42}} }
	m := fakeMonitor("", q)
	m.afterBatch(q, q.batches()[0])
	body := do(t, m.handler(), "GET", "/metrics", nil).Body.String()
	for _, line := range []string{
		`weir_rows_in_total{query="3"} 10`,
		`weir_rows_out_total{query="3"} 4`,
		`weir_late_rows_total{query="3"} 1`,
		`weir_bad_rows_total{query="3"} 2`,
		`weir_expired_keys_total{query="3"} 7`,
		`weir_state_keys{query="3"} 3`,
		`weir_state_bytes{query="3"} 300`,
		`weir_watermark_seconds{query="3"} 5`,
		`weir_checkpoints_total{query="3"} 1`,
		`weir_batch_processing_seconds_count{query="3"} 1`,
		`weir_checkpoint_duration_seconds_count{query="3"} 1`,
		`weir_source_lag_records{partition="2",query="3",table="clicks"} 42`,
	} {
		if !strings.Contains(body, "\n"+line+"\n") {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}

// TestHTTPListenAddr: loopback unless a host is named.
func TestHTTPListenAddr(t *testing.T) {
	for in, want := range map[string]string{":0": "127.0.0.1:0", "127.0.0.1:8080": "127.0.0.1:8080", "0.0.0.0:80": "0.0.0.0:80", "[::1]:9": "[::1]:9"} {
		if got, err := listenAddr(in); err != nil || got != want {
			t.Errorf("listenAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"8080", "host:", "host:x", "h:70000"} {
		if _, err := listenAddr(in); err == nil {
			t.Errorf("listenAddr(%q): no error", in)
		}
	}
}
