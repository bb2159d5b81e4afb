package planner

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

// DISTINCT aggregates, FILTER (WHERE ...) and APPROX_COUNT_DISTINCT.
//
// agg(DISTINCT x) sets AggSpec.Distinct (COUNT of any comparable type,
// SUM and AVG of BIGINT; MIN and MAX ignore it). agg(...) FILTER (WHERE
// cond) reaches the planner as sql.AggFilterFunc(agg(...), (cond)): cond
// becomes one more column of the pre-aggregation projection and
// AggSpec.Filter names it, so that only rows where it is true feed that
// aggregate. APPROX_COUNT_DISTINCT cannot take rows back, so it is
// refused over an updating input.

// filterCall returns the aggregate a FILTER wrapper call wraps.
func filterCall(n *ast.FuncCallExpr) (*ast.AggregateFuncExpr, bool) {
	if !sql.IsAggFilter(n.FnName.L) || len(n.Args) != 2 {
		return nil, false
	}
	a, ok := n.Args[0].(*ast.AggregateFuncExpr)
	return a, ok
}

// aggDisplayName is the output name of aggregate a with its FILTER
// wrapper (nil if none): its canonical text, FILTER written back as SQL.
func aggDisplayName(name string, w *ast.FuncCallExpr) string {
	if w == nil {
		return name
	}
	return name + " FILTER (WHERE " + canon(w.Args[1]) + ")"
}

// aggDistinctFilter completes spec, planned from aggregate a and its
// FILTER wrapper w (nil if none): DISTINCT, and the filter condition bound
// by b and appended to the pre-aggregation projection pre.
func (p *selectPlanner) aggDistinctFilter(spec *exec.AggSpec, a *ast.AggregateFuncExpr, w *ast.FuncCallExpr, b *binder, pre *[]vector.Expr, preNames *[]string) error {
	if a.Distinct {
		switch spec.Func {
		case exec.Count, exec.Sum, exec.Avg:
			spec.Distinct = true
			if t := (*pre)[spec.Arg].Type(); spec.Func != exec.Count && t.ID() != arrow.INT64 && t.ID() != arrow.NULL {
				return errAt(p.stmt, a.F, "%s(DISTINCT ...) of %s is not supported (only of BIGINT); use COUNT(DISTINCT ...) or CAST the argument AS BIGINT", strings.ToUpper(a.F), vector.TypeName(t))
			}
		}
	}
	if spec.Func == exec.ApproxCountDistinct || spec.Distinct {
		switch t := (*pre)[spec.Arg].Type(); t.ID() {
		case arrow.INT64, arrow.FLOAT64, arrow.STRING, arrow.TIMESTAMP, arrow.BOOL:
		default:
			return errAt(p.stmt, a.F, "%s of %s is not supported (have BIGINT, DOUBLE, VARCHAR, TIMESTAMP, BOOLEAN)", canon(a), vector.TypeName(t))
		}
	}
	if w == nil {
		return nil
	}
	cond, err := b.bind(w.Args[1])
	if err != nil {
		return err
	}
	if id := cond.Type().ID(); id != arrow.BOOL && id != arrow.NULL {
		return errAt(p.stmt, anchor(w.Args[1]), "FILTER (WHERE %s) is %s, not BOOLEAN", cond, vector.TypeName(cond.Type()))
	}
	spec.HasFilter, spec.Filter = true, len(*pre)
	*pre = append(*pre, cond)
	*preNames = append(*preNames, "FILTER "+canon(w.Args[1]))
	return nil
}

// checkApproxInput refuses APPROX_COUNT_DISTINCT over an updating input,
// whose retractions a HyperLogLog sketch cannot take back.
func (p *selectPlanner) checkApproxInput(agg *Aggregate, in Node) error {
	if !Updating(in) {
		return nil
	}
	for _, s := range agg.Aggs {
		if s.Func == exec.ApproxCountDistinct {
			return errAt(p.stmt, "APPROX_COUNT_DISTINCT", "APPROX_COUNT_DISTINCT over an updating input is not supported: a HyperLogLog sketch cannot take rows back; use COUNT(DISTINCT ...)")
		}
	}
	return nil
}
