package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

// Updating reports whether n's output is updating (a changelog whose rows
// carry a kind: +I, -U, +U, -D) rather than append-only. The op column
// (vector.OpIndex) marks it: an updating aggregate adds it, and the nodes
// above carry it through.
func Updating(n Node) bool { return vector.IsChangelog(n.Schema()) }

// liveInput reports whether the plan under n reads a live source: one
// (any of its inputs) whose connector does not declare itself bounded (connectors.ConfigSpec
// Bounded, or BoundedWhen its options say so), as a socket, a directory, a
// datagen or a paced or endless nexmark table.
func (s *Session) liveInput(n Node) bool {
	live := false
	walkDAG(n, func(n Node) {
		if sc, ok := n.(*Scan); ok {
			cfg, ok := s.Registry.SourceConfig(sc.Table.Connector())
			live = live || (ok && !cfg.IsBounded(sc.Table.Options))
		}
	})
	return live
}

// chooseUpdating decides whether aggregate a (over in) emits a changelog:
// a windowed one with EMIT ON UPDATE; an unwindowed one with EMIT ON
// UPDATE, over a live source or over an updating input. Otherwise it
// emits once per window, or its final result at end of input, as before.
func (p *selectPlanner) chooseUpdating(a *Aggregate, in Node) error {
	emit := ""
	if p.stmt != nil {
		emit = p.stmt.Emit
	}
	if a.Window.Kind != exec.NoWindow {
		if Updating(in) {
			return errAt(p.stmt, "GROUP", "a windowed GROUP BY over an updating input is not supported yet; aggregate the input without a window, or window it before it is updated")
		}
		a.Changelog = emit == sql.EmitOnUpdate
		return nil
	}
	a.Changelog = emit == sql.EmitOnUpdate || Updating(in) || (emit == "" && p.sess.liveInput(in))
	return nil
}

// newProject is a Project of exprs over in that carries in's op column
// through, last, when in is updating.
func newProject(in Node, exprs []vector.Expr, names []string) *Project {
	if !Updating(in) {
		return &Project{In: in, Exprs: exprs, Names: names}
	}
	op := in.Schema().NumFields() - 1
	exprs = append(append([]vector.Expr(nil), exprs...), vector.ColumnRef(op, arrow.PrimitiveTypes.Int8, vector.OpColumn))
	names = append(append([]string(nil), names...), vector.OpColumn)
	p := &Project{In: in, Exprs: exprs, Names: names}
	fields := make([]arrow.Field, len(exprs))
	for i, e := range exprs[:len(exprs)-1] {
		fields[i] = arrow.Field{Name: names[i], Type: e.Type(), Nullable: true}
	}
	fields[len(exprs)-1] = vector.OpField()
	p.schema = arrow.NewSchema(fields, nil)
	return p
}

// refuseUpdating refuses ORDER BY and LIMIT over an updating result.
func (p *selectPlanner) refuseUpdating(out Node, what string) error {
	if !Updating(out) {
		return nil
	}
	if what == "LIMIT" {
		return errAt(p.stmt, "LIMIT", "LIMIT over an updating result is not supported yet without ORDER BY: add ORDER BY for a Top-N (ORDER BY x DESC LIMIT n), or drop LIMIT")
	}
	return errAt(p.stmt, strings.Fields(what)[0], "%s over an updating result is not supported yet without LIMIT: add LIMIT n for a Top-N, drop %s, or aggregate over a window", what, what)
}

// lowerUpdating lowers an updating aggregate: a windowed one becomes a
// window assignment (adding window_start, window_end) and an
// UpdatingAgg grouped by them and the keys, whose closed windows leave
// its state.
func (p *Prepared) lowerUpdating(a *Aggregate) ([]exec.Operator, error) {
	mem := p.sess.Alloc
	cfg := exec.UpdatingAggConfig{Input: a.In.Schema(), Keys: a.Keys, KeyNames: a.KeyNames, Aggs: a.Aggs, Having: a.Having,
		TTL: p.sess.stateTTL(), Alloc: mem}
	var ops []exec.Operator
	if a.Window.Kind != exec.NoWindow {
		wa, err := exec.NewWindowAssign(mem, a.In.Schema(), a.Window)
		if err != nil {
			return nil, err
		}
		ops = append(ops, wa)
		n := a.In.Schema().NumFields()
		cfg.Input = wa.Schema()
		cfg.Keys = append([]int{n, n + 1}, a.Keys...)
		cfg.KeyNames = append([]string{"window_start", "window_end"}, a.KeyNames...)
		cfg.WindowEndKey = 2
	} else if a.WindowEndKey > 0 {
		cfg.WindowEndKey = a.WindowEndKey // grouped by a window function's window_end
	}
	u, err := exec.NewUpdatingAgg(cfg)
	if err != nil {
		exec.Pipeline(ops).Close()
		return nil, err
	}
	if !u.Schema().Equal(a.Schema()) {
		u.Close()
		exec.Pipeline(ops).Close()
		return nil, fmt.Errorf("internal error: updating aggregate schema %s, planned %s", u.Schema(), a.Schema())
	}
	return append(ops, u), nil
}

// stateTTL is SET state_ttl: how long an idle key's state is kept (0:
// forever, the default).
func (s *Session) stateTTL() time.Duration {
	d, _ := sql.ParseInterval(s.Settings["state_ttl"])
	return d
}

// updatingPhysName names an updating aggregate's operators for EXPLAIN.
func updatingPhysName(a *Aggregate) string {
	d := a.Describe()
	having := ""
	if a.Having != nil {
		having = " having=" + a.Having.String()
	}
	if a.Window.Kind == exec.NoWindow {
		return "UpdatingAggregateOp (emits changes every micro-batch) " + strings.TrimPrefix(d, "Aggregate ") + having
	}
	return "WindowAssignOp -> UpdatingAggregateOp (emits changes every micro-batch until a window closes) " + strings.TrimPrefix(d, "WindowAggregate ") + having
}
