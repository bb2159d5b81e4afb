package planner

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/vector"
)

// The leading row-wise operators of a query (filters, projections,
// UNNEST, the word count's SplitCount) can run on its source's workers:
// at a parallelism of 2 or more the file source decodes, and the nexmark
// source generates, on several goroutines, and a source that implements
// connectors.Transformer applies a chain of those operators, instances of
// each worker's own, to every batch it makes. The operators then leave the
// graph: the first operator after them reads the source's output.
//
// They move only when the result cannot change: the query reads one
// table, has no LIMIT (which stops reading after the rows it needs), and
// no moved operator calls PROCTIME() (the time of the micro-batch, which
// the stage that runs an operator sets). When the table declares a
// watermark, whose event time the query takes from every batch it reads,
// only projections that keep every row and the event-time column (as a
// plain column) move, so that the watermark stays what it was; filters,
// UNNEST and SplitCount move only over tables without one.

// sourceChain returns the row-wise nodes that run on the source's workers
// if its connector declared it takes them (Registry.RegisterTransform)
// and the source opened agrees, in order from the scan, and the index of the event-time column
// in the output of the last (-1 without a watermark); nil when none.
func (p *Prepared) sourceChain() (chain []Node, timeCol int) {
	timeCol = -1
	if p.sess.Parallelism() < 2 {
		return nil, -1
	}
	_, scans := p.graphOrder()
	if len(scans) != 1 || !p.sess.Registry.Transforms(scans[0].Table.Options) {
		return nil, -1
	}
	parents := map[Node][]Node{}
	limit := false
	walkDAG(p.Plan, func(n Node) {
		if _, ok := n.(*Limit); ok {
			limit = true
		}
		for _, c := range n.Children() {
			parents[c] = append(parents[c], n)
		}
	})
	if limit {
		return nil, -1
	}
	t := scans[0].Table
	wm := t.Watermark != nil
	if wm {
		timeCol = t.Schema.FieldIndices(t.Watermark.Column)[0]
	}
	var cur Node = scans[0]
	for len(parents[cur]) == 1 && len(parents[cur][0].Children()) == 1 {
		n := parents[cur][0]
		tc, ok := movable(n, wm, timeCol)
		if !ok {
			break
		}
		chain, cur, timeCol = append(chain, n), n, tc
	}
	return chain, timeCol
}

// movable reports whether n can run on the source's workers, and where
// the event-time column at timeCol of its input is in its output.
func movable(n Node, wm bool, timeCol int) (int, bool) {
	if usesProcTime(n) {
		return 0, false
	}
	switch n := n.(type) {
	case *Filter, *Unnest, *SplitCount:
		return -1, !wm
	case *Project:
		if !wm {
			return -1, true
		}
		for i, e := range n.Exprs {
			if c, ok := vector.IsColumnRef(e); ok && c == timeCol {
				return i, true
			}
		}
	}
	return 0, false
}

// lowerOne lowers a row-wise node to one operator (not the parallel form
// of lowerParallel: each worker has its own).
func (p *Prepared) lowerOne(n Node) (exec.Operator, error) {
	if s, ok := n.(*SplitCount); ok {
		return exec.NewSplitCount(p.sess.Alloc, s.In.Schema(), s.Col, s.Sep, s.SkipEmpty, s.Schema().Field(0).Name, "count")
	}
	return p.lower(n)
}

// moveToSource asks src to run chain on its workers, and reports whether
// it will; q counts the source's rows as rows in.
func (p *Prepared) moveToSource(q *exec.Query, src connectors.Source, chain []Node) (bool, error) {
	tr, ok := src.(connectors.Transformer)
	if !ok || len(chain) == 0 {
		return false, nil
	}
	// Lower once here, so that an error is the query's, not a worker's.
	ops, err := p.lowerChain(chain)
	if err != nil {
		return false, err
	}
	closeOps(ops)
	schema := chain[len(chain)-1].Schema()
	return tr.Transform(connectors.Transform{
		NewWorker: func() (func(arrow.RecordBatch) (arrow.RecordBatch, error), func()) {
			ops, err := p.lowerChain(chain)
			if err != nil {
				return func(b arrow.RecordBatch) (arrow.RecordBatch, error) { b.Release(); return nil, err }, func() {}
			}
			return func(b arrow.RecordBatch) (arrow.RecordBatch, error) {
				return p.applyChain(ops, schema, b)
			}, func() { closeOps(ops) }
		},
		Read: func(read, returned int64) { q.AddRowsIn(read - returned) },
	}), nil
}

// lowerChain lowers each node of chain to one operator.
func (p *Prepared) lowerChain(chain []Node) ([]exec.Operator, error) {
	ops := make([]exec.Operator, 0, len(chain))
	for _, n := range chain {
		op, err := p.lowerOne(n)
		if err != nil {
			closeOps(ops)
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// applyChain runs b through ops and returns their output as one batch of
// schema, or nil when no row is left. A panic in an operator is an error
// naming it, as on the query's own goroutines.
func (p *Prepared) applyChain(ops []exec.Operator, schema *arrow.Schema, b arrow.RecordBatch) (out arrow.RecordBatch, err error) {
	bs := []arrow.RecordBatch{b}
	op := ops[0]
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, fmt.Errorf("operator %T failed on the source's worker: internal error: %v", op, v)
		}
	}()
	for _, op = range ops {
		var next []arrow.RecordBatch
		for i, x := range bs {
			outs, err := op.Process(x)
			if err != nil {
				releaseBatches(bs[i+1:])
				releaseBatches(next)
				return nil, err
			}
			next = append(next, outs...)
		}
		bs = next
	}
	switch len(bs) {
	case 0:
		return nil, nil
	case 1:
		return bs[0], nil
	}
	out, err = exec.ConcatBatches(p.sess.Alloc, schema, bs)
	releaseBatches(bs)
	return out, err
}

func releaseBatches(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// onSourceWorkers is the EXPLAIN suffix of an operator that runs on the
// source's workers, when the source will run it (see sourceChain).
func (p *Prepared) onSourceWorkers() map[Node]string {
	chain, _ := p.sourceChain()
	if len(chain) == 0 {
		return nil
	}
	m := map[Node]string{}
	for _, n := range chain {
		m[n] = fmt.Sprintf(" (on the source's %d workers)", p.sess.Parallelism())
	}
	return m
}
