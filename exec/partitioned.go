package exec

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// Keyed is implemented by stateful operators whose state is kept per
// key, so that it can be split into partitions by a hash of the key:
// grouped aggregations (by their GROUP BY keys), joins (by their equi-join
// keys, one list per input port), top-N (by PARTITION BY).
type Keyed interface {
	// PartitionKeys returns, for each input port, the input columns
	// whose values decide which key a row belongs to. It returns nil
	// when the state cannot be split (a GROUP BY without keys, a join
	// without equi-join keys).
	PartitionKeys() [][]int
}

// OrderedEmission is implemented by operators whose Advance returns its
// rows sorted: ascending by the given output columns, NULL first, false
// before true, NaN last, strings bytewise. A Partitioned operator merges
// its partitions' emissions in that order, so a query's output is the
// same at every parallelism.
type OrderedEmission interface {
	// EmissionOrder returns the output columns Advance's rows are sorted
	// by, most significant first.
	EmissionOrder() []int
}

// ParallelRows is the number of rows of a batch below which the
// partitions of an operator process it one after another on the calling
// goroutine (starting goroutines would cost more than it saves), and the
// number of rows each slice of a Sliced operator gets at least. Tests
// lower it to run the parallel paths on small inputs.
var ParallelRows = 2048

// Partitioned runs N instances of a keyed stateful operator, each owning
// the keys whose hash falls in its partition. Each batch is split by the
// hash of its key columns (the exchange) and the parts are processed at
// once on N goroutines; Advance is given to every instance. Output is the
// partitions' output, partition by partition: a key's rows keep their
// order, and an emission of an OrderedEmission operator is merged back
// into its order. A snapshot holds every partition's state, so it
// restores only at the same N.
type Partitioned struct {
	parts []Operator
	keys  [][]int
	order []int
	mem   memory.Allocator
	// scratch of each splitting worker, reused between batches
	scratch []splitScratch
	workers workers
}

// splitScratch is one worker's space for splitting a batch: each row's
// hash, and the rows of each partition.
type splitScratch struct {
	hash []uint64
	idx  [][]int32
}

// PartitionedMulti is a Partitioned operator with several input ports
// (a join): each port's batches are split by that port's keys.
type PartitionedMulti struct {
	*Partitioned
	ports int
}

// NewPartitioned returns the parallel form of parts, N fresh instances
// of the same Keyed operator (N >= 2), or an error saying why it cannot
// be split. The operators must keep their state per key, checkpoint it
// (Snapshotter) and report it (StateReporter). The result is a
// *PartitionedMulti when the operators are MultiInputs.
func NewPartitioned(mem memory.Allocator, parts []Operator) (Operator, error) {
	if len(parts) < 2 {
		return nil, errors.New("partitioned: need at least two instances")
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	k, ok := parts[0].(Keyed)
	if !ok {
		return nil, fmt.Errorf("partitioned: %s keeps no state by key", OpName(parts[0]))
	}
	keys := k.PartitionKeys()
	if len(keys) == 0 {
		return nil, fmt.Errorf("partitioned: %s has no key to partition by", OpName(parts[0]))
	}
	for _, p := range parts {
		_, snap := p.(Snapshotter)
		_, rep := p.(StateReporter)
		if !snap || !rep {
			return nil, fmt.Errorf("partitioned: %s does not checkpoint and report its state", OpName(p))
		}
	}
	pt := &Partitioned{parts: parts, keys: keys, mem: mem, scratch: make([]splitScratch, len(parts))}
	if o, ok := parts[0].(OrderedEmission); ok && gatherable(parts[0].Schema()) {
		pt.order = o.EmissionOrder()
	}
	if m, ok := parts[0].(MultiInput); ok {
		if len(keys) != m.Ports() {
			return nil, fmt.Errorf("partitioned: %s has %d ports but keys for %d", OpName(m), m.Ports(), len(keys))
		}
		return &PartitionedMulti{Partitioned: pt, ports: m.Ports()}, nil
	}
	if len(keys) != 1 {
		return nil, fmt.Errorf("partitioned: %s has one input but keys for %d", OpName(parts[0]), len(keys))
	}
	return pt, nil
}

// Partitions is the number of partitions.
func (p *Partitioned) Partitions() int { return len(p.parts) }

// String names the partitioned operator.
func (p *Partitioned) String() string { return OpName(p.parts[0]) }

// Schema implements Operator.
func (p *Partitioned) Schema() *arrow.Schema { return p.parts[0].Schema() }

// Process implements Operator.
func (p *Partitioned) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	return p.process(0, b, func(op Operator, part arrow.RecordBatch) ([]arrow.RecordBatch, error) {
		return opProcess(op, part)
	})
}

// Ports implements MultiInput.
func (p *PartitionedMulti) Ports() int { return p.ports }

// ProcessFrom implements MultiInput.
func (p *PartitionedMulti) ProcessFrom(port int, b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	if port < 0 || port >= p.ports {
		b.Release()
		return nil, fmt.Errorf("partitioned %s: no input port %d", p, port)
	}
	return p.process(port, b, func(op Operator, part arrow.RecordBatch) ([]arrow.RecordBatch, error) {
		return opProcessFrom(op.(MultiInput), port, part)
	})
}

// process splits b by the hash of port's key columns and hands each part
// to its partition. A large batch is split on several goroutines, a
// slice of it each (the exchange runs in parallel too); each partition
// then takes its parts in slice order, so a key's rows keep their order.
func (p *Partitioned) process(port int, b arrow.RecordBatch, call func(Operator, arrow.RecordBatch) ([]arrow.RecordBatch, error)) ([]arrow.RecordBatch, error) {
	n := int(b.NumRows())
	k := max(1, min(len(p.parts), n/ParallelRows))
	splits := make([][]arrow.RecordBatch, k)
	errs := make([]error, k)
	if k == 1 {
		splits[0], errs[0] = p.split(0, port, b)
	} else {
		p.workers.do(k, func(i int) {
			part := b.NewSlice(int64(n*i/k), int64(n*(i+1)/k))
			defer part.Release()
			splits[i], errs[i] = p.split(i, port, part)
		})
	}
	b.Release()
	for _, err := range errs {
		if err != nil {
			for _, s := range splits {
				releaseBatches(s)
			}
			return nil, err
		}
	}
	return p.run(n >= ParallelRows, func(j int) ([]arrow.RecordBatch, error) {
		var out []arrow.RecordBatch
		for i, s := range splits {
			if s[j] == nil {
				continue
			}
			o, err := call(p.parts[j], s[j])
			out = append(out, o...)
			if err != nil {
				for _, rest := range splits[i+1:] {
					if rest[j] != nil {
						rest[j].Release()
					}
				}
				releaseBatches(out)
				return nil, err
			}
		}
		return out, nil
	})
}

// split cuts b into one batch per partition (nil where no row falls),
// with the scratch space of worker w; b is borrowed.
func (p *Partitioned) split(w, port int, b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	n := int(b.NumRows())
	out := make([]arrow.RecordBatch, len(p.parts))
	if n == 0 {
		return out, nil
	}
	cols := make([]arrow.Array, len(p.keys[port]))
	for i, c := range p.keys[port] {
		if c < 0 || c >= int(b.NumCols()) {
			return nil, fmt.Errorf("partitioned %s: key column %d out of range", p, c)
		}
		cols[i] = b.Column(c)
	}
	sc := &p.scratch[w]
	if cap(sc.hash) < n {
		sc.hash = make([]uint64, n)
	}
	h := sc.hash[:n]
	if err := vector.HashRows(cols, h); err != nil {
		return nil, fmt.Errorf("partitioned %s: %v", p, err)
	}
	if sc.idx == nil {
		sc.idx = make([][]int32, len(p.parts))
	}
	for i := range sc.idx {
		sc.idx[i] = sc.idx[i][:0]
	}
	np := uint64(len(p.parts))
	for r, x := range h {
		i, _ := bits.Mul64(x, np)
		sc.idx[i] = append(sc.idx[i], int32(r))
	}
	for i, idx := range sc.idx {
		switch len(idx) {
		case 0:
		case n:
			b.Retain()
			out[i] = b
		default:
			t, err := takeBatch(p.mem, b, idx)
			if err != nil {
				releaseBatches(out)
				return nil, err
			}
			out[i] = t
		}
	}
	return out, nil
}

// run calls f for every partition, on a goroutine each when parallel,
// and returns their outputs in partition order; on an error it releases
// every output and returns the first partition's error.
func (p *Partitioned) run(parallel bool, f func(i int) ([]arrow.RecordBatch, error)) ([]arrow.RecordBatch, error) {
	outs := make([][]arrow.RecordBatch, len(p.parts))
	errs := make([]error, len(p.parts))
	if parallel {
		p.workers.do(len(p.parts), func(i int) { outs[i], errs[i] = f(i) })
	} else {
		for i := range p.parts {
			outs[i], errs[i] = f(i)
		}
	}
	var out []arrow.RecordBatch
	for i := range outs {
		out = append(out, outs[i]...)
	}
	for _, err := range errs {
		if err != nil {
			releaseBatches(out)
			return nil, err
		}
	}
	return out, nil
}

// Advance implements Operator: every partition advances, at once.
func (p *Partitioned) Advance(wm int64) ([]arrow.RecordBatch, error) {
	outs := make([][]arrow.RecordBatch, len(p.parts))
	_, err := p.run(true, func(i int) ([]arrow.RecordBatch, error) {
		out, err := opAdvance(p.parts[i], wm)
		outs[i] = out
		return nil, err
	})
	if err != nil {
		for _, o := range outs {
			releaseBatches(o)
		}
		return nil, err
	}
	if p.order == nil {
		var out []arrow.RecordBatch
		for _, o := range outs {
			out = append(out, o...)
		}
		return out, nil
	}
	return mergeEmissions(p.mem, p.Schema(), p.order, outs)
}

// Close implements Operator.
func (p *Partitioned) Close() {
	p.workers.close()
	for _, op := range p.parts {
		op.Close()
	}
}

// Stats implements StateReporter: the sum over the partitions.
func (p *Partitioned) Stats() WindowStats {
	var s WindowStats
	for _, op := range p.parts {
		t := op.(StateReporter).Stats()
		s.LateRows += t.LateRows
		s.NullTimeRows += t.NullTimeRows
		s.GapRows += t.GapRows
		s.Keys += t.Keys
		s.Panes = max(s.Panes, t.Panes)
		s.StateBytes += t.StateBytes
		s.ExpiredKeys += t.ExpiredKeys
	}
	return s
}

// WaitsForWatermark implements Windowed.
func (p *Partitioned) WaitsForWatermark() bool {
	w, ok := p.parts[0].(Windowed)
	return ok && w.WaitsForWatermark()
}

// graphPartitions is the number of partitions the keyed state of g is
// split into: its parallelism, or 0 when no operator is partitioned.
func graphPartitions(g *Graph) int {
	n := 0
	for _, node := range g.Nodes {
		if p, ok := node.Op.(interface{ Partitions() int }); ok {
			n = max(n, p.Partitions())
		}
	}
	return n
}
