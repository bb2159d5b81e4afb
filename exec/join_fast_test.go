package exec

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// TestHashJoinColumnarPathMatchesRowPath joins random append-only
// streams of every column type, NULLs and NULL keys included, with rows
// freed by the watermark, once on the columnar path and once on the
// general one (a residual condition that is always true sends it there),
// and checks that both give the same rows in the same order, and the
// same state.
func TestHashJoinColumnarPathMatchesRowPath(t *testing.T) {
	ts := &arrow.TimestampType{Unit: arrow.Millisecond}
	fields := []arrow.Field{{Name: "k", Type: vector.String, Nullable: true}, {Name: "t", Type: ts, Nullable: true},
		{Name: "f", Type: vector.Float64, Nullable: true}, {Name: "b", Type: vector.Boolean, Nullable: true},
		{Name: "n", Type: vector.Int64, Nullable: true}}
	schema := arrow.NewSchema(fields, nil)
	always := vector.Literal(true, vector.Boolean)
	for seed := int64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			cfg := HashJoinConfig{Left: schema, Right: schema, LeftKeys: []int{0, 3}, RightKeys: []int{0, 3},
				Expire: [2]JoinExpiry{{Set: seed%2 == 0, Col: 1, Offset: 3}, {Set: seed%2 == 0, Col: 1}}}
			fast := mustJoin(t, cfg)
			cfg.Residual = always
			slow := mustJoin(t, cfg)
			rng := rand.New(rand.NewSource(seed))
			joined := 0
			for step := range 40 {
				port := rng.Intn(2)
				b := randomJoinBatch(rng, schema, step)
				b.Retain()
				got := feed(t, fast, port, b)
				want := feed(t, slow, port, b)
				if !slices.Equal(got, want) {
					t.Fatalf("step %d: columnar %q, row path %q", step, got, want)
				}
				joined += len(got)
				wm := int64(step * 3)
				fast.Advance(wm)
				slow.Advance(wm)
				if a, b := fast.Stats(), slow.Stats(); a != b {
					t.Fatalf("step %d: state %+v, row path %+v", step, a, b)
				}
			}
			if joined < 10 {
				t.Fatalf("only %d rows joined", joined)
			}
		})
	}
}

func randomJoinBatch(rng *rand.Rand, schema *arrow.Schema, step int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	keys := []string{"a", "", "bé", "c"}
	for range rng.Intn(8) {
		null := func() bool { return rng.Intn(8) == 0 }
		if null() {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.StringBuilder).Append(keys[rng.Intn(len(keys))])
		}
		if null() {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(step*3 + rng.Intn(10)))
		}
		if null() {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Float64Builder).Append([]float64{0, -1.5, 2}[rng.Intn(3)])
		}
		if null() {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.BooleanBuilder).Append(rng.Intn(2) == 0)
		}
		if null() {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.Int64Builder).Append(rng.Int63n(1000) - 500)
		}
	}
	return b.NewRecordBatch()
}
