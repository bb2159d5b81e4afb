package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/vector"
)

// wmRecorder passes batches on and records every watermark it is given.
type wmRecorder struct {
	schema *arrow.Schema
	mu     sync.Mutex
	wms    []int64
}

func (w *wmRecorder) Schema() *arrow.Schema { return w.schema }
func (w *wmRecorder) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	return []arrow.RecordBatch{b}, nil
}
func (w *wmRecorder) Advance(wm int64) ([]arrow.RecordBatch, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.wms = append(w.wms, wm)
	return nil, nil
}
func (w *wmRecorder) Close() {}
func (w *wmRecorder) got() []int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.wms)
}

func wmString(wms []int64) string {
	var s []string
	for _, w := range wms {
		switch w {
		case MaxWatermark:
			s = append(s, "max")
		case MinWatermark:
			s = append(s, "min")
		default:
			s = append(s, strconv.FormatInt(w, 10))
		}
	}
	return strings.Join(s, " ")
}

func sinkRows(m *memSink) string {
	return strings.Join(winTestFormat(winTestValues(m.batches)), "|")
}

// TestGraphUnionBounded: a union of two bounded sources reads one batch of
// each per micro-batch, passes every row on, and advances with the
// minimum of the two inputs' watermarks; an input that ended no longer
// holds it back.
func TestGraphUnionBounded(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("ts:ts", "v:int")
	a := &sliceSource{mem: mem, schema: s, rows: [][]any{{int64(10), int64(1)}, {int64(20), int64(2)}, {int64(30), int64(3)}}}
	b := &sliceSource{mem: mem, schema: s, rows: [][]any{{int64(5), int64(100)}, {int64(6), int64(200)}}}
	rec := &wmRecorder{schema: s}
	sink := &memSink{}
	defer releaseSink(sink)
	q := &Query{Graph: &Graph{
		Inputs: []Input{{Table: "a", Source: a, TimeCol: 0}, {Table: "b", Source: b, TimeCol: 0}},
		Nodes:  []GraphNode{{Op: NewUnion(s, 2), From: []Port{FromInput(0), FromInput(1)}}, {Op: rec, From: []Port{FromNode(0)}}},
		Output: FromNode(1),
	}, Sink: sink, BatchRows: 1}
	if err := q.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := sinkRows(sink), "10 1|5 100|20 2|6 200|30 3"; got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
	// min(10, 5), min(20, 6), min(30, ended), then the end.
	if got, want := wmString(rec.got()), "5 6 30 max"; got != want {
		t.Errorf("watermarks %s, want %s", got, want)
	}
	if m := q.Metrics(); m.RowsIn != 5 || m.RowsOut != 5 || m.Watermark != MaxWatermark || m.Status != "finished" {
		t.Errorf("metrics %+v", m)
	}
}

// TestGraphUnionLiveAndBounded: a live input makes the query live; the
// bounded input is read in the first tick, ends, and from then on only
// the live input's watermark counts.
func TestGraphUnionLiveAndBounded(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("ts:ts", "v:int")
	clock := &fakeClock{now: time.UnixMilli(10_500).UTC()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	live := &tickSource{mem: mem, schema: s, cancel: cancel, clock: clock, script: [][][]any{
		{{int64(100), int64(1)}},
		{{int64(200), int64(2)}},
	}}
	file := &sliceSource{mem: mem, schema: s, rows: [][]any{{int64(1), int64(7)}, {int64(2), int64(8)}}}
	rec := &wmRecorder{schema: s}
	sink := &memSink{}
	defer releaseSink(sink)
	var infos []BatchInfo
	q := &Query{Graph: &Graph{
		Inputs: []Input{{Table: "live", Source: live, TimeCol: 0}, {Table: "file", Source: file, TimeCol: 0}},
		Nodes:  []GraphNode{{Op: NewUnion(s, 2), From: []Port{FromInput(0), FromInput(1)}}, {Op: rec, From: []Port{FromNode(0)}}},
		Output: FromNode(1),
	}, Sink: sink, Interval: time.Second, Clock: clock, OnBatch: func(b BatchInfo) { infos = append(infos, b) }}
	if !q.Live() {
		t.Fatal("a query with a live input is not live")
	}
	if err := q.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := sinkRows(sink), "100 1|1 7|2 8|200 2"; got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
	// The third tick finds no row (the script is over; the test stops the
	// query there): the watermark stays.
	if got, want := wmString(rec.got()), "100 200 200"; got != want {
		t.Errorf("watermarks %s, want %s", got, want)
	}
	if len(infos) != 3 || infos[0].Rows != 3 || infos[0].Watermark != 100 || infos[1].Watermark != 200 {
		t.Errorf("batches %+v", infos)
	}
}

// TestGraphFanOut: one input read by two nodes, one on each stage (a
// projection on the front, the union on the back), and the union reading
// both: every row comes out twice, in order, and no batch leaks (the
// checked allocator).
func TestGraphFanOut(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("ts:ts", "v:int")
	src := &sliceSource{mem: mem, schema: s, rows: [][]any{{int64(1), int64(1)}, {int64(2), int64(2)}}}
	zero := NewProject(mem, []vector.Expr{vector.ColumnRef(0, vector.Timestamp, "ts"), vector.Literal(int64(0), vector.Int64)}, []string{"ts", "v"})
	sink := &memSink{}
	defer releaseSink(sink)
	q := &Query{Graph: &Graph{
		Inputs: []Input{{Table: "t", Source: src, TimeCol: -1}},
		Nodes: []GraphNode{
			{Op: zero, From: []Port{FromInput(0)}},
			{Op: NewUnion(zero.Schema(), 2), From: []Port{FromNode(0), FromInput(0)}},
		},
		Output: FromNode(1),
	}, Sink: sink, BatchRows: 1}
	if err := q.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := sinkRows(sink), "1 0|1 1|2 0|2 2"; got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
}

// TestGraphFanOutToSinkAndNode: a node's output read both by the sink and
// by another node (whose output nobody reads) is written once.
func TestGraphFanOutToSinkAndNode(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("ts:ts", "v:int")
	src := &sliceSource{mem: mem, schema: s, rows: [][]any{{int64(1), int64(1)}, {int64(2), int64(2)}}}
	lim := NewLimit(s, 10)
	rec := &wmRecorder{schema: s}
	sink := &memSink{}
	defer releaseSink(sink)
	q := &Query{Graph: &Graph{
		Inputs: []Input{{Table: "t", Source: src, TimeCol: -1}},
		Nodes:  []GraphNode{{Op: lim, From: []Port{FromInput(0)}}, {Op: rec, From: []Port{FromNode(0)}}},
		Output: FromNode(0),
	}, Sink: sink}
	if err := q.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := sinkRows(sink), "1 1|2 2"; got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
}

// TestGraphChecks: a malformed graph is refused with an error, not a panic.
func TestGraphChecks(t *testing.T) {
	s := winTestSchema("v:int")
	for name, g := range map[string]*Graph{
		"no input":           {Output: FromInput(0)},
		"forward port":       {Inputs: []Input{{Table: "t"}}, Nodes: []GraphNode{{Op: NewLimit(s, 1), From: []Port{FromNode(0)}}}, Output: FromNode(0)},
		"missing ports":      {Inputs: []Input{{Table: "t"}}, Nodes: []GraphNode{{Op: NewUnion(s, 2), From: []Port{FromInput(0)}}}, Output: FromNode(0)},
		"bad output":         {Inputs: []Input{{Table: "t"}}, Output: FromNode(3)},
		"input out of range": {Inputs: []Input{{Table: "t"}}, Nodes: []GraphNode{{Op: NewLimit(s, 1), From: []Port{FromInput(2)}}}, Output: FromNode(0)},
	} {
		if _, err := newGraphPlan(g); err == nil || !strings.HasPrefix(err.Error(), "query graph: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// seekSource is a bounded, seekable source of one row per batch that
// fails when it reaches failAt (if positive).
type seekSource struct {
	mem    memory.Allocator
	schema *arrow.Schema
	rows   [][]any
	pos    int
	failAt int
}

func (s *seekSource) Schema() *arrow.Schema { return s.schema }
func (s *seekSource) Close() error          { return nil }
func (s *seekSource) Next(context.Context, int) (arrow.RecordBatch, error) {
	if s.failAt > 0 && s.pos == s.failAt {
		return nil, errors.New("source broke")
	}
	if s.pos >= len(s.rows) {
		return nil, connectors.ErrEndOfInput
	}
	s.pos++
	return winTestBatch(s.mem, s.schema, s.rows[s.pos-1:s.pos]), nil
}
func (s *seekSource) Position() ([]byte, error) { return []byte(strconv.Itoa(s.pos)), nil }
func (s *seekSource) Seek(p []byte) error {
	n, err := strconv.Atoi(string(p))
	s.pos = n
	return err
}

var _ connectors.Seeker = (*seekSource)(nil)

// twoInputSum is SUM(v) over the union of two seekable sources.
func twoInputSum(t *testing.T, mem memory.Allocator, dir string, failAt int, sink *memSink) *Query {
	t.Helper()
	s := winTestSchema("ts:ts", "v:int")
	a := &seekSource{mem: mem, schema: s, rows: [][]any{{int64(1), int64(1)}, {int64(2), int64(2)}, {int64(3), int64(3)}}, failAt: failAt}
	b := &seekSource{mem: mem, schema: s, rows: [][]any{{int64(1), int64(10)}, {int64(2), int64(20)}, {int64(3), int64(30)}}}
	agg, err := NewWindowAgg(WindowAggConfig{Input: s, Aggs: []AggSpec{{Func: Sum, Arg: 1, Name: "s"}}, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	return &Query{Graph: &Graph{
		Inputs: []Input{{Table: "a", Source: a, TimeCol: 0}, {Table: "b", Source: b, TimeCol: 0}},
		Nodes:  []GraphNode{{Op: NewUnion(s, 2), From: []Port{FromInput(0), FromInput(1)}}, {Op: agg, From: []Port{FromNode(0)}}},
		Output: FromNode(1),
	}, Sink: sink, BatchRows: 1, Checkpoint: &Checkpointing{Dir: dir, EveryBatches: 1, Fingerprint: "sum"}}
}

// TestGraphCheckpointTwoInputs: a two-input query checkpoints one source
// position per input; after a failure it resumes from them, and its
// result is that of a run without the failure.
func TestGraphCheckpointTwoInputs(t *testing.T) {
	mem := winTestMem(t)
	dir := t.TempDir()
	first := &memSink{}
	defer releaseSink(first)
	if err := twoInputSum(t, mem, dir, 2, first).Run(context.Background()); err == nil || !strings.Contains(err.Error(), "source broke") {
		t.Fatalf("first run: %v", err)
	}
	last, err := latestCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(last, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m checkpointMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var pos []string
	for _, in := range m.Inputs {
		pos = append(pos, fmt.Sprintf("%s@%s max_ts %d wm %d", in.Table, in.Source, in.MaxTs, in.Watermark))
	}
	if got, want := strings.Join(pos, ", "), "a@2 max_ts 2 wm 2, b@2 max_ts 2 wm 2"; got != want || m.Source != nil {
		t.Errorf("checkpoint inputs %s (legacy source %q), want %s", got, m.Source, want)
	}
	if !slices.Equal(m.Ops, []int{1}) {
		t.Errorf("snapshotted nodes %v, want [1]", m.Ops)
	}
	again := &memSink{}
	defer releaseSink(again)
	q := twoInputSum(t, mem, dir, 0, again)
	if err := q.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sinkRows(again); got != "66" {
		t.Errorf("resumed result %s, want 66", got)
	}
	if q.Metrics().RowsIn != 6 {
		t.Errorf("rows in %d, want 6 (4 before the checkpoint, 2 after)", q.Metrics().RowsIn)
	}
}

// TestGraphCheckpointInputsMismatch: a checkpoint with another number of
// inputs is refused with an error that says what to do.
func TestGraphCheckpointInputsMismatch(t *testing.T) {
	dir := t.TempDir()
	chk := filepath.Join(dir, "chk-000000000001")
	if err := os.MkdirAll(chk, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := `{"fingerprint":"sum","seq":1,"inputs":[{"table":"a","source":"MQ=="}],"ops":[]}`
	if err := os.WriteFile(filepath.Join(chk, "meta.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	mem := winTestMem(t)
	sink := &memSink{}
	defer releaseSink(sink)
	err := twoInputSum(t, mem, dir, 0, sink).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "holds 1 source positions, but the query reads 2 inputs: start it with --reset") {
		t.Errorf("Run = %v", err)
	}
}

// TestCheckpointReadsSingleInputMeta: a checkpoint written before queries
// had several inputs (source and max_ts at the top) still resumes.
func TestCheckpointReadsSingleInputMeta(t *testing.T) {
	dir := t.TempDir()
	chk := filepath.Join(dir, "chk-000000000001")
	if err := os.MkdirAll(chk, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := `{"fingerprint":"f","seq":1,"epoch":2,"watermark":2,"max_ts":2,"source":"Mg==","ops":[]}`
	if err := os.WriteFile(filepath.Join(chk, "meta.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	mem := winTestMem(t)
	s := winTestSchema("ts:ts", "v:int")
	src := &seekSource{mem: mem, schema: s, rows: [][]any{{int64(1), int64(1)}, {int64(2), int64(2)}, {int64(3), int64(3)}}}
	sink := &memSink{}
	defer releaseSink(sink)
	q := &Query{Input: Input{Table: "t", Source: src, TimeCol: 0}, Pipeline: Pipeline{NewLimit(s, 10)}, Sink: sink,
		Checkpoint: &Checkpointing{Dir: dir, Fingerprint: "f"}}
	if err := q.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sinkRows(sink); got != "3 3" {
		t.Errorf("rows %s, want 3 3 (resumed at position 2)", got)
	}
}

// TestLimitUnderAggregateCheckpointed: LIMIT under an aggregate keeps
// state (the rows left), so it runs on the back stage with the aggregate
// and is snapshotted by the goroutine that runs it. Run with -race: when
// the LIMIT ran on the front while the back stage snapshotted it, this
// was a data race.
func TestLimitUnderAggregateCheckpointed(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("ts:ts", "v:int")
	var rows [][]any
	for i := range 200 {
		rows = append(rows, []any{int64(i), int64(1)})
	}
	src := &sliceSource{mem: mem, schema: s, rows: rows}
	lim := NewLimit(s, 150)
	agg, err := NewWindowAgg(WindowAggConfig{Input: s, Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}}, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sink := &memSink{}
	defer releaseSink(sink)
	q := &Query{Input: Input{Table: "t", Source: src, TimeCol: -1}, Pipeline: Pipeline{lim, agg}, Sink: sink, BatchRows: 1,
		Checkpoint: &Checkpointing{Dir: dir, EveryBatches: 1, Fingerprint: "f"}}
	p, err := newGraphPlan(q.graph())
	if err != nil || p.cut != 0 {
		t.Fatalf("cut %d, %v: the LIMIT must run on the back stage", p.cut, err)
	}
	if err := q.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sinkRows(sink); got != "150" {
		t.Errorf("count %s, want 150", got)
	}
	if q.Checkpoints() < 150 {
		t.Errorf("%d checkpoints", q.Checkpoints())
	}
	last, _ := latestCheckpoint(dir)
	for _, f := range []string{"op-0.snap", "op-1.snap"} {
		if _, err := os.Stat(filepath.Join(last, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestStageCut: the graph is cut at the first stateful operator, found
// by capability; with none, every operator runs on the back stage.
func TestStageCut(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("ts:ts", "v:int")
	pass := NewProject(mem, []vector.Expr{vector.ColumnRef(0, vector.Timestamp, "ts"), vector.ColumnRef(1, vector.Int64, "v")}, []string{"ts", "v"})
	chain := func(ops ...Operator) int {
		q := &Query{Input: Input{Table: "t"}, Pipeline: ops}
		p, err := newGraphPlan(q.graph())
		if err != nil {
			t.Fatal(err)
		}
		return p.cut
	}
	if c := chain(pass, pass); c != 0 {
		t.Errorf("stateless chain cut at %d", c)
	}
	if c := chain(pass, NewSort(mem, s, []SortKey{{Col: 1}}), pass); c != 1 {
		t.Errorf("sort cut at %d", c)
	}
	if c := chain(pass, pass, NewEmissionLimit(s, 3)); c != 2 {
		t.Errorf("limit cut at %d", c)
	}
}

// TestGraphLimitOnOneBranch: a LIMIT satisfied on one branch of a union
// does not end the query; one after the union does.
func TestGraphLimitOnOneBranch(t *testing.T) {
	s := winTestSchema("v:int")
	branch := NewLimit(s, 0)
	g := &Graph{Inputs: []Input{{Table: "a"}, {Table: "b"}}, Nodes: []GraphNode{
		{Op: branch, From: []Port{FromInput(0)}},
		{Op: NewUnion(s, 2), From: []Port{FromNode(0), FromInput(1)}},
	}, Output: FromNode(1)}
	p, err := newGraphPlan(g)
	if err != nil {
		t.Fatal(err)
	}
	if p.satisfied() {
		t.Error("a LIMIT on one branch ended the query")
	}
	g.Nodes = append(g.Nodes, GraphNode{Op: NewLimit(s, 0), From: []Port{FromNode(1)}})
	g.Output = FromNode(2)
	if p, err = newGraphPlan(g); err != nil || !p.satisfied() {
		t.Errorf("a LIMIT after the union did not end the query (%v)", err)
	}
}

// TestTablesWithoutWatermark names the live inputs that hold an
// event-time window back forever.
func TestTablesWithoutWatermark(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("ts:ts", "v:int")
	agg, err := NewWindowAgg(WindowAggConfig{Input: s, Aggs: []AggSpec{{Func: Sum, Arg: 1, Name: "s"}},
		Window: WindowSpec{Kind: Tumble, TimeCol: 0, Size: 10, Slide: 10}, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer agg.Close()
	live := &tickSource{schema: s}
	q := &Query{Graph: &Graph{
		Inputs: []Input{{Table: "sock", Source: live, TimeCol: -1}, {Table: "clicks", Source: live, TimeCol: 0},
			{Table: "file", Source: &sliceSource{schema: s}, TimeCol: -1}},
		Nodes:  []GraphNode{{Op: NewUnion(s, 3), From: []Port{FromInput(0), FromInput(1), FromInput(2)}}, {Op: agg, From: []Port{FromNode(0)}}},
		Output: FromNode(1),
	}}
	if got := strings.Join(q.TablesWithoutWatermark(), ","); got != "sock" || !q.WaitsForEndOfInput() {
		t.Errorf("tables %q", got)
	}
	q.ProcTimeWindows = true
	if got := q.TablesWithoutWatermark(); got != nil {
		t.Errorf("windows over processing time: %q", got)
	}
}
