package dashboard

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/vector"
)

// schema is (window_end TIMESTAMP, word VARCHAR, n BIGINT), with an op
// column when changelog is set.
func schema(changelog bool) *arrow.Schema {
	s := arrow.NewSchema([]arrow.Field{
		{Name: "window_end", Type: vector.Timestamp, Nullable: true},
		{Name: "word", Type: vector.String, Nullable: true},
		{Name: "n", Type: vector.Int64, Nullable: true},
	}, nil)
	if changelog {
		s = vector.WithOpColumn(s)
	}
	return s
}

// row is one row of a test batch.
type row struct {
	endSec int64
	word   string
	n      int64
	kind   vector.RowKind
}

func batch(mem memory.Allocator, s *arrow.Schema, rows ...row) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, s)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(r.endSec * 1000))
		b.Field(1).(*array.StringBuilder).Append(r.word)
		b.Field(2).(*array.Int64Builder).Append(r.n)
		if s.NumFields() == 4 {
			b.Field(3).(*array.Int8Builder).Append(int8(r.kind))
		}
	}
	return b.NewRecordBatch()
}

func opts(kv ...string) map[string]string {
	m := map[string]string{"connector": "dashboard"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// chartJSON is the hub's only chart as JSON.
func chartJSON(t *testing.T, h *Hub) string {
	t.Helper()
	cs := h.Charts()
	if len(cs) != 1 {
		t.Fatalf("%d charts, want 1", len(cs))
	}
	b, err := json.Marshal(cs[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAppendOnlyPoints(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	h := NewHub()
	s, err := NewSinkFactory(h)(connectors.SinkSpec{Table: "live", Schema: schema(false),
		Options: opts("chart", "line", "x", "window_end", "y", "n", "series", "word")})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"table":"live","chart":"line","x":"window_end","y":"n","series":"word","x_type":"timestamp","updating":false,"points":[]}`
	if got := chartJSON(t, h); got != want {
		t.Errorf("before any row:\n got %s\nwant %s", got, want)
	}
	if err := s.Write(batch(mem, schema(false), row{10, "a", 3, 0}, row{10, "b", 1, 0})); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(1); err != nil {
		t.Fatal(err)
	}
	want = `{"table":"live","chart":"line","x":"window_end","y":"n","series":"word","x_type":"timestamp","updating":false,"points":[{"x":10000,"y":3,"series":"a"},{"x":10000,"y":1,"series":"b"}]}`
	if got := chartJSON(t, h); got != want {
		t.Errorf("after a batch:\n got %s\nwant %s", got, want)
	}
	s.Close()
}

// An append-only chart keeps the last MaxPoints points, across batches
// and within one larger batch.
func TestAppendOnlyBounded(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	h := NewHub()
	s, err := NewSinkFactory(h)(connectors.SinkSpec{Table: "live", Schema: schema(false), Options: opts("x", "window_end", "y", "n")})
	if err != nil {
		t.Fatal(err)
	}
	var rows []row
	for i := range MaxPoints + 500 {
		rows = append(rows, row{int64(i), "w", int64(i), 0})
	}
	for _, part := range [][]row{rows[:10], rows[10:]} {
		if err := s.Write(batch(mem, schema(false), part...)); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(1); err != nil {
			t.Fatal(err)
		}
	}
	c := h.Charts()[0]
	if len(c.Points) != MaxPoints || c.Points[0].Y != int64(500) || c.Points[MaxPoints-1].Y != int64(MaxPoints+499) {
		t.Errorf("%d points from y=%v to y=%v, want %d from 500 to %d", len(c.Points), c.Points[0].Y, c.Points[len(c.Points)-1].Y, MaxPoints, MaxPoints+499)
	}
	if c.Series != nil || c.Chart != "line" || c.Points[0].Series != nil {
		t.Errorf("no series and the default chart expected, got %+v", c)
	}
	s.Close()
}

// An updating result replaces the point of its key; a retraction removes
// it; the points come ordered by x, then series.
func TestUpdatingByKey(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	h := NewHub()
	cl := schema(true)
	s, err := NewSinkFactory(h)(connectors.SinkSpec{Table: "top", Schema: cl, Key: []string{"word"},
		Options: opts("chart", "bar", "x", "word", "y", "n")})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		rows []row
		want string
	}{
		{[]row{{0, "b", 1, vector.Insert}, {0, "a", 1, vector.Insert}}, `[{"x":"a","y":1,"series":null},{"x":"b","y":1,"series":null}]`},
		{[]row{{0, "a", 1, vector.UpdateBefore}, {0, "a", 2, vector.UpdateAfter}, {0, "c", 5, vector.Insert}}, `[{"x":"a","y":2,"series":null},{"x":"b","y":1,"series":null},{"x":"c","y":5,"series":null}]`},
		{[]row{{0, "b", 1, vector.Delete}}, `[{"x":"a","y":2,"series":null},{"x":"c","y":5,"series":null}]`},
	}
	for i, st := range steps {
		if err := s.Write(batch(mem, cl, st.rows...)); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(int64(i + 1)); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(h.Charts()[0].Points)
		if string(b) != st.want {
			t.Errorf("step %d:\n got %s\nwant %s", i, b, st.want)
		}
	}
	if c := h.Charts()[0]; !c.Updating || c.XType != "string" || c.Chart != "bar" {
		t.Errorf("got %+v", c)
	}
	s.Close()
}

// Without a sink key, a row of the changelog is its own key, counted: a
// retraction removes one copy.
func TestUpdatingWholeRow(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	h := NewHub()
	cl := schema(true)
	s, err := NewSinkFactory(h)(connectors.SinkSpec{Table: "t", Schema: cl, Options: opts("x", "window_end", "y", "n", "series", "word")})
	if err != nil {
		t.Fatal(err)
	}
	s.Write(batch(mem, cl, row{1, "a", 1, vector.Insert}, row{1, "a", 1, vector.Insert}, row{2, "a", 4, vector.Insert}))
	s.Write(batch(mem, cl, row{1, "a", 1, vector.Delete}, row{2, "a", 4, vector.UpdateBefore}, row{2, "a", 6, vector.UpdateAfter}))
	s.Commit(1)
	b, _ := json.Marshal(h.Charts()[0].Points)
	if want := `[{"x":1000,"y":1,"series":"a"},{"x":2000,"y":6,"series":"a"}]`; string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
	s.Close()
}

// An updating chart keeps at most MaxPoints keys, dropping the least
// recently updated.
func TestUpdatingBounded(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	h := NewHub()
	cl := schema(true)
	s, err := NewSinkFactory(h)(connectors.SinkSpec{Table: "t", Schema: cl, Key: []string{"window_end"}, Options: opts("x", "window_end", "y", "n")})
	if err != nil {
		t.Fatal(err)
	}
	var rows []row
	for i := range MaxPoints + 10 {
		rows = append(rows, row{int64(i), "w", 1, vector.Insert})
		if i == 100 {
			rows = append(rows, row{0, "w", 2, vector.UpdateAfter}) // key 0 is recent again
		}
	}
	if err := s.Write(batch(mem, cl, rows...)); err != nil {
		t.Fatal(err)
	}
	s.Commit(1)
	ps := h.Charts()[0].Points
	if len(ps) != MaxPoints || ps[0].X != int64(0) || ps[0].Y != int64(2) || ps[1].X != int64(11000) {
		t.Errorf("%d points, first %+v, second %+v; want %d, x=0 (updated late), then x=11000", len(ps), ps[0], ps[1], MaxPoints)
	}
	s.Close()
}

// A micro-batch without rows publishes nothing new.
func TestCommitWithoutRowsPublishesNothing(t *testing.T) {
	h := NewHub()
	s, err := NewSinkFactory(h)(connectors.SinkSpec{Table: "t", Schema: schema(false), Options: opts("x", "window_end", "y", "n")})
	if err != nil {
		t.Fatal(err)
	}
	ch, stop := h.Subscribe(4)
	defer stop()
	s.Commit(1)
	s.Write(batch(memory.DefaultAllocator, schema(false), row{1, "a", 1, 0}))
	s.Commit(2)
	select {
	case c := <-ch:
		if len(c.Points) != 1 {
			t.Errorf("got %+v", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no chart published")
	}
	select {
	case c := <-ch:
		t.Errorf("a second chart was published: %+v", c)
	default:
	}
}

// A subscriber that does not read misses charts instead of blocking the
// query; Charts still has the latest.
func TestHubSlowSubscriber(t *testing.T) {
	h := NewHub()
	ch, stop := h.Subscribe(1)
	for i := range 5 {
		h.Publish(Chart{Table: "t", Points: []Point{{X: int64(i)}}})
	}
	if c := <-ch; c.Points[0].X != int64(0) {
		t.Errorf("first chart %+v", c)
	}
	if got := h.Charts()[0].Points[0].X; got != int64(4) {
		t.Errorf("latest x %v, want 4", got)
	}
	stop()
	h.Publish(Chart{Table: "t"})
	select {
	case c := <-ch:
		t.Errorf("a chart after the end of the subscription: %+v", c)
	default:
	}
}

func TestOptions(t *testing.T) {
	r := connectors.NewRegistry()
	r.RegisterSink("dashboard", NewSink, Config())
	s := schema(false)
	if _, err := r.CheckOptions(s, opts("chart", "BAR", "x", "window_end", "y", "N", "series", "word")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		opts []string
		want string
	}{
		{[]string{"x", "window_end", "y", "n", "seris", "word"}, "unknown option 'seris' for connector 'dashboard' (did you mean 'series'?)"},
		{[]string{"x", "window_end", "y", "n", "chart", "pie"}, "option chart: want 'line', 'bar' or 'table', got 'pie'"},
		{[]string{"x", "window_end"}, "option y is required for connector 'dashboard': name the column on the y axis"},
		{[]string{"x", "when", "y", "n"}, `option x: the table has no column "when" (have window_end, word, n)`},
		{[]string{"x", "window_end", "y", "n", "series", "colour"}, `option series: the table has no column "colour" (have window_end, word, n)`},
		{[]string{"x", "window_end", "y", "word"}, `option y: column "word" is VARCHAR, want a number (BIGINT or DOUBLE)`},
	} {
		_, err := r.CheckOptions(s, opts(c.opts...))
		if err == nil || err.Error() != c.want {
			t.Errorf("%v: got %v\nwant %s", c.opts, err, c.want)
		}
	}
	// The factory checks them too, naming the table.
	_, err := NewSink(connectors.SinkSpec{Table: "live", Schema: s, Options: opts("x", "when", "y", "n")})
	if err == nil || !strings.HasPrefix(err.Error(), `table live: option x: the table has no column "when"`) {
		t.Errorf("got %v", err)
	}
	if Config().Changelog(nil) != nil {
		t.Error("the dashboard sink must accept a changelog")
	}
}

// The hub may be used from many goroutines at once: sinks publishing,
// the server subscribing, reading and leaving.
func TestHubConcurrent(t *testing.T) {
	h := NewHub()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 200 {
				h.Publish(Chart{Table: fmt.Sprintf("t%d", g), Points: []Point{{X: int64(i)}}})
			}
		}()
		go func() {
			defer wg.Done()
			for range 50 {
				ch, stop := h.Subscribe(2)
				select {
				case <-ch:
				default:
				}
				h.Charts()
				stop()
			}
		}()
	}
	wg.Wait()
	cs := h.Charts()
	if len(cs) != 4 {
		t.Fatalf("%d charts, want 4", len(cs))
	}
	for _, c := range cs {
		if c.Points[0].X != int64(199) {
			t.Errorf("%s: last x %v, want 199", c.Table, c.Points[0].X)
		}
	}
}
