package exec

import (
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// Combinable is implemented by aggregations that can run in two phases,
// as Flink's local-global aggregation and Spark's partial aggregation do:
// a partial aggregation folds each batch on its own into one row per key
// (on the workers that read the input, before the exchange), and the final
// aggregation folds the partial rows of each key. The exchange then moves
// one row per key and batch instead of every row, which keeps a skewed
// key (the most frequent word) from loading one partition with its rows.
type Combinable interface {
	// Phases returns the partial aggregation's configuration and a
	// factory of the final aggregation over its output; ok is false when
	// an aggregate does not combine exactly (DISTINCT, SUM or AVG of
	// DOUBLE, whose rounding would depend on the batches; AVG of BIGINT
	// in a plain GROUP BY) or the input is a changelog.
	Phases() (partial WindowAggConfig, final func() (Operator, error), ok bool)
}

// combine returns the final aggregates over partial rows laid out as keys
// (nkeys columns) then one column per aggregate, or false when one of
// aggs does not combine exactly. avgParts says the final aggregation
// takes AVG of BIGINT as its exact partial states (avgState, avgMerge).
func combine(in *arrow.Schema, nkeys int, aggs []AggSpec, avgParts bool) (partial, final []AggSpec, ok bool) {
	for i, a := range aggs {
		f := AggSpec{Arg: nkeys + i, Name: a.Name}
		switch {
		case a.Distinct:
			return nil, nil, false
		case a.Func == CountStar || a.Func == Count:
			f.Func = Sum
		case a.Func == Sum && in.Field(a.Arg).Type.ID() == arrow.INT64:
			f.Func = Sum
		case a.Func == Min || a.Func == Max:
			f.Func = a.Func
		case a.Func == Avg && avgParts && in.Field(a.Arg).Type.ID() == arrow.INT64:
			a.Func, f.Func = avgState, avgMerge
		default:
			return nil, nil, false
		}
		partial, final = append(partial, a), append(final, f)
	}
	return partial, final, true
}

// Phases implements Combinable for a GROUP BY with keys and no window.
func (w *WindowAgg) Phases() (WindowAggConfig, func() (Operator, error), bool) {
	c := w.cfg
	if w.win {
		return WindowAggConfig{}, nil, false
	}
	return phases(c.Input, c.Keys, c.KeyNames, c.Aggs, c.Alloc, false, func(in *arrow.Schema, keys []int, aggs []AggSpec) (Operator, error) {
		return NewWindowAgg(WindowAggConfig{Input: in, Keys: keys, KeyNames: c.KeyNames, Aggs: aggs, Alloc: c.Alloc})
	})
}

// Phases implements Combinable for an updating GROUP BY with keys over
// an append-only input.
func (u *UpdatingAgg) Phases() (WindowAggConfig, func() (Operator, error), bool) {
	c := u.cfg
	if c.WindowEndKey > 0 {
		return WindowAggConfig{}, nil, false
	}
	return phases(c.Input, c.Keys, c.KeyNames, c.Aggs, c.Alloc, true, func(in *arrow.Schema, keys []int, aggs []AggSpec) (Operator, error) {
		fc := c
		fc.Input, fc.Keys, fc.Aggs = in, keys, aggs
		return NewUpdatingAgg(fc)
	})
}

// phases splits a GROUP BY of aggs by keys over input into its partial
// aggregation's configuration and a factory of its final one, which
// newFinal makes given the partial rows' schema, their key columns and
// the combining aggregates.
func phases(input *arrow.Schema, keys []int, names []string, aggs []AggSpec, mem memory.Allocator, avgParts bool,
	newFinal func(in *arrow.Schema, keys []int, aggs []AggSpec) (Operator, error)) (WindowAggConfig, func() (Operator, error), bool) {
	if len(keys) == 0 || vector.IsChangelog(input) {
		return WindowAggConfig{}, nil, false
	}
	part, fin, ok := combine(input, len(keys), aggs, avgParts)
	if !ok {
		return WindowAggConfig{}, nil, false
	}
	pc := WindowAggConfig{Input: input, Keys: keys, KeyNames: names, Aggs: part, Alloc: mem}
	schema, err := partialSchema(pc)
	if err != nil {
		return WindowAggConfig{}, nil, false
	}
	return pc, func() (Operator, error) { return newFinal(schema, seq(len(keys)), fin) }, true
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func partialSchema(c WindowAggConfig) (*arrow.Schema, error) {
	p, err := NewPartialAgg(c)
	if err != nil {
		return nil, err
	}
	return p.Schema(), nil
}

// partialMaxKeys is the number of keys past which a partial aggregation
// forgets the keys it has seen (they would only cost memory: its state is
// emptied after every batch anyway).
const partialMaxKeys = 1 << 16

// PartialAgg is the first phase of a two-phase aggregation: it folds each
// batch on its own into one row per key (the keys, then each aggregate's
// partial value), and keeps nothing between batches but its key table,
// so that a batch's keys are found without growing a table each time.
type PartialAgg struct {
	cfg    WindowAggConfig
	schema *arrow.Schema
	types  []arrow.DataType
	table  *vector.GroupTable
	accs   []GroupsAccumulator
	// scratch
	ids, masked, touched []uint32
	seen                 []bool
}

// NewPartialAgg returns the partial aggregation of cfg (a GROUP BY
// without window).
func NewPartialAgg(cfg WindowAggConfig) (*PartialAgg, error) {
	if cfg.Window.Kind != NoWindow || len(cfg.Keys) == 0 {
		return nil, errors.New("partial aggregate: only a GROUP BY with keys and no window combines")
	}
	if cfg.Alloc == nil {
		cfg.Alloc = memory.DefaultAllocator
	}
	kf, types, err := groupKeys("partial aggregate", cfg.Input, cfg.Keys, cfg.KeyNames, -1)
	if err != nil {
		return nil, err
	}
	p := &PartialAgg{cfg: cfg, types: types}
	if err := p.reset(); err != nil {
		return nil, err
	}
	_, af, err := groupAccumulators(cfg.Input, cfg.Aggs, -1)
	if err != nil {
		return nil, err
	}
	p.schema = arrow.NewSchema(append(kf, af...), nil)
	return p, nil
}

// reset starts a new key table and accumulators.
func (p *PartialAgg) reset() error {
	t, err := vector.NewGroupTable(p.types)
	if err != nil {
		return err
	}
	accs, _, err := groupAccumulators(p.cfg.Input, p.cfg.Aggs, -1)
	if err != nil {
		return err
	}
	p.table, p.accs, p.seen = t, accs, p.seen[:0]
	return nil
}

// String names the operator.
func (p *PartialAgg) String() string { return "PartialAgg" }

// Schema implements Operator.
func (p *PartialAgg) Schema() *arrow.Schema { return p.schema }

// Process implements Operator: the batch's rows, folded per key, the keys
// in the order they first appear.
func (p *PartialAgg) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	if b.NumRows() == 0 {
		return nil, nil
	}
	if p.table.Len() > partialMaxKeys {
		if err := p.reset(); err != nil {
			return nil, err
		}
	}
	keys := make([]arrow.Array, len(p.cfg.Keys))
	for i, k := range p.cfg.Keys {
		keys[i] = b.Column(k)
	}
	ids, err := p.table.Insert(keys, p.ids)
	if err != nil {
		return nil, err
	}
	p.ids = ids
	p.touched = p.touched[:0]
	if n := p.table.NumIDs(); len(p.seen) < n {
		p.seen = append(p.seen, make([]bool, n-len(p.seen))...)
	}
	for _, id := range ids {
		if !p.seen[id] {
			p.seen[id] = true
			p.touched = append(p.touched, id)
		}
	}
	for i, a := range p.cfg.Aggs {
		groups := ids
		if a.HasFilter {
			p.masked = aggFilterMask(p.masked, ids, b.Column(a.Filter))
			groups = p.masked
		}
		var arg arrow.Array
		if a.Func != CountStar {
			arg = b.Column(a.Arg)
		}
		if err := p.accs[i].Update(groups, arg); err != nil {
			return nil, err
		}
	}
	cols := p.table.Keys(p.touched, p.cfg.Alloc)
	for _, acc := range p.accs {
		c, err := acc.Evaluate(p.cfg.Alloc, p.touched)
		if err != nil {
			releaseAll(cols)
			return nil, err
		}
		cols = append(cols, c)
	}
	for _, acc := range p.accs {
		acc.Reset(p.touched)
	}
	for _, id := range p.touched {
		p.seen[id] = false
	}
	out := array.NewRecordBatch(p.schema, cols, int64(len(p.touched)))
	releaseAll(cols)
	return []arrow.RecordBatch{out}, nil
}

// Advance implements Operator.
func (p *PartialAgg) Advance(int64) ([]arrow.RecordBatch, error) { return nil, nil }

// Close implements Operator.
func (p *PartialAgg) Close() {}
