package vector

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// benchLines builds a batch of n log lines of about 100 bytes; about 1%
// contain "ERROR".
func benchLines(mem memory.Allocator, n int) (arrow.RecordBatch, int) {
	rng := rand.New(rand.NewSource(1))
	levels := []string{"INFO ", "DEBUG", "WARN "}
	bld := array.NewStringBuilder(mem)
	defer bld.Release()
	bld.Reserve(n)
	bld.ReserveData(n * 100)
	total := 0
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.Reset()
		level := levels[rng.Intn(len(levels))]
		if rng.Intn(100) == 0 {
			level = "ERROR"
		}
		fmt.Fprintf(&sb, "2024-01-02 03:04:%02d.%03d %s user=%06d action=click url=/products/%d/detail?ref=campaign-%04d",
			rng.Intn(60), rng.Intn(1000), level, rng.Intn(1000000), rng.Intn(100000), rng.Intn(10000))
		total += sb.Len()
		bld.Append(sb.String())
	}
	arr := bld.NewArray()
	defer arr.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "line", Type: String}}, nil)
	return array.NewRecordBatch(schema, []arrow.Array{arr}, int64(n)), total
}

func benchLike(b *testing.B, pattern string, ci bool) {
	mem := memory.NewGoAllocator()
	batch, total := benchLines(mem, 1<<20)
	defer batch.Release()
	e, err := Like(ColumnRef(0, String, "line"), pattern, 0, false, ci)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(total))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := e.Eval(mem, batch)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
}

// BenchmarkLikeContains: 1M lines of ~100 bytes, '%ERROR%'.
func BenchmarkLikeContains(b *testing.B) { benchLike(b, "%ERROR%", false) }

// BenchmarkLikeContainsPerRow is the per-row baseline the whole-buffer
// search replaces.
func BenchmarkLikeContainsPerRow(b *testing.B) {
	mem := memory.NewGoAllocator()
	batch, total := benchLines(mem, 1<<20)
	defer batch.Release()
	sv := stringValues(batch.Column(0))
	bits := make([]byte, (sv.len()+7)/8)
	b.SetBytes(int64(total))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(bits)
		for r := 0; r < sv.len(); r++ {
			if strings.Contains(sv.at(r), "ERROR") {
				bits[r>>3] |= 1 << (r & 7)
			}
		}
	}
}

// BenchmarkLikeGeneral: a pattern with '_' (the backtracking matcher).
func BenchmarkLikeGeneral(b *testing.B) { benchLike(b, "%ERROR_user=0%", false) }

// BenchmarkILikeContains: case-insensitive contains (lower-cases first).
func BenchmarkILikeContains(b *testing.B) { benchLike(b, "%error%", true) }

// BenchmarkLower: LOWER over 1M ASCII lines, then over text with accents.
func BenchmarkLower(b *testing.B) {
	mem := memory.NewGoAllocator()
	batch, total := benchLines(mem, 1<<20)
	defer batch.Release()
	e, err := Func("lower", []Expr{ColumnRef(0, String, "line")})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ascii", func(b *testing.B) {
		b.SetBytes(int64(total))
		for i := 0; i < b.N; i++ {
			out, err := e.Eval(mem, batch)
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
		}
	})
	bld := array.NewStringBuilder(mem)
	sv := stringValues(batch.Column(0))
	for r := 0; r < sv.len(); r++ {
		bld.Append("Ünïcödé " + sv.at(r))
	}
	arr := bld.NewArray()
	bld.Release()
	ub := array.NewRecordBatch(batch.Schema(), []arrow.Array{arr}, int64(arr.Len()))
	arr.Release()
	defer ub.Release()
	b.Run("unicode", func(b *testing.B) {
		b.SetBytes(int64(len(stringValues(ub.Column(0)).span())))
		for i := 0; i < b.N; i++ {
			out, err := e.Eval(mem, ub)
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
		}
	})
}

// BenchmarkArithmetic: BIGINT and DOUBLE kernels over 1M rows with 10%
// NULLs, column op column and column op constant, and a comparison.
func BenchmarkArithmetic(b *testing.B) {
	mem := memory.NewGoAllocator()
	const n = 1 << 20
	rng := rand.New(rand.NewSource(1))
	ib := array.NewInt64Builder(mem)
	fb := array.NewFloat64Builder(mem)
	for i := 0; i < n; i++ {
		if rng.Intn(10) == 0 {
			ib.AppendNull()
			fb.AppendNull()
			continue
		}
		ib.Append(rng.Int63n(1000) - 500)
		fb.Append(rng.Float64())
	}
	ia, fa := ib.NewArray(), fb.NewArray()
	ib.Release()
	fb.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "i", Type: Int64}, {Name: "f", Type: Float64}}, nil)
	batch := array.NewRecordBatch(schema, []arrow.Array{ia, fa}, n)
	ia.Release()
	fa.Release()
	defer batch.Release()
	i, f := ColumnRef(0, Int64, "i"), ColumnRef(1, Float64, "f")
	mk := func(op BinaryOp, l, r Expr) Expr {
		e, err := Binary(op, l, r)
		if err != nil {
			b.Fatal(err)
		}
		return e
	}
	cases := []struct {
		name string
		e    Expr
	}{
		{"int+int", mk(Add, i, i)},
		{"int*const", mk(Mul, i, Literal(int64(3), Int64))},
		{"float*float", mk(Mul, f, f)},
		{"int/int", mk(Div, i, i)},
		{"int%const", mk(Mod, i, Literal(int64(7), Int64))},
		{"int>const", mk(Gt, i, Literal(int64(0), Int64))},
		{"(i+1)*f", mk(Mul, mk(Add, i, Literal(int64(1), Int64)), f)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(8 * n)
			for k := 0; k < b.N; k++ {
				out, err := c.e.Eval(mem, batch)
				if err != nil {
					b.Fatal(err)
				}
				out.Release()
			}
		})
	}
}
