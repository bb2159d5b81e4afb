package planner

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/vector"
)

// TopN is ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...) filtered to
// the first N rows of each partition (Flink's Top-N, deduplication with
// N = 1, and window Top-N when partitioned by window_start, window_end).
// Its output is Columns: input columns and the rank (RankName), in the
// subquery's order; then the op column unless it is append-only.
type TopN struct {
	In        Node
	Partition []int
	Order     []exec.SortKey
	N         int64
	// Func is ROW_NUMBER, RANK or DENSE_RANK.
	Func     exec.RankFunc
	RankName string
	// Rank: the row number is read above, so rank changes are emitted.
	Rank bool
	// Columns are the output columns: an input column, or -1 for the
	// row number (see exec.TopNConfig).
	Columns []int
	// WindowEnd >= 0 is the window_end column of a window Top-N: emitted
	// append-only when each window closes.
	WindowEnd int
	// TiesToLatest: keep-last deduplication (N = 1, by time descending):
	// a row with the same time replaces the one kept.
	TiesToLatest bool
	// AppendOnly: rows never leave the top N (ascending processing time
	// over an append-only input: Flink's keep-first deduplication).
	AppendOnly bool
	schema     *arrow.Schema
}

// Schema implements Node.
func (t *TopN) Schema() *arrow.Schema {
	if t.schema == nil {
		in := vector.WithoutOpColumn(t.In.Schema())
		var fs []arrow.Field
		for _, c := range t.Columns {
			if c < 0 {
				fs = append(fs, arrow.Field{Name: t.RankName, Type: arrow.PrimitiveTypes.Int64, Nullable: true})
			} else {
				fs = append(fs, in.Field(c))
			}
		}
		t.schema = arrow.NewSchema(fs, nil)
		if t.Updating() {
			t.schema = vector.WithOpColumn(t.schema)
		}
	}
	return t.schema
}

// Children implements Node.
func (t *TopN) Children() []Node { return []Node{t.In} }

// Updating implements Node: a Top-N's rows leave it as better ones come,
// except per window, where each window's rows come out once.
func (t *TopN) Updating() bool { return t.WindowEnd < 0 && !t.AppendOnly }

// Stateful implements statefulNode: it keeps the top rows per partition.
func (t *TopN) Stateful() bool { return true }

// Describe implements Node.
func (t *TopN) Describe() string {
	in := t.In.Schema()
	part := make([]string, len(t.Partition))
	for i, c := range t.Partition {
		part[i] = in.Field(c).Name
	}
	order := make([]string, len(t.Order))
	for i, k := range t.Order {
		order[i] = in.Field(k.Col).Name
		if k.Desc {
			order[i] += " DESC"
		}
	}
	kind := "TopN"
	switch {
	case t.WindowEnd >= 0:
		kind = "WindowTopN"
	case t.AppendOnly:
		kind = "AppendTopN"
	}
	rank := t.RankName
	switch t.Func {
	case exec.Rank:
		rank += " (RANK)"
	case exec.DenseRank:
		rank += " (DENSE_RANK)"
	}
	if !t.Rank {
		rank += " (not selected)"
	}
	return fmt.Sprintf("%s %d partition=[%s] order=[%s] rank=%s", kind, t.N, strings.Join(part, ", "), strings.Join(order, ", "), rank)
}

// topNPhysName names t's operator for EXPLAIN.
func topNPhysName(t *TopN) string {
	kind, rest, _ := strings.Cut(t.Describe(), " ")
	return kind + "Op " + rest
}

// lowerTopN builds the operator of t.
func (p *Prepared) lowerTopN(t *TopN) (exec.Operator, error) {
	op, err := exec.NewTopN(exec.TopNConfig{
		Input: t.In.Schema(), Partition: t.Partition, Order: t.Order, N: t.N, Func: t.Func,
		Columns: t.Columns, RankName: t.RankName, Rank: t.Rank, WindowEnd: t.WindowEnd, AppendOnly: t.AppendOnly, TiesToLatest: t.TiesToLatest,
		TTL: p.sess.stateTTL(), Alloc: p.sess.Alloc,
	})
	if err != nil {
		return nil, err
	}
	if !op.Schema().Equal(t.Schema()) {
		op.Close()
		return nil, fmt.Errorf("internal error: top-N schema %s, planned %s", op.Schema(), t.Schema())
	}
	return op, nil
}

// fromTopN plans sel's FROM and returns the WHERE left to apply over it.
// When FROM is one subquery with ROW_NUMBER() OVER (...) AS rn in its
// select list, and the WHERE bounds rn (rn <= N, rn < N, rn = 1), the
// subquery becomes a TopN and the bound leaves the WHERE.
func (p *selectPlanner) fromTopN(sel *ast.SelectStmt) (Node, *scope, ast.ExprNode, error) {
	if w := windowFuncIn(sel.Fields); w != nil {
		return nil, nil, nil, errAt(p.stmt, windowFuncName(w), "%s() OVER (...) is supported only in a subquery filtered by the outer query, as in SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x DESC) AS rn FROM t) WHERE rn <= 3", windowFuncName(w))
	}
	inner, alias := topNSubquery(sel)
	if inner == nil {
		n, sc, err := p.from(sel)
		return n, sc, sel.Where, err
	}
	pos, w := -1, (*ast.WindowFuncExpr)(nil)
	for i, f := range inner.Fields.Fields {
		if x, ok := f.Expr.(*ast.WindowFuncExpr); ok {
			if w != nil {
				return nil, nil, nil, errAt(p.stmt, windowFuncName(x), "only one ranking function (ROW_NUMBER, RANK, DENSE_RANK) per subquery is supported")
			}
			pos, w = i, x
		}
	}
	name := windowFuncName(w)
	if err := p.checkRowNumber(w); err != nil {
		return nil, nil, nil, err
	}
	rnName := inner.Fields.Fields[pos].AsName.O
	if rnName == "" {
		return nil, nil, nil, errAt(p.stmt, name, "%s() OVER (...) needs a name: ... AS rn, for the outer WHERE rn <= N", name)
	}
	n, rest, ok := rankBound(sel.Where, rnName)
	if !ok {
		return nil, nil, nil, errAt(p.stmt, name, "%s() needs its outer query to keep the first rows: WHERE %s <= N (or %s < N, %s = 1)", name, rnName, rnName, rnName)
	}
	in, t, err := p.planRanked(inner, pos, w, rnName)
	if err != nil {
		return nil, nil, nil, err
	}
	t.N = n
	t.Func = rankFuncs[name]
	t.WindowEnd = windowPartition(t, in)
	t.Rank = readsColumn(sel, rest, rnName) || t.WindowEnd >= 0
	t.AppendOnly = t.WindowEnd < 0 && t.Func == exec.RowNumber && firstByProcTime(t)
	if in.Updating() && ordersByProcTime(t) {
		return nil, nil, nil, errAt(p.stmt, "PROCTIME", "ORDER BY PROCTIME() in %s() over an updating input is not supported: a retracted row would not find its processing time; order by a column", name)
	}
	t.TiesToLatest = n == 1 && t.Func == exec.RowNumber && len(t.Order) == 1 && t.Order[0].Desc &&
		vector.WithoutOpColumn(in.Schema()).Field(t.Order[0].Col).Type.ID() == arrow.TIMESTAMP
	var out Node = t
	return out, scopeOf(out.Schema(), alias), rest, nil
}

// planRanked plans the subquery inner without its ROW_NUMBER() item (at
// pos) and the TopN over it. A PARTITION BY or ORDER BY item that is not a
// column of the subquery's output is added to its select list, hidden:
// placeRank drops it again.
func (p *selectPlanner) planRanked(inner *ast.SelectStmt, pos int, w *ast.WindowFuncExpr, rnName string) (Node, *TopN, error) {
	var items []*ast.ByItem
	if w.Spec.PartitionBy != nil {
		items = append(items, w.Spec.PartitionBy.Items...)
	}
	items = append(items, w.Spec.OrderBy.Items...)
	fields := append([]*ast.SelectField(nil), inner.Fields.Fields[:pos]...)
	fields = append(fields, inner.Fields.Fields[pos+1:]...)
	if len(fields) == 0 {
		return nil, nil, errAt(p.stmt, windowFuncName(w), "the subquery selects nothing besides %s()", windowFuncName(w))
	}
	plan := func(fields []*ast.SelectField) (Node, error) {
		stripped := *inner
		stripped.Fields = &ast.FieldList{Fields: fields}
		if call := windowTVF(&stripped); call != nil {
			return p.windowAssign(&stripped, call)
		}
		return p.plan(&stripped)
	}
	in, err := plan(fields)
	if err != nil {
		return nil, nil, err
	}
	cols := make([]int, len(items))
	var hidden []*ast.SelectField
	sc := scopeOf(in.Schema(), "")
	for i, it := range items {
		cols[i] = -1
		if c, ok := it.Expr.(*ast.ColumnNameExpr); ok {
			cols[i] = sc.find("", c.Name.Name.O)
		}
		if cols[i] < 0 {
			// A column keeps its name (window_start marks a window
			// Top-N); an expression gets one.
			name := fmt.Sprintf("__rank_key_%d", i)
			if c, ok := it.Expr.(*ast.ColumnNameExpr); ok {
				name = c.Name.Name.O
			}
			cols[i] = len(sc.cols) + len(hidden)
			hidden = append(hidden, &ast.SelectField{Expr: it.Expr, AsName: ast.NewCIStr(name)})
		}
	}
	visible := len(sc.cols)
	if len(hidden) > 0 {
		if in, err = plan(append(fields, hidden...)); err != nil {
			return nil, nil, err
		}
	}
	at, err := p.rankPosition(inner.Fields.Fields, pos, visible)
	if err != nil {
		return nil, nil, err
	}
	t := &TopN{In: in, RankName: rnName, WindowEnd: -1}
	for i := range visible {
		if i == at {
			t.Columns = append(t.Columns, -1)
		}
		t.Columns = append(t.Columns, i)
	}
	if at == visible {
		t.Columns = append(t.Columns, -1)
	}
	np := len(items) - len(w.Spec.OrderBy.Items)
	t.Partition = cols[:np]
	for i, it := range w.Spec.OrderBy.Items {
		t.Order = append(t.Order, exec.SortKey{Col: cols[np+i], Desc: it.Desc})
	}
	return in, t, nil
}

// topNSubquery returns the subquery of sel's FROM (and its alias) when
// its select list calls a window function.
func topNSubquery(sel *ast.SelectStmt) (*ast.SelectStmt, string) {
	if sel.From == nil || sel.From.TableRefs == nil || sel.From.TableRefs.Right != nil {
		return nil, ""
	}
	ts, ok := sel.From.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return nil, ""
	}
	inner, ok := ts.Source.(*ast.SelectStmt)
	if !ok || windowFuncIn(inner.Fields) == nil {
		return nil, ""
	}
	return inner, ts.AsName.O
}

// windowFuncIn returns the first window function of a select list.
func windowFuncIn(fl *ast.FieldList) *ast.WindowFuncExpr {
	if fl == nil {
		return nil
	}
	for _, f := range fl.Fields {
		if w, ok := f.Expr.(*ast.WindowFuncExpr); ok {
			return w
		}
	}
	return nil
}

func windowFuncName(w *ast.WindowFuncExpr) string { return strings.ToUpper(w.Name) }

// rankFuncs are the ranking functions a TopN computes.
var rankFuncs = map[string]exec.RankFunc{"ROW_NUMBER": exec.RowNumber, "RANK": exec.Rank, "DENSE_RANK": exec.DenseRank}

// checkRowNumber refuses the OVER shapes a Top-N cannot run.
func (p *selectPlanner) checkRowNumber(w *ast.WindowFuncExpr) error {
	name := windowFuncName(w)
	if _, ok := rankFuncs[name]; !ok {
		return errAt(p.stmt, name, "%s() OVER (...) is not supported; ROW_NUMBER(), RANK() and DENSE_RANK() are, for Top-N and deduplication", name)
	}
	if w.Spec.Name.O != "" || w.Spec.Ref.O != "" {
		return errAt(p.stmt, name, "named windows (OVER w) are not supported; write the window in the OVER clause")
	}
	if w.Spec.Frame != nil {
		return errAt(p.stmt, name, "%s() takes no window frame (ROWS/RANGE)", name)
	}
	if w.Spec.OrderBy == nil || len(w.Spec.OrderBy.Items) == 0 {
		return errAt(p.stmt, name, "%s() needs ORDER BY in its OVER clause: which rows come first", name)
	}
	return nil
}

// rankBound finds the bound on rn among where's AND-ed conditions: rn <=
// N, rn < N, N >= rn, N > rn, or rn = 1. It returns the smallest N, the
// conditions left (nil if none), and whether a bound was found.
func rankBound(where ast.ExprNode, rn string) (int64, ast.ExprNode, bool) {
	var conds []ast.ExprNode
	var split func(e ast.ExprNode)
	split = func(e ast.ExprNode) {
		if b, ok := e.(*ast.BinaryOperationExpr); ok && b.Op == opcode.LogicAnd {
			split(b.L)
			split(b.R)
			return
		}
		if pe, ok := e.(*ast.ParenthesesExpr); ok {
			if b, ok := pe.Expr.(*ast.BinaryOperationExpr); ok && b.Op == opcode.LogicAnd {
				split(b)
				return
			}
		}
		conds = append(conds, e)
	}
	if where != nil {
		split(where)
	}
	var n int64 = -1
	var rest ast.ExprNode
	for _, c := range conds {
		if k, ok := bound(c, rn); ok {
			if n < 0 || k < n {
				n = k
			}
			continue
		}
		if rest == nil {
			rest = c
		} else {
			rest = &ast.BinaryOperationExpr{Op: opcode.LogicAnd, L: rest, R: c}
		}
	}
	return n, rest, n >= 1
}

// bound reads one condition as an upper bound on rn.
func bound(e ast.ExprNode, rn string) (int64, bool) {
	b, ok := e.(*ast.BinaryOperationExpr)
	if !ok {
		return 0, false
	}
	op, l, r := b.Op, b.L, b.R
	if isColumn(r, rn) { // N >= rn is rn <= N
		l, r = r, l
		switch op {
		case opcode.GE:
			op = opcode.LE
		case opcode.GT:
			op = opcode.LT
		case opcode.LE, opcode.LT:
			return 0, false
		}
	}
	if !isColumn(l, rn) {
		return 0, false
	}
	v, ok := r.(*driver.ValueExpr)
	if !ok || (v.Kind() != driver.KindInt64 && v.Kind() != driver.KindUint64) {
		return 0, false
	}
	k := v.GetInt64()
	switch op {
	case opcode.LE:
		return k, k >= 1
	case opcode.LT:
		return k - 1, k >= 2
	case opcode.EQ:
		return 1, k == 1
	}
	return 0, false
}

func isColumn(e ast.ExprNode, name string) bool {
	c, ok := e.(*ast.ColumnNameExpr)
	return ok && strings.EqualFold(c.Name.Name.O, name)
}

// readsColumn reports whether the outer query reads the column name (in
// its select list, with *, or in what is left of its WHERE and the rest).
func readsColumn(sel *ast.SelectStmt, rest ast.ExprNode, name string) bool {
	v := &columnFinder{name: name}
	for _, f := range sel.Fields.Fields {
		if f.WildCard != nil {
			return true
		}
		f.Expr.Accept(v)
	}
	for _, n := range []ast.Node{rest, sel.GroupBy, sel.Having, sel.OrderBy} {
		if n != nil && !isNilNode(n) {
			n.Accept(v)
		}
	}
	return v.found
}

func isNilNode(n ast.Node) bool {
	switch n := n.(type) {
	case ast.ExprNode:
		return n == nil
	case *ast.GroupByClause:
		return n == nil
	case *ast.HavingClause:
		return n == nil
	case *ast.OrderByClause:
		return n == nil
	}
	return false
}

// columnFinder looks for a reference to one column.
type columnFinder struct {
	name  string
	found bool
}

// Enter implements ast.Visitor.
func (v *columnFinder) Enter(n ast.Node) (ast.Node, bool) {
	if c, ok := n.(*ast.ColumnNameExpr); ok && strings.EqualFold(c.Name.Name.O, v.name) {
		v.found = true
	}
	return n, false
}

// Leave implements ast.Visitor.
func (v *columnFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// windowPartition returns the window_end column when t is partitioned by
// window_start and window_end over append-only windowed rows (a windowed
// aggregate or a window table-valued function): a window Top-N. -1
// otherwise.
func windowPartition(t *TopN, in Node) int {
	if in.Updating() {
		return -1
	}
	s := in.Schema()
	start, end := -1, -1
	for _, c := range t.Partition {
		switch strings.ToLower(s.Field(c).Name) {
		case "window_start":
			start = c
		case "window_end":
			end = c
		}
	}
	if start < 0 || end < 0 || s.Field(end).Type.ID() != arrow.TIMESTAMP {
		return -1
	}
	win := false
	walkDAG(in, func(n Node) {
		switch n := n.(type) {
		case *Aggregate:
			win = win || n.Window.Kind != exec.NoWindow
		case *WindowAssign:
			win = true
		}
	})
	if !win {
		return -1
	}
	return end
}

// rankPosition is the output column of the row number, the select item
// at pos among fields whose other items give visible columns. A * before
// it gives the columns the others do not; with two, it must come last.
func (p *selectPlanner) rankPosition(fields []*ast.SelectField, pos, visible int) (int, error) {
	if pos == len(fields)-1 {
		return visible, nil
	}
	stars := 0
	for _, f := range fields {
		if f.WildCard != nil {
			stars++
		}
	}
	if stars > 1 {
		return 0, errAt(p.stmt, windowFuncName(fields[pos].Expr.(*ast.WindowFuncExpr)), "with several * in the select list, put %s() last", windowFuncName(fields[pos].Expr.(*ast.WindowFuncExpr)))
	}
	at := 0
	for _, f := range fields[:pos] {
		if f.WildCard != nil {
			at += visible - (len(fields) - 2) // the columns the other items do not give
		} else {
			at++
		}
	}
	return at, nil
}

// firstByProcTime reports whether t orders an append-only input by
// processing time, ascending, alone: rows arrive in that order, so none
// ever leaves the top N (Flink's keep-first deduplication on PROCTIME()).
func firstByProcTime(t *TopN) bool {
	if t.In.Updating() || len(t.Order) != 1 || t.Order[0].Desc {
		return false
	}
	pr, ok := t.In.(*Project)
	if !ok || t.Order[0].Col >= len(pr.Exprs) {
		return false
	}
	_, ok = pr.Exprs[t.Order[0].Col].(procTime)
	return ok
}

// ordersByProcTime reports whether an ORDER BY key of t is PROCTIME().
func ordersByProcTime(t *TopN) bool {
	pr, ok := t.In.(*Project)
	if !ok {
		return false
	}
	for _, k := range t.Order {
		if k.Col < len(pr.Exprs) {
			if _, ok := pr.Exprs[k.Col].(procTime); ok {
				return true
			}
		}
	}
	return false
}

// orderLimitTopN plans ORDER BY ... LIMIT n over an updating result as a
// Top-N without partition: the first n rows of the result as it changes.
// ok is false when sel is not that shape.
func (p *selectPlanner) orderLimitTopN(sel *ast.SelectStmt, out Node) (Node, bool, error) {
	if sel.OrderBy == nil || sel.Limit == nil || !Updating(out) {
		return nil, false, nil
	}
	if sel.Limit.Offset != nil {
		return nil, true, errAt(p.stmt, "OFFSET", "LIMIT with an offset is not supported")
	}
	v, ok := sel.Limit.Count.(*driver.ValueExpr)
	if !ok || (v.Kind() != driver.KindInt64 && v.Kind() != driver.KindUint64) || v.GetInt64() < 1 {
		return nil, true, errAt(p.stmt, "LIMIT", "LIMIT over an updating result needs a constant row count of at least 1")
	}
	sorted, err := p.orderBy(sel, out)
	if err != nil {
		return nil, true, err
	}
	t := &TopN{In: out, Order: sorted.(*Sort).Keys, N: v.GetInt64(), RankName: "rn", WindowEnd: -1}
	for i := range vector.WithoutOpColumn(out.Schema()).NumFields() {
		t.Columns = append(t.Columns, i)
	}
	return t, true, nil
}
