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

// sessionUsage is the TVF form of a session window.
const sessionUsage = "TABLE(SESSION(TABLE t [PARTITION BY key], DESCRIPTOR(time column), gap))"

// sessionAssign plans TABLE(SESSION(TABLE t [PARTITION BY k], DESCRIPTOR(ts),
// gap)) (Flink 1.19's form). Sessions cannot be assigned row by row, so
// the node only carries the window to a GROUP BY window_start,
// window_end and the PARTITION BY columns, which tvfGroupWindow makes a
// session-windowed aggregate.
func (p *selectPlanner) sessionAssign(sel *ast.SelectStmt, call *ast.FuncCallExpr) (Node, error) {
	args := call.Args
	var part *ast.FuncCallExpr
	if len(args) > 0 {
		if c, ok := args[0].(*ast.FuncCallExpr); ok && c.FnName.L == sql.PartitionByCall {
			part, args = c, args[1:]
		}
	}
	if len(args) != 2 {
		return nil, errAt(p.stmt, "SESSION", "SESSION takes a table, its time column and a gap: %s", sessionUsage)
	}
	in, sc, b, timeCol, err := p.tvfInput(sel, "SESSION", sessionUsage, args[0])
	if err != nil {
		return nil, err
	}
	gap, err := b.intervalArg("SESSION", args[1])
	if err != nil {
		return nil, err
	}
	w := &WindowAssign{In: in, Window: exec.WindowSpec{Kind: exec.Session, TimeCol: timeCol, Size: gap.Milliseconds(), Slide: gap.Milliseconds()}}
	if part != nil {
		for _, a := range part.Args {
			c, ok := a.(*ast.ColumnNameExpr)
			if !ok {
				return nil, errAt(p.stmt, anchor(a), "SESSION's PARTITION BY takes columns of its table, got %s", canon(a))
			}
			i := sc.find(c.Name.Table.L, c.Name.Name.O)
			if i < 0 {
				return nil, errAt(p.stmt, c.Name.Name.O, "SESSION's PARTITION BY: unknown column %s", c.Name.Name.O)
			}
			w.Partition = append(w.Partition, i)
		}
	}
	return w, nil
}

// checkSessionKeys checks that a GROUP BY over TABLE(SESSION(...)) groups
// by exactly its PARTITION BY columns besides window_start, window_end:
// sessions are cut per partition, so other keys would split them.
func (p *selectPlanner) checkSessionKeys(tvf *tvfGroup, keys []vector.Expr) error {
	if tvf.window.Kind != exec.Session {
		return nil
	}
	want := map[int]bool{}
	for _, i := range tvf.partition {
		want[i] = true
	}
	got := map[int]bool{}
	for _, k := range keys {
		i, ok := vector.IsColumnRef(k)
		if !ok || !want[i] {
			return errAt(p.stmt, "GROUP", "a GROUP BY over TABLE(SESSION(...)) groups by window_start, window_end and exactly its PARTITION BY columns; %s is not one of them", k)
		}
		got[i] = true
	}
	if len(got) != len(want) {
		return errAt(p.stmt, "GROUP", "a GROUP BY over TABLE(SESSION(...)) groups by window_start, window_end and exactly its PARTITION BY columns: add them to GROUP BY")
	}
	return nil
}

// errSessionUngrouped is the error for a session TVF not grouped by its
// window.
var errSessionUngrouped = fmt.Errorf("TABLE(SESSION(...)) needs a GROUP BY window_start, window_end and its PARTITION BY columns (with no filter on the window columns): sessions are known only when they close")

// closeAtWindowEnd makes an unwindowed aggregate whose keys include the
// window_end column of a window table-valued function (CUMULATE, or
// TUMBLE/HOP in a shape tvfGroupWindow does not take) emit each group
// once when the watermark passes its window_end, append-only, instead of
// at end of input; under EMIT ON UPDATE, its updating aggregate frees each
// window's groups when the watermark passes its window_end. The
// assignment must feed the aggregate without another aggregate between
// them, whose output would come after the watermark passed its windows.
func closeAtWindowEnd(a *Aggregate, in Node, stmt *sql.Statement) {
	if a.Window.Kind != exec.NoWindow || Updating(in) {
		return
	}
	if !assignedBelow(in) {
		return
	}
	inSchema := a.In.Schema()
	for i, k := range a.Keys {
		f := inSchema.Field(k)
		if a.KeyNames[i] == "window_end" && f.Type.ID() == arrow.TIMESTAMP {
			a.WindowEndKey = i + 1
			a.Changelog = stmt != nil && stmt.Emit == sql.EmitOnUpdate
			return
		}
	}
}

// lowerWindowClose lowers an aggregate grouped by a window end to an
// exec.WindowCloseAgg.
func (p *Prepared) lowerWindowClose(n *Aggregate) (exec.Operator, error) {
	w, err := exec.NewWindowCloseAgg(exec.WindowCloseAggConfig{
		Input: n.In.Schema(), Keys: n.Keys, KeyNames: n.KeyNames, EndKey: n.WindowEndKey - 1,
		Aggs: n.Aggs, Alloc: p.sess.Alloc,
	})
	if err != nil {
		return nil, err
	}
	if !w.Schema().Equal(n.Schema()) {
		w.Close()
		return nil, fmt.Errorf("internal error: window aggregate schema %s, planned %s", w.Schema(), n.Schema())
	}
	return w, nil
}

// assignedBelow reports whether a window assignment feeds n through
// row-by-row nodes only (no aggregate between them).
func assignedBelow(n Node) bool {
	switch n.(type) {
	case *WindowAssign:
		return true
	case *Aggregate:
		return false
	}
	for _, c := range n.Children() {
		if assignedBelow(c) {
			return true
		}
	}
	return false
}

// lowerCumulate lowers a GROUP BY window_start, window_end[, keys] over
// TABLE(CUMULATE(...)) (its input: the time column, the keys, the
// aggregate arguments) to an exec.CumulateAgg: panes of one step merged
// into a running value per key as each window closes.
func (p *Prepared) lowerCumulate(n *Aggregate) (exec.Operator, error) {
	c, err := exec.NewCumulateAgg(exec.CumulateAggConfig{
		Input: n.In.Schema(), TimeCol: n.Window.TimeCol, Step: n.Window.Slide, Size: n.Window.Size,
		Keys: n.Keys, KeyNames: n.KeyNames, Aggs: n.Aggs, Alloc: p.sess.Alloc,
	})
	if err != nil {
		return nil, err
	}
	if !c.Schema().Equal(n.Schema()) {
		c.Close()
		return nil, fmt.Errorf("internal error: cumulating aggregate schema %s, planned %s", c.Schema(), n.Schema())
	}
	return c, nil
}
