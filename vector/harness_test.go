package vector

import (
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// newMem returns a checked allocator that fails the test on leaks.
func newMem(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// fromJSON builds an array from JSON text.
func fromJSON(t testing.TB, mem memory.Allocator, dt arrow.DataType, js string) arrow.Array {
	t.Helper()
	arr, _, err := array.FromJSON(mem, dt, strings.NewReader(js))
	if err != nil {
		t.Fatalf("FromJSON(%s): %v", js, err)
	}
	return arr
}

// testCol is one column of a test batch.
type testCol struct {
	name string
	typ  arrow.DataType
	js   string
}

// makeBatch builds a batch from JSON columns.
func makeBatch(t testing.TB, mem memory.Allocator, cols ...testCol) arrow.RecordBatch {
	t.Helper()
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: true}
		arrs[i] = fromJSON(t, mem, c.typ, c.js)
	}
	n := int64(-1)
	if len(arrs) > 0 {
		n = int64(arrs[0].Len())
	}
	b := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, n)
	for _, a := range arrs {
		a.Release()
	}
	return b
}

// col returns a ColumnRef to the named column of batch.
func col(b arrow.RecordBatch, name string) Expr {
	idx := b.Schema().FieldIndices(name)
	if len(idx) == 0 {
		panic("no column " + name)
	}
	return ColumnRef(idx[0], b.Schema().Field(idx[0]).Type, name)
}

// values converts an array to Go values (nil for NULL).
func values(arr arrow.Array) []any {
	out := make([]any, arr.Len())
	for i := range out {
		out[i] = scalarAt(arr, i)
	}
	return out
}

// evalValues evaluates e over b and returns the values, checking the
// result type and length.
func evalValues(t testing.TB, mem memory.Allocator, e Expr, b arrow.RecordBatch) []any {
	t.Helper()
	arr, err := e.Eval(mem, b)
	if err != nil {
		t.Fatalf("%s: Eval: %v", e, err)
	}
	defer arr.Release()
	if arr.Len() != int(b.NumRows()) {
		t.Fatalf("%s: got %d rows, want %d", e, arr.Len(), b.NumRows())
	}
	if arr.DataType().ID() != e.Type().ID() {
		t.Fatalf("%s: result type %s, Type() says %s", e, arr.DataType(), e.Type())
	}
	if v, ok := arr.(interface{ ValidateFull() error }); ok {
		if err := v.ValidateFull(); err != nil {
			t.Fatalf("%s: invalid result: %v", e, err)
		}
	}
	nulls := 0
	for i := 0; i < arr.Len(); i++ {
		if arr.IsNull(i) {
			nulls++
		}
	}
	if arr.DataType().ID() != arrow.NULL && nulls != arr.NullN() {
		t.Fatalf("%s: NullN() = %d, bitmap has %d", e, arr.NullN(), nulls)
	}
	return values(arr)
}

// sameValue compares two result values; floats compare by bits or within a
// relative 1e-12 (NaN equals NaN).
func sameValue(a, b any) bool {
	fa, aok := a.(float64)
	fb, bok := b.(float64)
	if aok && bok {
		if math.IsNaN(fa) || math.IsNaN(fb) {
			return math.IsNaN(fa) && math.IsNaN(fb)
		}
		if fa == fb {
			return true
		}
		return math.Abs(fa-fb) <= 1e-12*math.Max(math.Abs(fa), math.Abs(fb))
	}
	return reflect.DeepEqual(a, b)
}

// checkValues compares got with want.
func checkValues(t testing.TB, what string, got, want []any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i := range got {
		if !sameValue(got[i], want[i]) {
			t.Fatalf("%s: row %d: got %#v, want %#v\n got  %v\n want %v", what, i, got[i], want[i], got, want)
		}
	}
}

// rowValues returns row i of a batch as Go values.
func rowValues(b arrow.RecordBatch, i int) []any {
	row := make([]any, b.NumCols())
	for c := range row {
		row[c] = scalarAt(b.Column(c), i)
	}
	return row
}

// checkAgainst evaluates e over b and over several slices of b (non-zero
// offsets), comparing every row with ref applied to the row's values.
func checkAgainst(t testing.TB, mem memory.Allocator, e Expr, b arrow.RecordBatch, ref func(row []any) any) {
	t.Helper()
	n := b.NumRows()
	slices := [][2]int64{{0, n}}
	if n > 10 {
		slices = append(slices, [2]int64{1, n}, [2]int64{3, n - 5}, [2]int64{8, n - 1}, [2]int64{n / 2, n / 2}, [2]int64{n - 9, n})
	}
	for _, sl := range slices {
		func() {
			sub := b.NewSlice(sl[0], sl[1])
			defer sub.Release()
			got := evalValues(t, mem, e, sub)
			want := make([]any, sub.NumRows())
			for i := range want {
				want[i] = ref(rowValues(sub, i))
			}
			checkValues(t, fmt.Sprintf("%s on rows [%d,%d)", e, sl[0], sl[1]), got, want)
		}()
	}
}

// randomBatch builds n random rows with these columns:
//
//	0 i  BIGINT  (small range, ~15% NULL, includes 0)
//	1 j  BIGINT  (no NULLs, includes 0 and extremes)
//	2 f  DOUBLE  (~15% NULL)
//	3 g  DOUBLE  (no NULLs, includes 0)
//	4 s  VARCHAR (~15% NULL, ASCII and Unicode)
//	5 u  VARCHAR (no NULLs, ASCII only)
//	6 b  BOOLEAN (~30% NULL)
//	7 c  BOOLEAN (no NULLs)
//	8 ts TIMESTAMP (~15% NULL)
func randomBatch(mem memory.Allocator, rng *rand.Rand, n int) arrow.RecordBatch {
	fields := []arrow.Field{
		{Name: "i", Type: Int64, Nullable: true},
		{Name: "j", Type: Int64, Nullable: true},
		{Name: "f", Type: Float64, Nullable: true},
		{Name: "g", Type: Float64, Nullable: true},
		{Name: "s", Type: String, Nullable: true},
		{Name: "u", Type: String, Nullable: true},
		{Name: "b", Type: Boolean, Nullable: true},
		{Name: "c", Type: Boolean, Nullable: true},
		{Name: "ts", Type: Timestamp, Nullable: true},
	}
	rb := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer rb.Release()
	null := func(p float64) bool { return rng.Float64() < p }
	for r := 0; r < n; r++ {
		if null(0.15) {
			rb.Field(0).AppendNull()
		} else {
			rb.Field(0).(*array.Int64Builder).Append(rng.Int63n(21) - 10)
		}
		switch rng.Intn(10) {
		case 0:
			rb.Field(1).(*array.Int64Builder).Append(0)
		case 1:
			rb.Field(1).(*array.Int64Builder).Append(math.MaxInt64 - rng.Int63n(3))
		case 2:
			rb.Field(1).(*array.Int64Builder).Append(math.MinInt64 + rng.Int63n(3))
		case 3:
			rb.Field(1).(*array.Int64Builder).Append(-1)
		default:
			rb.Field(1).(*array.Int64Builder).Append(rng.Int63n(2001) - 1000)
		}
		if null(0.15) {
			rb.Field(2).AppendNull()
		} else {
			rb.Field(2).(*array.Float64Builder).Append(math.Round((rng.Float64()*200-100)*100) / 100)
		}
		if rng.Intn(8) == 0 {
			rb.Field(3).(*array.Float64Builder).Append(0)
		} else {
			rb.Field(3).(*array.Float64Builder).Append(rng.NormFloat64() * 50)
		}
		if null(0.15) {
			rb.Field(4).AppendNull()
		} else {
			rb.Field(4).(*array.StringBuilder).Append(randomString(rng, "abcAB _%é€ß", 8))
		}
		rb.Field(5).(*array.StringBuilder).Append(randomString(rng, "abcAB 12-", 10))
		if null(0.3) {
			rb.Field(6).AppendNull()
		} else {
			rb.Field(6).(*array.BooleanBuilder).Append(rng.Intn(2) == 0)
		}
		rb.Field(7).(*array.BooleanBuilder).Append(rng.Intn(2) == 0)
		if null(0.15) {
			rb.Field(8).AppendNull()
		} else {
			rb.Field(8).(*array.TimestampBuilder).Append(arrow.Timestamp(rng.Int63n(4e12) - 1e12))
		}
	}
	return rb.NewRecordBatch()
}

// randomString returns up to maxLen characters drawn from alphabet.
func randomString(rng *rand.Rand, alphabet string, maxLen int) string {
	rs := []rune(alphabet)
	n := rng.Intn(maxLen + 1)
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteRune(rs[rng.Intn(len(rs))])
	}
	return sb.String()
}

// randomCols returns ColumnRefs to every column of a random batch.
func randomCols(b arrow.RecordBatch) map[string]Expr {
	out := map[string]Expr{}
	for i, f := range b.Schema().Fields() {
		out[f.Name] = ColumnRef(i, f.Type, f.Name)
	}
	return out
}

// colIndex is the index of each column of randomBatch.
var colIndex = map[string]int{"i": 0, "j": 1, "f": 2, "g": 3, "s": 4, "u": 5, "b": 6, "c": 7, "ts": 8}

// must fails the test on a constructor error: must(t)(Binary(...)).
func must(t testing.TB) func(Expr, error) Expr {
	return func(e Expr, err error) Expr {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
}

// evalConst evaluates an expression over a one-row batch without columns.
func evalConst(t testing.TB, mem memory.Allocator, e Expr) any {
	t.Helper()
	b := array.NewRecordBatch(oneRowSchema, nil, 1)
	defer b.Release()
	return evalValues(t, mem, e, b)[0]
}
