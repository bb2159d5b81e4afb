package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

var aggFuncs = map[string]exec.AggFunc{
	"count": exec.Count, "sum": exec.Sum, "min": exec.Min, "max": exec.Max, "avg": exec.Avg,
	"approx_count_distinct": exec.ApproxCountDistinct,
}

// aggregate plans GROUP BY [keys], [TUMBLE|HOP], aggregates, HAVING and
// the select list above them.
func (p *selectPlanner) aggregate(sel *ast.SelectStmt, in Node, sc *scope) (Node, error) {
	in, sc, tvf := p.tvfGroupWindow(sel, in, sc) // GROUP BY window_start, window_end
	b := p.binder(sc, "GROUP BY")
	var pre []vector.Expr // the pre-aggregation projection
	var preNames []string
	window := exec.WindowSpec{Kind: exec.NoWindow}
	var windowCall *ast.FuncCallExpr
	type key struct {
		canon, name string
		alias       string
	}
	var keys []key
	if sel.GroupBy != nil {
		for _, item := range sel.GroupBy.Items {
			e := item.Expr
			if tvf != nil && tvf.keys[e] {
				continue
			}
			if call, ok := e.(*ast.FuncCallExpr); ok && (call.FnName.L == "tumble" || call.FnName.L == "hop" || isSessionWindow(call)) {
				if windowCall != nil || tvf != nil {
					return nil, errAt(p.stmt, call.FnName.O, "only one window per GROUP BY")
				}
				windowCall = call
				continue
			}
			alias := ""
			e, alias = p.resolveGroupAlias(e, sel, sc)
			x, err := b.bind(e)
			if err != nil {
				return nil, err
			}
			name := alias
			if name == "" {
				if c, ok := e.(*ast.ColumnNameExpr); ok {
					name = c.Name.Name.O
				} else {
					name = canon(e)
				}
			}
			keys = append(keys, key{canon: canon(e), name: name, alias: alias})
			pre = append(pre, x)
			preNames = append(preNames, name)
		}
	}
	if windowCall != nil {
		read := p.window
		if isSessionWindow(windowCall) {
			read = p.sessionWindow
		}
		t, w, err := read(b, windowCall)
		if err != nil {
			return nil, err
		}
		window = w
		pre = append([]vector.Expr{t}, pre...)
		preNames = append([]string{canon(windowCall.Args[0])}, preNames...)
	}
	if tvf != nil {
		window = tvf.window
		pre = append([]vector.Expr{tvf.time}, pre...)
		preNames = append([]string{tvf.time.String()}, preNames...)
	}
	nkeys := len(keys)
	first := len(pre) - nkeys // index of the first key in pre
	if tvf != nil {
		if err := p.checkSessionKeys(tvf, pre[first:]); err != nil {
			return nil, err
		}
	}

	// Aggregates, deduplicated by their text.
	coll := &aggCollector{}
	for _, f := range sel.Fields.Fields {
		if f.WildCard != nil {
			return nil, errAt(p.stmt, "*", "SELECT * cannot be used with GROUP BY")
		}
		f.Expr.Accept(coll)
	}
	if sel.Having != nil {
		sel.Having.Expr.Accept(coll)
	}
	argCol := map[string]int{}
	var aggs []exec.AggSpec
	aggIndex := map[string]int{}
	ab := p.binder(sc, "an aggregate's argument")
	for _, a := range coll.found {
		text, filter := canon(a), coll.filters[a]
		if filter != nil {
			text = canon(filter)
		}
		if _, ok := aggIndex[text]; ok {
			continue
		}
		fn, ok := aggFuncs[strings.ToLower(a.F)]
		if !ok {
			return nil, errAt(p.stmt, a.F, "aggregate function %s is not supported (have COUNT, SUM, MIN, MAX, AVG, APPROX_COUNT_DISTINCT)", strings.ToUpper(a.F))
		}
		if len(a.Args) != 1 {
			return nil, errAt(p.stmt, a.F, "%s takes one argument", strings.ToUpper(a.F))
		}
		spec := exec.AggSpec{Func: fn, Arg: -1, Name: aggDisplayName(canon(a), filter)}
		if fn == exec.Count && !a.Distinct && isNonNullLiteral(a.Args[0]) {
			spec.Func, spec.Name = exec.CountStar, aggDisplayName("COUNT(*)", filter)
		} else {
			argText := canon(a.Args[0])
			col, ok := argCol[argText]
			if !ok {
				x, err := ab.bind(a.Args[0])
				if err != nil {
					return nil, err
				}
				if err := checkAggArg(fn, x.Type()); err != nil {
					return nil, errAt(p.stmt, a.F, "%s", err)
				}
				col = len(pre)
				pre = append(pre, x)
				preNames = append(preNames, argText)
				argCol[argText] = col
			} else if err := checkAggArg(fn, pre[col].Type()); err != nil {
				return nil, errAt(p.stmt, a.F, "%s", err)
			}
			spec.Arg = col
		}
		if err := p.aggDistinctFilter(&spec, a, filter, ab, &pre, &preNames); err != nil {
			return nil, err
		}
		aggIndex[text] = len(aggs)
		aggs = append(aggs, spec)
	}

	proj := newProject(in, pre, preNames)
	agg := &Aggregate{In: proj, Aggs: aggs, Window: window}
	for i := range keys {
		agg.Keys = append(agg.Keys, first+i)
		agg.KeyNames = append(agg.KeyNames, keys[i].name)
	}
	if err := p.chooseUpdating(agg, in); err != nil {
		return nil, err
	}
	closeAtWindowEnd(agg, in, p.stmt)
	if err := p.checkApproxInput(agg, in); err != nil {
		return nil, err
	}
	agg.schema = aggSchema(agg)

	// Bind HAVING and the select list over the aggregation's output.
	off := 0
	if window.Kind != exec.NoWindow {
		off = 2
	}
	as := &aggScope{out: scopeOf(agg.schema, ""), exprs: map[string]int{}, keyNames: map[string]int{}, windowed: off == 2, windowTime: tvf != nil}
	for i, k := range keys {
		as.exprs[k.canon] = off + i
		if k.alias != "" {
			as.keyNames[strings.ToLower(k.alias)] = off + i
		} else if !strings.ContainsAny(k.name, "()` ") {
			as.keyNames[strings.ToLower(k.name)] = off + i
		}
	}
	for text, i := range aggIndex {
		as.exprs[text] = off + nkeys + i
	}
	var out Node = agg
	if sel.Having != nil {
		// HAVING may name a select-list alias, as in MySQL.
		as.aliases = map[string]ast.ExprNode{}
		for _, f := range sel.Fields.Fields {
			if f.AsName.L != "" {
				as.aliases[f.AsName.L] = f.Expr
			}
		}
		hb := &binder{stmt: p.stmt, scope: sc, agg: as, what: "HAVING", proc: p.proc, funcs: p.sess.userFuncs()}
		pred, err := hb.bind(sel.Having.Expr)
		if err != nil {
			return nil, err
		}
		if agg.Changelog {
			// In the aggregate, so that a group that stops qualifying
			// is deleted from the result.
			if id := pred.Type().ID(); id != arrow.BOOL && id != arrow.NULL {
				return nil, errAt(p.stmt, anchor(sel.Having.Expr), "condition %s is %s, not BOOLEAN", pred, vector.TypeName(pred.Type()))
			}
			agg.Having = pred
		} else if out, err = newFilter(p.stmt, out, pred, sel.Having.Expr); err != nil {
			return nil, err
		}
	}
	as.aliases = nil
	fb := &binder{stmt: p.stmt, scope: sc, agg: as, what: "the select list", proc: p.proc, funcs: p.sess.userFuncs()}
	var exprs []vector.Expr
	var names []string
	for _, f := range sel.Fields.Fields {
		x, err := fb.bind(f.Expr)
		if err != nil {
			return nil, err
		}
		exprs = append(exprs, x)
		names = append(names, p.fieldName(f))
	}
	return newProject(out, exprs, names), nil
}

// resolveGroupAlias lets GROUP BY name a select-list alias or position, as
// MySQL does, when the name is not a column of the input.
func (p *selectPlanner) resolveGroupAlias(e ast.ExprNode, sel *ast.SelectStmt, sc *scope) (ast.ExprNode, string) {
	switch x := e.(type) {
	case *ast.ColumnNameExpr:
		if x.Name.Table.L != "" || sc.find("", x.Name.Name.O) != -1 {
			return e, ""
		}
		for _, f := range sel.Fields.Fields {
			if f.Expr != nil && strings.EqualFold(f.AsName.O, x.Name.Name.O) {
				return f.Expr, f.AsName.O
			}
		}
	case *ast.PositionExpr:
		if x.N >= 1 && x.N <= len(sel.Fields.Fields) {
			if f := sel.Fields.Fields[x.N-1]; f.Expr != nil {
				return f.Expr, p.fieldName(f)
			}
		}
	}
	return e, ""
}

// window reads TUMBLE(time, size) or HOP(time, slide, size).
func (p *selectPlanner) window(b *binder, call *ast.FuncCallExpr) (vector.Expr, exec.WindowSpec, error) {
	fn := strings.ToUpper(call.FnName.O)
	want := 2
	usage := "TUMBLE(time, INTERVAL 'n' UNIT)"
	if call.FnName.L == "hop" {
		want, usage = 3, "HOP(time, slide, size)"
	}
	if len(call.Args) != want {
		return nil, exec.WindowSpec{}, errAt(p.stmt, call.FnName.O, "%s takes %d arguments: %s", fn, want, usage)
	}
	t, err := b.bind(call.Args[0])
	if err != nil {
		return nil, exec.WindowSpec{}, err
	}
	if t.Type().ID() != arrow.TIMESTAMP {
		return nil, exec.WindowSpec{}, errAt(p.stmt, anchor(call.Args[0]), "%s needs a TIMESTAMP time column, got %s", fn, vector.TypeName(t.Type()))
	}
	w := exec.WindowSpec{Kind: exec.Tumble, TimeCol: 0}
	d1, err := b.intervalArg(fn, call.Args[1])
	if err != nil {
		return nil, w, err
	}
	w.Size, w.Slide = d1.Milliseconds(), d1.Milliseconds()
	if want == 3 {
		d2, err := b.intervalArg(fn, call.Args[2])
		if err != nil {
			return nil, w, err
		}
		w.Kind, w.Slide, w.Size = exec.Hop, d1.Milliseconds(), d2.Milliseconds()
		if d1 > d2 {
			// Each row falls in no window for slide - size of every slide.
			return nil, w, errAt(p.stmt, call.FnName.O, "HOP slide (%s) is larger than its size (%s): rows between windows would be dropped; use a slide <= size (HOP(time, slide, size))", d1, d2)
		}
	}
	if _, ok := t.(procTime); ok {
		// Processing-time windows are aligned to batches, as DStream
		// windows are.
		iv, err := sql.ParseInterval(p.sess.Settings["batch_interval"])
		if err != nil || iv <= 0 {
			return nil, w, errAt(p.stmt, "PROCTIME", "bad batch_interval %q", p.sess.Settings["batch_interval"])
		}
		ms := iv.Milliseconds()
		if w.Size%ms != 0 || w.Slide%ms != 0 {
			return nil, w, errAt(p.stmt, call.FnName.O, "%s over PROCTIME() needs a size and slide that are multiples of the batch interval (%s); got size %s, slide %s",
				fn, iv, time.Duration(w.Size)*time.Millisecond, time.Duration(w.Slide)*time.Millisecond)
		}
		p.procWindows = true
	}
	return t, w, nil
}

func isNonNullLiteral(e ast.ExprNode) bool {
	v, ok := e.(*driver.ValueExpr)
	return ok && v.Kind() != driver.KindNull
}

func checkAggArg(fn exec.AggFunc, t arrow.DataType) error {
	switch fn {
	case exec.Sum, exec.Avg:
		if id := t.ID(); id != arrow.INT64 && id != arrow.FLOAT64 && id != arrow.NULL {
			return fmt.Errorf("%s needs a numeric argument, got %s", aggName(fn), vector.TypeName(t))
		}
	case exec.Min, exec.Max:
		if t.ID() == arrow.NULL {
			return fmt.Errorf("%s needs a typed argument, got NULL", aggName(fn))
		}
	}
	return nil
}

func aggName(fn exec.AggFunc) string {
	for k, v := range aggFuncs {
		if v == fn {
			return strings.ToUpper(k)
		}
	}
	return "COUNT"
}

// aggSchema is the output schema of an aggregation: window bounds if
// windowed, the keys, the aggregates.
func aggSchema(a *Aggregate) *arrow.Schema {
	in := a.In.Schema()
	var fields []arrow.Field
	if a.Window.Kind != exec.NoWindow {
		fields = append(fields,
			arrow.Field{Name: "window_start", Type: vector.Timestamp, Nullable: true},
			arrow.Field{Name: "window_end", Type: vector.Timestamp, Nullable: true})
	}
	for i, k := range a.Keys {
		fields = append(fields, arrow.Field{Name: a.KeyNames[i], Type: in.Field(k).Type, Nullable: true})
	}
	for _, s := range a.Aggs {
		var t arrow.DataType
		switch s.Func {
		case exec.CountStar, exec.Count, exec.ApproxCountDistinct:
			t = vector.Int64
		case exec.Avg:
			t = vector.Float64
		case exec.Sum:
			t = vector.Float64
			if in.Field(s.Arg).Type.ID() == arrow.INT64 {
				t = vector.Int64
			}
		default:
			t = in.Field(s.Arg).Type
		}
		fields = append(fields, arrow.Field{Name: s.Name, Type: t, Nullable: true})
	}
	if a.Changelog {
		fields = append(fields, vector.OpField())
	}
	return arrow.NewSchema(fields, nil)
}
