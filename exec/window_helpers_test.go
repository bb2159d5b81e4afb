package exec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// winTestMem is a checked allocator that must be empty when the test ends.
func winTestMem(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// winTestSchema builds a schema from "name:type" pairs (int, float, string,
// bool, ts, null).
func winTestSchema(cols ...string) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		name, typ, _ := strings.Cut(c, ":")
		var t arrow.DataType
		switch typ {
		case "int":
			t = vector.Int64
		case "float":
			t = vector.Float64
		case "string":
			t = vector.String
		case "bool":
			t = vector.Boolean
		case "ts":
			t = vector.Timestamp
		case "null":
			t = vector.Null
		default:
			panic("winTestSchema: type " + typ)
		}
		fields[i] = arrow.Field{Name: name, Type: t, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// winTestBatch builds a batch of rows; values are int64 (Int64, Timestamp),
// int (same), float64, string, bool, or nil for NULL.
func winTestBatch(mem memory.Allocator, s *arrow.Schema, rows [][]any) arrow.RecordBatch {
	cols := make([]arrow.Array, s.NumFields())
	for j := range cols {
		b := array.NewBuilder(mem, s.Field(j).Type)
		for _, r := range rows {
			v := r[j]
			if v == nil {
				b.AppendNull()
				continue
			}
			switch b := b.(type) {
			case *array.Int64Builder:
				b.Append(winTestInt(v))
			case *array.TimestampBuilder:
				b.Append(arrow.Timestamp(winTestInt(v)))
			case *array.Float64Builder:
				b.Append(v.(float64))
			case *array.StringBuilder:
				b.Append(v.(string))
			case *array.BooleanBuilder:
				b.Append(v.(bool))
			default:
				panic(fmt.Sprintf("winTestBatch: builder %T", b))
			}
		}
		cols[j] = b.NewArray()
		b.Release()
	}
	rb := array.NewRecordBatch(s, cols, int64(len(rows)))
	for _, c := range cols {
		c.Release()
	}
	return rb
}

func winTestInt(v any) int64 {
	switch v := v.(type) {
	case int:
		return int64(v)
	case int64:
		return v
	}
	panic(fmt.Sprintf("winTestInt: %T", v))
}

// winTestValues converts the rows of output batches to Go values: int64,
// float64, string, bool or nil; and releases the batches.
func winTestValues(bs []arrow.RecordBatch) [][]any {
	var rows [][]any
	for _, b := range bs {
		for i := 0; i < int(b.NumRows()); i++ {
			row := make([]any, b.NumCols())
			for j := range row {
				row[j] = winTestValue(b.Column(j), i)
			}
			rows = append(rows, row)
		}
		b.Release()
	}
	return rows
}

func winTestValue(a arrow.Array, i int) any {
	if a.IsNull(i) || a.DataType().ID() == arrow.NULL {
		return nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.Int8: // a changelog's op column
		return int64(a.Value(i))
	}
	panic(fmt.Sprintf("winTestValue: %T", a))
}

// winTestFormat renders rows as space-separated values, NULL as "null".
func winTestFormat(rows [][]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		parts := make([]string, len(r))
		for j, v := range r {
			switch v := v.(type) {
			case nil:
				parts[j] = "null"
			case string:
				parts[j] = strconv.Quote(v)
			case float64:
				parts[j] = strconv.FormatFloat(v, 'g', -1, 64)
			default:
				parts[j] = fmt.Sprint(v)
			}
		}
		out[i] = strings.Join(parts, " ")
	}
	return out
}

// winTestSameValue compares two output values, floats with a relative
// tolerance of 1e-9.
func winTestSameValue(a, b any) bool {
	fa, ok1 := a.(float64)
	fb, ok2 := b.(float64)
	if !ok1 || !ok2 {
		return a == b
	}
	switch {
	case math.IsNaN(fa) || math.IsNaN(fb):
		return math.IsNaN(fa) && math.IsNaN(fb)
	case math.IsInf(fa, 0) || math.IsInf(fb, 0):
		return fa == fb
	}
	return math.Abs(fa-fb) <= 1e-9*max(1, math.Abs(fa), math.Abs(fb))
}

// winTestStep is one micro-batch of a test: rows, then a watermark (none if
// noAdvance).
type winTestStep struct {
	rows      [][]any
	wm        int64
	noAdvance bool
}

// winTestDrive runs steps through a new operator and returns, per step,
// the formatted rows Advance emitted; then it checks that Advance(Max)
// leaves no state and closes the operator.
func winTestDrive(t *testing.T, cfg WindowAggConfig, steps []winTestStep) ([][]string, WindowStats) {
	t.Helper()
	mem := winTestMem(t)
	cfg.Alloc = mem
	w, err := NewWindowAgg(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var out [][]string
	for _, s := range steps {
		if len(s.rows) > 0 {
			got, err := w.Process(winTestBatch(mem, cfg.Input, s.rows))
			if err != nil || got != nil {
				t.Fatalf("Process = %v, %v", got, err)
			}
		}
		if s.noAdvance {
			continue
		}
		bs, err := w.Advance(s.wm)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			if b.NumRows() == 0 {
				t.Fatal("Advance returned an empty batch")
			}
			if !b.Schema().Equal(w.Schema()) {
				t.Fatalf("batch schema %s, want %s", b.Schema(), w.Schema())
			}
		}
		out = append(out, winTestFormat(winTestValues(bs)))
	}
	st := w.Stats()
	if last := steps[len(steps)-1]; !last.noAdvance && last.wm == MaxWatermark && (st.Keys != 0 || st.Panes != 0) {
		t.Fatalf("after the end: %d keys, %d panes alive", st.Keys, st.Panes)
	}
	return out, st
}

// winTestExpect compares the output of each step with want.
func winTestExpect(t *testing.T, got [][]string, want ...[]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d advances, want %d:\n%q", len(got), len(want), got)
	}
	for i := range want {
		if strings.Join(got[i], "\n") != strings.Join(want[i], "\n") {
			t.Errorf("advance %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
}
