package vector

import (
	"math/rand"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

func TestCaseMapASCII(t *testing.T) {
	var all []byte
	for c := 0; c < 128; c++ {
		all = append(all, byte(c))
	}
	rng := rand.New(rand.NewSource(12))
	for iter := 0; iter < 200; iter++ {
		src := make([]byte, rng.Intn(40))
		for i := range src {
			src[i] = all[rng.Intn(len(all))]
		}
		if iter == 0 {
			src = all
		}
		for _, upper := range []bool{false, true} {
			dst := make([]byte, len(src))
			table := &lowerTable
			want := strings.ToLower(string(src))
			if upper {
				table = &upperTable
				want = strings.ToUpper(string(src))
			}
			caseMapASCII(dst, string(src), upper, table)
			if string(dst) != want {
				t.Fatalf("caseMapASCII(%q, upper=%v) = %q, want %q", src, upper, dst, want)
			}
		}
	}
	if !isASCII(string(all)) || isASCII(string(all)+"é") || isASCII(strings.Repeat("a", 40)+"\x80") {
		t.Error("isASCII")
	}
}

func TestNullArithmeticTypes(t *testing.T) {
	null := Literal(nil, Null)
	cases := []struct {
		op  BinaryOp
		l   Expr
		typ arrow.DataType
	}{
		{Add, ColumnRef(0, Timestamp, "ts"), Timestamp},
		{Sub, ColumnRef(0, Timestamp, "ts"), Timestamp},
		{Add, ColumnRef(0, Int64, "n"), Int64},
		{Div, ColumnRef(0, Int64, "n"), Float64},
		{Mul, ColumnRef(0, Float64, "x"), Float64},
		{IntDiv, ColumnRef(0, Float64, "x"), Int64},
		{Add, null, Int64},
	}
	for _, c := range cases {
		e := must(t)(Binary(c.op, c.l, null))
		if v, ok := IsLiteral(e); !ok || v != nil || e.Type().ID() != c.typ.ID() {
			t.Errorf("%s %s NULL = %s of type %s, want NULL %s", c.l, c.op, e, e.Type(), c.typ)
		}
	}
	if _, err := Binary(Add, ColumnRef(0, String, "s"), null); err == nil {
		t.Error("VARCHAR + NULL accepted")
	}
	if got := must(t)(Binary(IntDiv, ColumnRef(0, Float64, "x"), Literal(int64(2), Int64))).String(); got != "(x DIV 2)" {
		t.Errorf("DIV rendering: %s", got)
	}
}

func TestColumnRefConversions(t *testing.T) {
	mem := newMem(t)
	sec := &arrow.TimestampType{Unit: arrow.Second}
	ns := &arrow.TimestampType{Unit: arrow.Nanosecond}
	b := makeBatch(t, mem,
		testCol{"a", sec, `[1, null, -1]`},
		testCol{"b", ns, `[1500000, null, -1]`},
		testCol{"c", arrow.BinaryTypes.LargeString, `["x", null, "yz"]`},
	)
	defer b.Release()
	checkValues(t, "s", evalValues(t, mem, ColumnRef(0, Timestamp, "a"), b), []any{int64(1000), nil, int64(-1000)})
	checkValues(t, "ns", evalValues(t, mem, ColumnRef(1, Timestamp, "b"), b), []any{int64(1), nil, int64(-1)})
	checkValues(t, "large", evalValues(t, mem, ColumnRef(2, String, "c"), b), []any{"x", nil, "yz"})

	// String views.
	vb := array.NewStringViewBuilder(mem)
	vb.Append("a long string that does not fit inline")
	vb.AppendNull()
	vb.Append("short")
	view := vb.NewArray()
	vb.Release()
	vbatch := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "v", Type: view.DataType(), Nullable: true}}, nil), []arrow.Array{view}, 3)
	view.Release()
	defer vbatch.Release()
	e := must(t)(Func("upper", []Expr{ColumnRef(0, String, "v")}))
	checkValues(t, "view", evalValues(t, mem, e, vbatch), []any{"A LONG STRING THAT DOES NOT FIT INLINE", nil, "SHORT"})
}

// TestConcurrentEval evaluates one expression tree from several
// goroutines over the same batch (run with -race).
func TestConcurrentEval(t *testing.T) {
	mem := newMem(t)
	rng := rand.New(rand.NewSource(13))
	b := randomBatch(mem, rng, 1000)
	defer b.Release()
	cols := randomCols(b)
	like := must(t)(Like(cols["s"], "%a_b%", 0, false, true))
	sum := must(t)(Binary(Add, cols["i"], cols["f"]))
	gt := must(t)(Binary(Gt, sum, Literal(int64(0), Int64)))
	cond := must(t)(Binary(Or, like, gt))
	e := must(t)(Case(nil, []Expr{cond}, []Expr{must(t)(Func("lower", []Expr{cols["s"]}))}, must(t)(Cast(cols["ts"], String))))
	want := evalValues(t, mem, e, b)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 5; k++ {
				arr, err := e.Eval(mem, b)
				if err != nil {
					t.Error(err)
					return
				}
				got := values(arr)
				arr.Release()
				for i := range got {
					if got[i] != want[i] {
						t.Errorf("row %d: %v != %v", i, got[i], want[i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestEmptyBatch runs every kind of expression over zero rows.
func TestEmptyBatch(t *testing.T) {
	mem := newMem(t)
	rng := rand.New(rand.NewSource(14))
	full := randomBatch(mem, rng, 10)
	defer full.Release()
	b := full.NewSlice(5, 5)
	defer b.Release()
	cols := randomCols(full)
	exprs := []Expr{
		must(t)(Binary(Add, cols["i"], cols["j"])),
		must(t)(Binary(Div, cols["f"], Literal(int64(2), Int64))),
		must(t)(Binary(Lt, cols["s"], cols["u"])),
		must(t)(Binary(And, cols["b"], cols["c"])),
		must(t)(Not(cols["b"])),
		IsNull(cols["s"], false),
		must(t)(Like(cols["s"], "%a%", 0, false, false)),
		must(t)(Like(cols["s"], "a_", 0, false, true)),
		must(t)(In(cols["i"], []Expr{Literal(int64(1), Int64)}, false)),
		must(t)(Case(nil, []Expr{cols["b"]}, []Expr{cols["s"]}, nil)),
		must(t)(Cast(cols["s"], Timestamp)),
		must(t)(Cast(cols["f"], String)),
		must(t)(Func("substring", []Expr{cols["s"], Literal(int64(2), Int64)})),
		must(t)(Func("lower", []Expr{cols["s"]})),
		must(t)(Func("coalesce", []Expr{cols["i"], cols["j"]})),
		Literal("x", String),
	}
	for _, e := range exprs {
		if got := evalValues(t, mem, e, b); len(got) != 0 {
			t.Errorf("%s: %d rows", e, len(got))
		}
	}
}
