package planner

import (
	"errors"

	"github.com/weirdb/weir/exec"
)

// lowerParallel lowers n for a query running on par workers. A node
// whose operators can run in parallel is lowered par times: a row-wise
// operator (filter, projection, unnest) becomes an exec.Sliced, which
// runs its instances over slices of each batch at once; a keyed stateful
// operator (an aggregation with GROUP BY keys, an equi-join, a top-N with
// PARTITION BY) becomes an exec.Partitioned, which splits its input by a
// hash of the keys (the exchange) so that each instance owns the state of
// its keys. Anything else runs as one instance.
//
// At parallelism 2 a query already runs on two workers as two pipelined
// stages (the sources and the operators before the first stateful one;
// the rest and the sink), and its sources decode on two: operators are
// split from parallelism 3 on (partitionedFrom), where that pipeline
// leaves workers idle. Measured on two cores, splitting them as well only
// added the cost of the exchange and of the merge.
func (p *Prepared) lowerParallel(n Node, par int) ([]exec.Operator, error) {
	first, err := p.lowerNode(n)
	if err != nil || par < partitionedFrom || !p.parallelizable(n, first) {
		return first, err
	}
	chains := [][]exec.Operator{first}
	for len(chains) < par {
		c, err := p.lowerNode(n)
		if err == nil && len(c) != len(first) {
			closeOps(c)
			err = errors.New("internal error: a node lowered to chains of different lengths")
		}
		if err != nil {
			for _, c := range chains {
				closeOps(c)
			}
			return nil, err
		}
		chains = append(chains, c)
	}
	var out []exec.Operator
	for j := range first {
		parts := make([]exec.Operator, par)
		for i, c := range chains {
			parts[i] = c[j]
		}
		if two, err := p.twoPhase(n, parts); err != nil || two != nil {
			if err != nil {
				closeOps(out)
				for _, c := range chains {
					closeOps(c[j:])
				}
				return nil, err
			}
			closeOps(parts)
			out = append(out, two...)
			continue
		}
		out = append(out, p.parallelOp(n, parts))
	}
	return out, nil
}

// twoPhase returns the two-phase form of an aggregation whose aggregates
// combine (exec.Combinable): its partial aggregation run over slices of
// each batch (before the exchange), then its final aggregation split into
// partitions by key. It returns nil when the aggregation does not combine,
// or when its input is partial counts already (sumsPartialCounts).
func (p *Prepared) twoPhase(n Node, parts []exec.Operator) ([]exec.Operator, error) {
	c, ok := parts[0].(exec.Combinable)
	if !ok || sumsPartialCounts(n) {
		return nil, nil
	}
	pcfg, final, ok := c.Phases()
	if !ok {
		return nil, nil
	}
	par := len(parts)
	var partials, finals []exec.Operator
	fail := func(err error) ([]exec.Operator, error) {
		closeOps(partials)
		closeOps(finals)
		return nil, err
	}
	for range par {
		pa, err := exec.NewPartialAgg(pcfg)
		if err != nil {
			return fail(err)
		}
		partials = append(partials, pa)
		f, err := final()
		if err != nil {
			return fail(err)
		}
		finals = append(finals, f)
	}
	if !finals[0].Schema().Equal(parts[0].Schema()) {
		return fail(nil) // not the same result: run in one phase
	}
	front, err := exec.NewSliced(partials)
	if err != nil {
		return fail(err)
	}
	back, err := exec.NewPartitioned(p.sess.Alloc, finals)
	if err != nil {
		front.Close()
		closeOps(finals)
		return nil, err
	}
	return []exec.Operator{front, back}, nil
}

// partitionedFrom is the lowest parallelism at which operators are split
// into instances.
const partitionedFrom = 3

// parallelizable reports whether n's operators gain from running in
// parallel: n is row-wise, or one of its operators is keyed.
func (p *Prepared) parallelizable(n Node, ops []exec.Operator) bool {
	if rowWise(n) {
		return true
	}
	for _, op := range ops {
		if k, ok := op.(exec.Keyed); ok && k.PartitionKeys() != nil {
			return true
		}
	}
	return false
}

// parallelOp combines N instances of one operator into its parallel
// form, or keeps the first and closes the others when it has none.
func (p *Prepared) parallelOp(n Node, parts []exec.Operator) exec.Operator {
	var op exec.Operator
	var err error
	if k, ok := parts[0].(exec.Keyed); ok && k.PartitionKeys() != nil {
		op, err = exec.NewPartitioned(p.sess.Alloc, parts)
	} else if rowWise(n) {
		op, err = exec.NewSliced(parts)
	}
	if op != nil && err == nil {
		return op
	}
	closeOps(parts[1:])
	return parts[0]
}

// rowWise reports whether n's operator treats each row on its own, so
// that slices of a batch can go through instances of it at once.
func rowWise(n Node) bool {
	switch n.(type) {
	case *Filter, *Project, *Unnest:
		return true
	}
	return false
}

func closeOps(ops []exec.Operator) {
	for _, op := range ops {
		op.Close()
	}
}
