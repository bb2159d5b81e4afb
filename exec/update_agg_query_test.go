package exec

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestUpdatingAggLiveEveryBatch runs a word count without a window over a
// live source (Spark's updateStateByKey): the changes come out after
// every micro-batch although the watermark never moves; the state's keys
// show in the query's metrics.
func TestUpdatingAggLiveEveryBatch(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("w:string")
	clock := &fakeClock{now: time.UnixMilli(10_500).UTC()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := &tickSource{mem: mem, schema: s, cancel: cancel, clock: clock, script: [][][]any{
		{{"a"}, {"b"}},
		{{"a"}},
		{},
		{{"c"}, {"a"}},
	}}
	agg, err := NewUpdatingAgg(UpdatingAggConfig{Input: s, Keys: []int{0}, KeyNames: []string{"w"},
		Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}}, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	var perBatch []int
	q := &Query{Input: Input{Table: "t", Source: src, TimeCol: -1}, Pipeline: Pipeline{agg}, Sink: sink,
		Interval: time.Second, Clock: clock, OnBatch: func(BatchInfo) { perBatch = append(perBatch, len(sink.batches)) }}
	if err := q.Run(ctx); err != nil {
		t.Fatal(err)
	}
	got := updLines(t, sink.batches)
	want := []string{"+I a 1", "+I b 1", "-U a 1", "+U a 2", "-U a 2", "+U a 3", "+I c 1"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q (batches out after each micro-batch: %v)", got, want, perBatch)
	}
	if m := q.Metrics(); m.State.Keys != 3 {
		t.Fatalf("keys %d, want 3", m.State.Keys)
	}
}
