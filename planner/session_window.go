package planner

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

// isSessionWindow reports whether call is the group window SESSION(...)
// (which reaches TiDB as sql.SessionWindowCall) or Spark's
// session_window(...).
func isSessionWindow(call *ast.FuncCallExpr) bool {
	return call.FnName.L == strings.ToLower(sql.SessionWindowCall)
}

// sessionWindow reads the group window SESSION(time, gap): per key,
// sessions of rows less than gap apart, each emitted once when the
// watermark passes its end (last row + gap).
func (p *selectPlanner) sessionWindow(b *binder, call *ast.FuncCallExpr) (vector.Expr, exec.WindowSpec, error) {
	const usage = "SESSION(time, INTERVAL 'n' UNIT)"
	w := exec.WindowSpec{Kind: exec.Session}
	if len(call.Args) != 2 {
		return nil, w, errAt(p.stmt, call.FnName.O, "SESSION takes 2 arguments: %s", usage)
	}
	t, err := b.bind(call.Args[0])
	if err != nil {
		return nil, w, err
	}
	if t.Type().ID() != arrow.TIMESTAMP {
		return nil, w, errAt(p.stmt, anchor(call.Args[0]), "SESSION needs a TIMESTAMP time column, got %s", vector.TypeName(t.Type()))
	}
	if _, ok := t.(procTime); ok {
		return nil, w, errAt(p.stmt, call.FnName.O, "SESSION over PROCTIME() is not supported; use an event-time column with a WATERMARK")
	}
	if p.stmt != nil && p.stmt.Emit == sql.EmitOnUpdate {
		return nil, w, errAt(p.stmt, call.FnName.O, "SESSION windows are emitted once when they close; EMIT ON UPDATE is not supported for them")
	}
	gap, err := b.intervalArg("SESSION", call.Args[1])
	if err != nil {
		return nil, w, err
	}
	w.Size, w.Slide = gap.Milliseconds(), gap.Milliseconds()
	return t, w, nil
}

// lowerSession lowers a session-windowed aggregate (its input: the time
// column, the keys, the aggregate arguments) to an exec.SessionAgg.
func (p *Prepared) lowerSession(n *Aggregate) (exec.Operator, error) {
	s, err := exec.NewSessionAgg(exec.SessionAggConfig{
		Input: n.In.Schema(), TimeCol: n.Window.TimeCol, Gap: n.Window.Size,
		Keys: n.Keys, KeyNames: n.KeyNames, Aggs: n.Aggs, Alloc: p.sess.Alloc,
	})
	if err != nil {
		return nil, err
	}
	if !s.Schema().Equal(n.Schema()) {
		s.Close()
		return nil, fmt.Errorf("internal error: session aggregate schema %s, planned %s", s.Schema(), n.Schema())
	}
	return s, nil
}
