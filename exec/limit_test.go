package exec

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestLiveLimitEndsQuery: a LIMIT over a live stream ends the query once
// its rows are out, as if the input had ended: the source is not read
// again and the query finishes (it is not stopped from outside).
func TestLiveLimitEndsQuery(t *testing.T) {
	for _, serial := range []bool{true, false} {
		mem := winTestMem(t)
		s := winTestSchema("w:string")
		clock := &fakeClock{now: time.UnixMilli(0).UTC()}
		ctx, cancel := context.WithCancel(context.Background())
		var script [][][]any
		for i := 0; i < 50; i++ {
			script = append(script, [][]any{{"a"}, {"b"}, {"c"}})
		}
		src := &tickSource{mem: mem, schema: s, cancel: cancel, clock: clock, script: script}
		sink := &memSink{}
		q := &Query{Input: Input{Table: "t", Source: src, TimeCol: -1}, Pipeline: Pipeline{NewLimit(s, 5)},
			Sink: sink, Interval: time.Second, Clock: clock, Serial: serial}
		if err := q.Run(ctx); err != nil {
			t.Fatal(err)
		}
		got := winTestFormat(winTestValues(sink.batches))
		releaseBatches(sink.batches)
		cancel()
		if want := `"a"|"b"|"c"|"a"|"b"`; strings.Join(got, "|") != want {
			t.Errorf("serial=%v: got %v, want %s", serial, got, want)
		}
		if m := q.Metrics(); m.Status != "finished" || m.RowsOut != 5 {
			t.Errorf("serial=%v: status %q, %d rows out; want finished with 5", serial, m.Status, m.RowsOut)
		}
		// Serially the source is not read after the batch that filled the
		// limit; with two stages at most the few batches in flight are.
		if maxRead := map[bool]int{true: 2, false: 2 + stageQueue}[serial]; src.k > maxRead {
			t.Errorf("serial=%v: source read %d batches after the limit was reached", serial, src.k)
		}
	}
}

// TestEmissionLimit: a limit per emission keeps the first n rows of each
// watermark advance and never ends the query.
func TestEmissionLimit(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("v:int")
	l := NewEmissionLimit(s, 2)
	var got []string
	for _, emission := range [][][]any{{{int64(1)}, {int64(2)}, {int64(3)}}, {{int64(4)}}, {{int64(5)}, {int64(6)}, {int64(7)}}} {
		out, err := l.Process(winTestBatch(mem, s, emission))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join(winTestFormat(winTestValues(out)), ","))
		releaseBatches(out)
		if _, err := l.Advance(0); err != nil {
			t.Fatal(err)
		}
		if l.Satisfied() {
			t.Fatal("a limit per emission reports itself satisfied")
		}
	}
	if want := "1,2|4|5,6"; strings.Join(got, "|") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}
