package planner

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/vector"
)

// SplitCount is the word count's front half fused into one node: it
// splits column Col of its input on Sep (one ASCII byte), as Unnest does,
// and counts the pieces of each batch, emitting (piece, count) once per
// distinct piece and batch. SkipEmpty drops empty pieces (a folded
// filter that the piece is not the empty string). Made only by the rule
// fuse_split_count, under an Aggregate that sums the counts.
type SplitCount struct {
	In        Node
	Col       int
	Sep       string
	SkipEmpty bool
	schema    *arrow.Schema
}

// Schema implements Node: the piece, then its count in the batch.
func (s *SplitCount) Schema() *arrow.Schema {
	if s.schema == nil {
		s.schema = arrow.NewSchema([]arrow.Field{
			{Name: s.In.Schema().Field(s.Col).Name, Type: vector.String, Nullable: true},
			{Name: "count", Type: vector.Int64, Nullable: true},
		}, nil)
	}
	return s.schema
}

// Children implements Node.
func (s *SplitCount) Children() []Node { return []Node{s.In} }

// Updating implements Node: the rule fuses only append-only input.
func (s *SplitCount) Updating() bool { return false }

// Describe implements Node.
func (s *SplitCount) Describe() string {
	return "SplitCount " + s.detail()
}

func (s *SplitCount) detail() string {
	d := fmt.Sprintf("%s split on %q, COUNT(*) per piece and batch", s.In.Schema().Field(s.Col).Name, s.Sep)
	if s.SkipEmpty {
		d += ", skipping ''"
	}
	return d + " (fuse_split_count)"
}

// physName names the operator for EXPLAIN.
func (s *SplitCount) physName() string { return "SplitCountOp " + s.detail() }

// fuseSplitCount rewrites the word count, COUNT(*) (or COUNT(piece))
// GROUP BY piece over [a filter that the piece is not empty] over
// UNNEST(STRING_TO_ARRAY(col, sep)), into a SplitCount under an Aggregate
// summing its counts: the pieces are counted per batch as they are
// split, without materialising them one row each, and the aggregation
// (its state, emit mode, changelog and checkpoints) sees one row per
// distinct piece and batch. The separator must be one ASCII byte, the
// aggregation unwindowed and the input append-only; the Unnest and
// Filter must have no other parent.
func fuseSplitCount(root Node, _ ruleEnv) Node {
	parents := map[Node]int{}
	countParents(root, parents, map[Node]bool{})
	walkDAG(root, func(n Node) {
		a, ok := n.(*Aggregate)
		if !ok || a.Window.Kind != exec.NoWindow || a.WindowEndKey > 0 || len(a.Keys) != 1 || len(a.Aggs) == 0 {
			return
		}
		// COUNT(piece) puts a projection of the key and the argument,
		// both the piece, between the aggregation and the filter.
		in, skip := a.In, false
		col := func(i int) int { return i }
		if p, ok := in.(*Project); ok && parents[p] == 1 {
			refs := make([]int, len(p.Exprs))
			for i, e := range p.Exprs {
				c, ok := vector.IsColumnRef(e)
				if !ok {
					return
				}
				refs[i] = c
			}
			col = func(i int) int { return refs[i] }
			in = p.In
		}
		key := col(a.Keys[0])
		if f, ok := in.(*Filter); ok {
			col, ok := vector.NotEmptyString(f.Pred)
			if !ok || col != key || parents[f] != 1 {
				return
			}
			in, skip = f.In, true
		}
		u, ok := in.(*Unnest)
		if !ok || parents[u] != 1 || u.Col != key || len(u.Sep) != 1 || u.Sep[0] >= 0x80 || u.In.Updating() {
			return
		}
		for _, s := range a.Aggs {
			counts := s.Func == exec.CountStar || (s.Func == exec.Count && col(s.Arg) == key)
			if !counts || s.Distinct || s.HasFilter {
				return
			}
		}
		// The planned schema stays: SUM of BIGINT counts is BIGINT.
		a.In = &SplitCount{In: u.In, Col: u.Col, Sep: u.Sep, SkipEmpty: skip}
		a.Keys = []int{0}
		aggs := make([]exec.AggSpec, len(a.Aggs))
		for i, s := range a.Aggs {
			aggs[i] = exec.AggSpec{Func: exec.Sum, Arg: 1, Name: s.Name}
		}
		a.Aggs = aggs
	})
	return root
}

// sumsPartialCounts reports whether n is the aggregation over a
// SplitCount: its input is already the partial aggregation's output, so
// on several workers it needs no partial phase of its own.
func sumsPartialCounts(n Node) bool {
	a, ok := n.(*Aggregate)
	if !ok {
		return false
	}
	_, ok = a.In.(*SplitCount)
	return ok
}

// lowerSplitCount lowers s to its operator. From parallelism 3 on it runs
// over slices of each batch on every worker (it is the heaviest operator
// of the word count and holds no state); at parallelism 2 it runs whole on
// the stage that reads the source, beside the workers decoding the input
// and the stage of the aggregation: measured on two cores, slicing it
// there too was no faster at best and slower on a busy machine, as each
// slice emits its own row per distinct piece.
func (p *Prepared) lowerSplitCount(s *SplitCount) (exec.Operator, error) {
	par := p.sess.Parallelism()
	if par < partitionedFrom {
		par = 1
	}
	f := s.Schema().Field(0).Name
	parts := make([]exec.Operator, 0, par)
	for range par {
		op, err := exec.NewSplitCount(p.sess.Alloc, s.In.Schema(), s.Col, s.Sep, s.SkipEmpty, f, "count")
		if err != nil {
			closeOps(parts)
			return nil, err
		}
		parts = append(parts, op)
	}
	if par == 1 {
		return parts[0], nil
	}
	op, err := exec.NewSliced(parts)
	if err != nil {
		closeOps(parts)
		return nil, err
	}
	return op, nil
}
