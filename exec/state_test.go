package exec

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// logLines records the messages of a slog.Logger.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, r.Message)
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }

// distinctKeys is n rows of distinct BIGINT keys.
func distinctKeys(n int) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{int64(i)}
	}
	return rows
}

func countByKey(t *testing.T, mem memory.Allocator, s *arrow.Schema) *WindowAgg {
	agg, err := NewWindowAgg(WindowAggConfig{Input: s, Keys: []int{0}, KeyNames: []string{"k"},
		Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}}, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	return agg
}

// TestMaxStateBytes: 100 new keys a batch under an 88 KiB limit. The state
// passes 80% of it at 1600 keys (one warning, not one per batch) and the
// limit at 1700 keys: the query fails with an error naming the operator,
// its keys and size, and the way out.
func TestMaxStateBytes(t *testing.T) {
	for _, serial := range []bool{true, false} {
		mem := winTestMem(t)
		s := winTestSchema("k:int")
		log := &logLines{}
		sink := &memSink{}
		q := &Query{ID: 1, Input: Input{Table: "t", Source: &sliceSource{mem: mem, schema: s, rows: distinctKeys(3000)}, TimeCol: -1},
			Pipeline: Pipeline{countByKey(t, mem, s)}, Sink: sink, BatchRows: 100, Serial: serial,
			MaxStateBytes: 88 << 10, Log: slog.New(log)}
		var sizes []string
		q.OnBatch = func(b BatchInfo) {
			if len(b.State) != 1 || b.State[0].Bytes != b.StateBytes || b.State[0].Keys != b.StateKeys {
				t.Errorf("batch %d: state %+v, totals %d keys %d bytes", b.Seq, b.State, b.StateKeys, b.StateBytes)
			}
			sizes = append(sizes, FormatBytes(b.StateBytes))
		}
		err := q.Run(context.Background())
		want := "query 1: state of WindowAgg (GROUP BY k) holds 1700 keys in 100.9 KiB, over max_state_bytes = 88 KiB: " +
			"raise it with SET max_state_bytes = '176KiB', or bound the state (a shorter window, fewer distinct keys, or SET state_ttl = '1h' to expire idle keys)"
		if err == nil || err.Error() != want {
			t.Fatalf("serial %v: Run = %v\nwant %s", serial, err, want)
		}
		wantLog := []string{"warning: query 1: state of WindowAgg (GROUP BY k) holds 1600 keys in 75.9 KiB, 86% of max_state_bytes = 88 KiB; the query fails past it"}
		if strings.Join(log.lines, "\n") != strings.Join(wantLog, "\n") {
			t.Errorf("serial %v: warnings %q\nwant %q", serial, log.lines, wantLog)
		}
		if got := strings.Join(sizes, ", "); got != "5.7 KiB, 10.5 KiB, 16.1 KiB, 20.1 KiB, 26.4 KiB, 29.7 KiB, 29.7 KiB, 37.7 KiB, 54.6 KiB, 54.6 KiB, 54.6 KiB, 54.6 KiB, 58.6 KiB, 58.6 KiB, 59.9 KiB, 75.9 KiB" {
			t.Errorf("serial %v: state after each batch: %s", serial, got)
		}
		m := q.Metrics() // as of the last batch committed: the 1700th key failed the next

		if len(m.Operators) != 1 || m.Operators[0].Op != "WindowAgg (GROUP BY k)" || m.Operators[0].Keys != 1600 || m.Operators[0].Bytes != 77672 {
			t.Errorf("serial %v: metrics operators %+v", serial, m.Operators)
		}
		if m.Status != "failed: "+want {
			t.Errorf("status %q", m.Status)
		}
		releaseBatches(sink.batches)
	}
}

// TestMaxStateBytesTiny: a 1 KiB limit fails the first batch; 0 is no limit.
func TestMaxStateBytesTiny(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("k:int")
	q := &Query{ID: 2, Input: Input{Table: "t", Source: &sliceSource{mem: mem, schema: s, rows: distinctKeys(1000)}, TimeCol: -1},
		Pipeline: Pipeline{countByKey(t, mem, s)}, Sink: &memSink{}, BatchRows: 100, MaxStateBytes: 1024}
	want := "query 2: state of WindowAgg (GROUP BY k) holds 100 keys in 5.7 KiB, over max_state_bytes = 1 KiB: " +
		"raise it with SET max_state_bytes = '2KiB', or bound the state (a shorter window, fewer distinct keys, or SET state_ttl = '1h' to expire idle keys)"
	if err := q.Run(context.Background()); err == nil || err.Error() != want {
		t.Fatalf("Run = %v\nwant %s", err, want)
	}
	sink := &memSink{}
	q = &Query{ID: 3, Input: Input{Table: "t", Source: &sliceSource{mem: mem, schema: s, rows: distinctKeys(1000)}, TimeCol: -1},
		Pipeline: Pipeline{countByKey(t, mem, s)}, Sink: sink, BatchRows: 100}
	if err := q.Run(context.Background()); err != nil {
		t.Fatalf("no limit: %v", err)
	}
	if n := q.Metrics().RowsOut; n != 1000 {
		t.Errorf("no limit: %d rows out, want 1000", n)
	}
	releaseBatches(sink.batches)
}

func TestWindowAggName(t *testing.T) {
	s := winTestSchema("ts:ts", "w:string")
	for _, tc := range []struct {
		spec WindowSpec
		keys []int
		want string
	}{
		{WindowSpec{Kind: Tumble, TimeCol: 0, Size: 60000}, []int{1}, "WindowAgg (GROUP BY w, TUMBLE(ts, INTERVAL '1' MINUTE))"},
		{WindowSpec{Kind: Hop, TimeCol: 0, Size: 3600000, Slide: 10000}, nil, "WindowAgg (GROUP BY HOP(ts, INTERVAL '10' SECOND, INTERVAL '1' HOUR))"},
		{WindowSpec{Kind: Tumble, TimeCol: 0, Size: 1500}, nil, "WindowAgg (GROUP BY TUMBLE(ts, INTERVAL '1500' MILLISECOND))"},
		{WindowSpec{}, nil, "WindowAgg"},
	} {
		names := make([]string, len(tc.keys))
		for i, k := range tc.keys {
			names[i] = s.Field(k).Name
		}
		agg, err := NewWindowAgg(WindowAggConfig{Input: s, Keys: tc.keys, KeyNames: names, Window: tc.spec,
			Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := OpName(agg); got != tc.want {
			t.Errorf("OpName = %q, want %q", got, tc.want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB", 1288490189: "1.2 GiB", 1 << 40: "1 TiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int64]string{2 << 30: "2GiB", 3 << 20: "3MiB", 2048: "2KiB", 1000: "1000", (1 << 20) + 1: "2MiB", 2048000000: "2GiB", 3 << 30: "3GiB"} {
		if got := sizeSetting(n); got != want {
			t.Errorf("sizeSetting(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDefaultStateBytes(t *testing.T) {
	if got := stateBytesFor(4 << 30); got != 2<<30 {
		t.Errorf("4 GiB: %d", got)
	}
	if got := stateBytesFor(100 << 20); got != 64<<20 {
		t.Errorf("100 MiB: %d, want the 64 MiB floor", got)
	}
	if got := stateBytesFor(0); got != 0 {
		t.Errorf("unknown: %d", got)
	}
	if got := parseCgroupMax("max\n"); got != 0 {
		t.Errorf("cgroup max: %d", got)
	}
	if got := parseCgroupMax("4294967296\n"); got != 4<<30 {
		t.Errorf("cgroup 4 GiB: %d", got)
	}
	if got := parseMemTotal("MemTotal:       16318540 kB\nMemFree: 1 kB\n"); got != 16318540<<10 {
		t.Errorf("meminfo: %d", got)
	}
	if got := parseMemTotal("MemFree: 1 kB\n"); got != 0 {
		t.Errorf("meminfo without MemTotal: %d", got)
	}
}
