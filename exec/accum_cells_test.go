package exec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// accumCellsSchema is the input of the accumCells tests: a column of each
// argument type.
var accumCellsSchema = winTestSchema("i:int", "f:float", "s:string", "b:bool", "t:ts", "n:null")

// accumCellsSpecs is every aggregate over every argument type it allows.
var accumCellsSpecs = []AggSpec{
	{Func: CountStar, Arg: -1}, {Func: Count, Arg: 2}, {Func: Count, Arg: 5},
	{Func: Sum, Arg: 0}, {Func: Sum, Arg: 1}, {Func: Sum, Arg: 5},
	{Func: Avg, Arg: 0}, {Func: Avg, Arg: 1},
	{Func: Min, Arg: 0}, {Func: Max, Arg: 1}, {Func: Min, Arg: 1}, {Func: Max, Arg: 2}, {Func: Min, Arg: 2},
	{Func: Max, Arg: 3}, {Func: Min, Arg: 4}, {Func: Max, Arg: 5},
}

// accumCellsRows is n random rows of accumCellsSchema; floats are
// multiples of 1/4 (sums exact in any order), with infinities and NaN.
func accumCellsRows(r *rand.Rand, n int) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		row := []any{int64(r.IntN(2001) - 1000), float64(r.IntN(401)-200) / 4, fmt.Sprintf("w%d", r.IntN(50)), r.IntN(2) == 0, int64(r.IntN(1e6)), nil}
		switch r.IntN(30) {
		case 0:
			row[1] = math.Inf(1)
		case 1:
			row[1] = math.Inf(-1)
		case 2:
			row[1] = math.NaN()
		}
		for c := range 5 {
			if r.IntN(8) == 0 {
				row[c] = nil
			}
		}
		rows[i] = row
	}
	return rows
}

// accumCellsFormat renders an array's values, NaN and signed zeros alike
// distinguished.
func accumCellsFormat(a arrow.Array) string {
	var sb strings.Builder
	for i := range a.Len() {
		if u, ok := a.(*array.Uint64); ok {
			fmt.Fprintf(&sb, "%d|", u.Value(i))
			continue
		}
		v := winTestValue(a, i)
		if f, ok := v.(float64); ok {
			v = fmt.Sprintf("%x", math.Float64bits(f))
		}
		fmt.Fprintf(&sb, "%v|", v)
	}
	return sb.String()
}

// accumCellsUpdate feeds rows to c, the row of group groups[i].
func accumCellsUpdate(t *testing.T, c *accumCells, mem memory.Allocator, spec AggSpec, rows [][]any, groups []uint32) {
	t.Helper()
	b := winTestBatch(mem, accumCellsSchema, rows)
	defer b.Release()
	var arg arrow.Array
	if spec.Arg >= 0 {
		arg = b.Column(spec.Arg)
	}
	if err := c.Update(groups, arg); err != nil {
		t.Fatal(err)
	}
}

// TestAccumCellsPartialMerge aggregates random rows in two partial
// accumulators, merges the State of one into the other, and checks the
// result against one accumulator that saw every row; and that the state
// exported survives a round trip into an empty accumulator bit for bit.
func TestAccumCellsPartialMerge(t *testing.T) {
	mem := winTestMem(t)
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 9))
		nGroups := 1 + r.IntN(20)
		rows := accumCellsRows(r, r.IntN(200))
		groups := make([]uint32, len(rows))
		for i := range groups {
			groups[i] = uint32(r.IntN(nGroups))
			if r.IntN(20) == 0 {
				groups[i] = NoGroup
			}
		}
		side := make([]bool, len(rows))
		for i := range side {
			side[i] = r.IntN(2) == 0
		}
		all := make([]uint32, nGroups)
		for g := range all {
			all[g] = uint32(g)
		}
		for _, spec := range accumCellsSpecs {
			var argType arrow.DataType
			if spec.Arg >= 0 {
				argType = accumCellsSchema.Field(spec.Arg).Type
			}
			what := fmt.Sprintf("seed %d %s(%s)", seed, spec.Func, accumCellsSchema.Field(max(spec.Arg, 0)).Name)
			newCells := func() *accumCells {
				c, err := newAccumCells(spec, argType)
				if err != nil {
					t.Fatal(what, err)
				}
				return c
			}
			whole, a, b := newCells(), newCells(), newCells()
			accumCellsUpdate(t, whole, mem, spec, rows, groups)
			var ra, rb [][]any
			var ga, gb []uint32
			for i, row := range rows {
				if side[i] {
					ra, ga = append(ra, row), append(ga, groups[i])
				} else {
					rb, gb = append(rb, row), append(gb, groups[i])
				}
			}
			accumCellsUpdate(t, a, mem, spec, ra, ga)
			accumCellsUpdate(t, b, mem, spec, rb, gb)
			st, err := a.State(mem, all)
			if err != nil {
				t.Fatal(what, err)
			}
			if err := b.Merge(all, st); err != nil {
				t.Fatal(what, err)
			}
			for _, c := range st {
				c.Release()
			}
			want, err := whole.Evaluate(mem, all)
			if err != nil {
				t.Fatal(what, err)
			}
			got, err := b.Evaluate(mem, all)
			if err != nil {
				t.Fatal(what, err)
			}
			if g, w := accumCellsFormat(got), accumCellsFormat(want); g != w {
				t.Fatalf("%s: merged partials give\n%s\nwant\n%s", what, g, w)
			}
			got.Release()
			want.Release()

			// Round trip: State of whole into an empty accumulator, in
			// reverse group order.
			rev := slices.Clone(all)
			slices.Reverse(rev)
			st, _ = whole.State(mem, rev)
			empty := newCells()
			if err := empty.Merge(rev, st); err != nil {
				t.Fatal(what, err)
			}
			st2, _ := empty.State(mem, rev)
			for k := range st {
				if g, w := accumCellsFormat(st2[k]), accumCellsFormat(st[k]); g != w {
					t.Fatalf("%s: state column %d after a round trip\n%s\nwant\n%s", what, k, g, w)
				}
				st[k].Release()
				st2[k].Release()
			}
			if len(st) != len(whole.a.cellFields()) {
				t.Fatalf("%s: %d state columns for fields %v", what, len(st), whole.a.cellFields())
			}
			if whole.Size() <= 0 && spec.Arg != 5 {
				t.Errorf("%s: size %d", what, whole.Size())
			}
			whole.Reset(all)
			e, _ := whole.Evaluate(mem, all[:1])
			if v := winTestValue(e, 0); v != nil && v != int64(0) {
				t.Errorf("%s: after Reset %v", what, v)
			}
			e.Release()
		}
	}
}

// TestAccumCellsErrors: what the pane cells cannot do is an error.
func TestAccumCellsErrors(t *testing.T) {
	mem := winTestMem(t)
	b := winTestBatch(mem, accumCellsSchema, [][]any{{int64(1), 1.5, "x", true, int64(3), nil}})
	defer b.Release()
	c, err := newAccumCells(AggSpec{Func: Sum, Arg: 0}, accumCellsSchema.Field(0).Type)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct {
		err  error
		want string
	}{
		{c.Retract([]uint32{0}, b.Column(0)), "pane cells cannot retract rows: a window retracts whole panes from its running values"},
		{c.Update([]uint32{0}, b.Column(1)), "pane cells: values of type DOUBLE, want BIGINT"},
		{c.Update([]uint32{0, 1}, b.Column(0)), "pane cells: 1 values for 2 groups"},
		{c.Update([]uint32{0}, nil), "pane cells: no values"},
		{c.Merge([]uint32{0}, []arrow.Array{b.Column(1), b.Column(0)}), "state column 0 is float64, want int64"},
	} {
		if e.err == nil || e.err.Error() != e.want {
			t.Errorf("got %v, want %s", e.err, e.want)
		}
	}
	if _, err := c.Evaluate(mem, []uint32{NoGroup}); err == nil || err.Error() != "pane cells: NoGroup where a group is needed" {
		t.Errorf("Evaluate(NoGroup) = %v", err)
	}
	if _, err := c.State(mem, []uint32{NoGroup}); err == nil {
		t.Error("State(NoGroup) succeeded")
	}
}
