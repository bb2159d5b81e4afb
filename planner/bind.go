package planner

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

// binder turns AST expressions into vector expressions over a scope.
type binder struct {
	stmt  *sql.Statement
	scope *scope
	// agg, when set, binds over the output of an aggregation: aggregate
	// calls and GROUP BY expressions become references to its columns.
	agg *aggScope
	// what names the clause being bound, for messages ("WHERE").
	what string
	// proc is the query's batch-time cell, which PROCTIME() reads.
	proc *atomic.Int64
	// funcs are the session's SQL functions (see functions.go); params,
	// set while inlining one, maps its parameters (lower case) to the
	// call's arguments, and depth counts the calls being inlined.
	funcs  map[string]*sqlFunction
	params map[string]vector.Expr
	depth  int
}

// aggScope resolves expressions above an aggregation.
type aggScope struct {
	out      *scope
	aliases  map[string]ast.ExprNode // select-list aliases, for HAVING
	exprs    map[string]int          // canonical text of a key or aggregate -> column
	keyNames map[string]int          // lower-cased plain column names of keys -> column
	windowed bool
	// windowTime: grouped by a window table-valued function's window,
	// whose window_time is window_end - 1 ms.
	windowTime bool
}

var binaryOps = map[opcode.Op]vector.BinaryOp{
	opcode.Plus: vector.Add, opcode.Minus: vector.Sub, opcode.Mul: vector.Mul,
	opcode.Div: vector.Div, opcode.IntDiv: vector.IntDiv, opcode.Mod: vector.Mod,
	opcode.EQ: vector.Eq, opcode.NE: vector.NotEq, opcode.LT: vector.Lt,
	opcode.LE: vector.LtEq, opcode.GT: vector.Gt, opcode.GE: vector.GtEq,
	opcode.LogicAnd: vector.And, opcode.LogicOr: vector.Or,
}

// streamingFuncs may appear only in particular places.
var streamingFuncs = map[string]string{
	"tumble":          "TUMBLE(...) belongs in GROUP BY",
	sql.AggFilterFunc: "FILTER (WHERE ...) must follow an aggregate function (COUNT, SUM, AVG, MIN, MAX, APPROX_COUNT_DISTINCT) in the select list or HAVING",
	"hop":             "HOP(...) belongs in GROUP BY",
	"unnest":          "UNNEST(...) is allowed only as a whole item of the select list",
	"string_to_array": "STRING_TO_ARRAY(...) is allowed only inside UNNEST(...)",
	"tumble_start":    "TUMBLE_START(...) needs a query grouped by TUMBLE(...)",
	"tumble_end":      "TUMBLE_END(...) needs a query grouped by TUMBLE(...)",
	"hop_start":       "HOP_START(...) needs a query grouped by HOP(...)",
	"hop_end":         "HOP_END(...) needs a query grouped by HOP(...)",
	"session_window":  "SESSION(...) belongs in GROUP BY",
	"session_start":   "SESSION_START(...) needs a query grouped by SESSION(...)",
	"session_end":     "SESSION_END(...) needs a query grouped by SESSION(...)",
}

func (b *binder) bind(e ast.ExprNode) (vector.Expr, error) {
	if b.agg != nil {
		if i, ok := b.agg.exprs[canon(e)]; ok {
			c := b.agg.out.cols[i]
			return vector.ColumnRef(i, c.typ, c.name), nil
		}
	}
	switch e := e.(type) {
	case *ast.ParenthesesExpr:
		return b.bind(e.Expr)
	case *ast.ColumnNameExpr:
		return b.bindColumn(e)
	case *driver.ValueExpr:
		return b.literal(e)
	case *ast.AggregateFuncExpr:
		return nil, b.errAt(e, "aggregate function %s is not allowed in %s", strings.ToUpper(e.F), b.what)
	case *ast.BinaryOperationExpr:
		op, ok := binaryOps[e.Op]
		if !ok {
			return nil, b.errAt(e, "operator %s is not supported", e.Op)
		}
		l, err := b.bind(e.L)
		if err != nil {
			return nil, err
		}
		r, err := b.bind(e.R)
		if err != nil {
			return nil, err
		}
		l, r = b.coerceBoolLiteral(l, r, e.L, e.R)
		x, err := vector.Binary(op, l, r)
		return x, b.wrap(e, err)
	case *ast.UnaryOperationExpr:
		x, err := b.bind(e.V)
		if err != nil {
			return nil, err
		}
		switch e.Op {
		case opcode.Not, opcode.Not2:
			x, err = vector.Not(x)
		case opcode.Minus:
			x, err = vector.Negate(x)
		case opcode.Plus:
		default:
			return nil, b.errAt(e, "operator %s is not supported", e.Op)
		}
		return x, b.wrap(e, err)
	case *ast.IsNullExpr:
		x, err := b.bind(e.Expr)
		if err != nil {
			return nil, err
		}
		return vector.IsNull(x, e.Not), nil
	case *ast.IsTruthExpr:
		x, err := b.bind(e.Expr)
		if err != nil {
			return nil, err
		}
		// x IS TRUE: true exactly when x is true, never NULL.
		want := vector.Literal(e.True != 0, vector.Boolean)
		eq, err := vector.Binary(vector.Eq, x, want)
		if err != nil {
			return nil, b.wrap(e, err)
		}
		notNull := vector.IsNull(x, true)
		res, err := vector.Binary(vector.And, notNull, eq)
		if err == nil && e.Not {
			res, err = vector.Not(res)
		}
		return res, b.wrap(e, err)
	case *ast.PatternInExpr:
		if e.Sel != nil {
			return nil, b.errAt(e, "IN (SELECT ...) is not supported")
		}
		x, err := b.bind(e.Expr)
		if err != nil {
			return nil, err
		}
		list := make([]vector.Expr, len(e.List))
		for i, item := range e.List {
			if list[i], err = b.bind(item); err != nil {
				return nil, err
			}
		}
		res, err := vector.In(x, list, e.Not)
		return res, b.wrap(e, err)
	case *ast.BetweenExpr:
		x, err := b.bind(e.Expr)
		if err != nil {
			return nil, err
		}
		lo, err := b.bind(e.Left)
		if err != nil {
			return nil, err
		}
		hi, err := b.bind(e.Right)
		if err != nil {
			return nil, err
		}
		ge, err := vector.Binary(vector.GtEq, x, lo)
		if err != nil {
			return nil, b.wrap(e, err)
		}
		le, err := vector.Binary(vector.LtEq, x, hi)
		if err != nil {
			return nil, b.wrap(e, err)
		}
		res, err := vector.Binary(vector.And, ge, le)
		if err == nil && e.Not {
			res, err = vector.Not(res)
		}
		return res, b.wrap(e, err)
	case *ast.PatternLikeOrIlikeExpr:
		x, err := b.bind(e.Expr)
		if err != nil {
			return nil, err
		}
		v, ok := e.Pattern.(*driver.ValueExpr)
		if !ok || v.Kind() != driver.KindString {
			return nil, b.errAt(e.Pattern, "LIKE needs a constant string pattern")
		}
		esc := rune('\\')
		if e.Escape != 0 {
			esc = rune(e.Escape)
		}
		res, err := vector.Like(x, v.GetString(), esc, e.Not, !e.IsLike)
		return res, b.wrap(e, err)
	case *ast.PatternRegexpExpr: // s [NOT] REGEXP pattern, as REGEXP_LIKE
		return b.bindRegexp(e)
	case *ast.CaseExpr:
		var operand, els vector.Expr
		var err error
		if e.Value != nil {
			if operand, err = b.bind(e.Value); err != nil {
				return nil, err
			}
		}
		whens := make([]vector.Expr, len(e.WhenClauses))
		thens := make([]vector.Expr, len(e.WhenClauses))
		for i, w := range e.WhenClauses {
			if whens[i], err = b.bind(w.Expr); err != nil {
				return nil, err
			}
			if thens[i], err = b.bind(w.Result); err != nil {
				return nil, err
			}
		}
		if e.ElseClause != nil {
			if els, err = b.bind(e.ElseClause); err != nil {
				return nil, err
			}
		}
		res, err := vector.Case(operand, whens, thens, els)
		return res, b.wrap(e, err)
	case *ast.FuncCastExpr:
		x, err := b.bind(e.Expr)
		if err != nil {
			return nil, err
		}
		to, ok := castType(e.Tp)
		if !ok {
			return nil, b.errAt(e, "cannot CAST to %s", sqlTypeName(e.Tp))
		}
		res, err := vector.Cast(x, to)
		return res, b.wrap(e, err)
	case *ast.FuncCallExpr:
		return b.bindFunc(e)
	case *ast.TimeUnitExpr:
		return nil, b.errAt(e, "a time unit is not a value")
	}
	return nil, b.errAt(e, "expression %s is not supported", canon(e))
}

func (b *binder) bindColumn(e *ast.ColumnNameExpr) (vector.Expr, error) {
	name := e.Name.Name.O
	if x, ok := b.params[strings.ToLower(name)]; ok && e.Name.Table.L == "" {
		return x, nil
	}
	if b.agg != nil {
		lname := strings.ToLower(name)
		if b.agg.windowed && e.Name.Table.L == "" && (lname == "window_start" || lname == "window_end") {
			i := 0
			if lname == "window_end" {
				i = 1
			}
			return vector.ColumnRef(i, vector.Timestamp, lname), nil
		}
		if b.agg.windowTime && e.Name.Table.L == "" && lname == "window_time" {
			x, err := vector.Binary(vector.Sub, vector.ColumnRef(1, vector.Timestamp, "window_end"), vector.Literal(int64(1), vector.Int64))
			return x, b.wrap(e, err)
		}
		if i, ok := b.agg.keyNames[lname]; ok {
			c := b.agg.out.cols[i]
			return vector.ColumnRef(i, c.typ, c.name), nil
		}
		if x, ok := b.agg.aliases[lname]; ok && e.Name.Table.L == "" && b.scope.find("", name) < 0 {
			delete(b.agg.aliases, lname) // an alias cannot refer to itself
			defer func() { b.agg.aliases[lname] = x }()
			return b.bind(x)
		}
		if b.scope.find(e.Name.Table.L, name) >= 0 {
			return nil, b.errAt(e, "column %s must appear in GROUP BY or be used in an aggregate function", name)
		}
		return nil, b.unknownColumn(e)
	}
	switch i := b.scope.find(e.Name.Table.L, name); i {
	case -1:
		return nil, b.unknownColumn(e)
	case -2:
		return nil, b.errAt(e, "column %s is ambiguous", name)
	default:
		c := b.scope.cols[i]
		return vector.ColumnRef(i, c.typ, c.name), nil
	}
}

func (b *binder) unknownColumn(e *ast.ColumnNameExpr) error {
	name := e.Name.Name.O
	switch strings.ToLower(name) {
	case "window_start", "window_end":
		return b.errAt(e, "%s exists only in a query grouped by TUMBLE(...) or HOP(...)", strings.ToLower(name))
	}
	if e.Name.Table.O != "" {
		return b.errAt(e, "unknown column %s.%s", e.Name.Table.O, name)
	}
	return b.errAt(e, "unknown column %s (have %s)", name, strings.Join(b.scope.names(), ", "))
}

func (b *binder) literal(v *driver.ValueExpr) (vector.Expr, error) {
	switch v.Kind() {
	case driver.KindNull:
		return vector.Literal(nil, vector.Null), nil
	case driver.KindInt64:
		return vector.Literal(v.GetInt64(), vector.Int64), nil
	case driver.KindUint64:
		return vector.Literal(int64(v.GetUint64()), vector.Int64), nil
	case driver.KindFloat32, driver.KindFloat64:
		return vector.Literal(v.GetFloat64(), vector.Float64), nil
	case driver.KindMysqlDecimal:
		f, err := strconv.ParseFloat(v.GetMysqlDecimal().String(), 64)
		if err != nil {
			return nil, b.errAt(v, "bad number %s", v.GetMysqlDecimal().String())
		}
		return vector.Literal(f, vector.Float64), nil
	case driver.KindString, driver.KindBytes:
		return vector.Literal(v.GetString(), vector.String), nil
	}
	return nil, b.errAt(v, "literal %s is not supported", canon(v))
}

// coerceBoolLiteral turns the MySQL spelling of TRUE and FALSE (the
// integers 1 and 0) into Boolean literals when compared with a Boolean.
func (b *binder) coerceBoolLiteral(l, r vector.Expr, la, ra ast.ExprNode) (vector.Expr, vector.Expr) {
	fix := func(x vector.Expr, n ast.ExprNode, other vector.Expr) vector.Expr {
		v, ok := n.(*driver.ValueExpr)
		if !ok || v.Kind() != driver.KindInt64 || other.Type().ID() != arrow.BOOL {
			return x
		}
		switch v.GetInt64() {
		case 0:
			return vector.Literal(false, vector.Boolean)
		case 1:
			return vector.Literal(true, vector.Boolean)
		}
		return x
	}
	return fix(l, la, r), fix(r, ra, l)
}

func (b *binder) bindFunc(e *ast.FuncCallExpr) (vector.Expr, error) {
	name := e.FnName.L
	if b.agg != nil && b.agg.windowed {
		switch name { // Flink's group-window auxiliary functions
		case "tumble_start", "hop_start", "session_start":
			return vector.ColumnRef(0, vector.Timestamp, "window_start"), nil
		case "tumble_end", "hop_end", "session_end":
			return vector.ColumnRef(1, vector.Timestamp, "window_end"), nil
		}
	}
	if msg, ok := streamingFuncs[name]; ok {
		return nil, b.errAt(e, "%s", msg)
	}
	switch name {
	case "proctime":
		if len(e.Args) != 0 {
			return nil, b.errAt(e, "PROCTIME() takes no arguments")
		}
		return procTime{cell: b.proc}, nil
	case ast.TimestampLiteral, ast.DateLiteral:
		// TIMESTAMP '2024-01-01 00:00:00' and DATE '2024-01-01'
		if len(e.Args) == 1 {
			if v, ok := e.Args[0].(*driver.ValueExpr); ok && v.Kind() == driver.KindString {
				res, err := vector.Cast(vector.Literal(v.GetString(), vector.String), vector.Timestamp)
				if err == nil {
					if lit, ok := vector.IsLiteral(res); !ok || lit == nil {
						err = fmt.Errorf("bad timestamp %q", v.GetString())
					}
				}
				return res, b.wrap(e, err)
			}
		}
		return nil, b.errAt(e, "bad TIMESTAMP literal")
	case "date_add", "date_sub", "adddate", "subdate":
		return b.bindDateArith(e)
	case sql.CastBoolean: // the bridge's spelling of CAST(x AS BOOLEAN)
		if len(e.Args) != 1 {
			return nil, b.errAt(e, "CAST takes one value")
		}
		x, err := b.bind(e.Args[0])
		if err != nil {
			return nil, err
		}
		res, err := vector.Cast(x, vector.Boolean)
		return res, b.wrap(e, err)
	}
	if f, ok := b.funcs[name]; ok {
		return b.callSQLFunction(e, f)
	}
	if name == "extract" {
		return b.bindExtract(e)
	}
	if !vector.KnownFunc(name) {
		return nil, b.errAt(e, "unknown function %s", strings.ToUpper(e.FnName.O))
	}
	args := make([]vector.Expr, len(e.Args))
	for i, a := range e.Args {
		var err error
		if args[i], err = b.bind(a); err != nil {
			return nil, err
		}
	}
	res, err := vector.Func(name, args)
	return res, b.wrap(e, err)
}

// bindDateArith binds ts ± INTERVAL n UNIT, which TiDB parses as
// DATE_ADD / DATE_SUB, as timestamp arithmetic in milliseconds. The
// amount may be negative; MILLISECOND and strings such as '500ms' reach
// here as MICROSECOND (see sql.IntervalOf).
func (b *binder) bindDateArith(e *ast.FuncCallExpr) (vector.Expr, error) {
	if len(e.Args) != 3 {
		return nil, b.errAt(e, "%s expects a timestamp and an interval", strings.ToUpper(e.FnName.O))
	}
	ts, err := b.bind(e.Args[0])
	if err != nil {
		return nil, err
	}
	unit, ok := e.Args[2].(*ast.TimeUnitExpr)
	if !ok {
		return nil, b.errAt(e, "bad interval")
	}
	amount, ok := constantAmount(e.Args[1])
	if !ok {
		return nil, errAt(b.stmt, "INTERVAL", "an interval needs a constant amount, e.g. INTERVAL '5' SECOND")
	}
	d, err := sql.IntervalOf(amount, unit.Unit.String())
	if err != nil {
		return nil, errAt(b.stmt, "INTERVAL", "%v", err)
	}
	if d%time.Millisecond != 0 {
		return nil, errAt(b.stmt, "INTERVAL", "interval %s is not a whole number of milliseconds, the precision of TIMESTAMP(3)", d)
	}
	op := vector.Add
	if e.FnName.L == "date_sub" || e.FnName.L == "subdate" {
		op = vector.Sub
	}
	res, err := vector.Binary(op, ts, vector.Literal(d.Milliseconds(), vector.Int64))
	return res, b.wrap(e, err)
}

// constantAmount returns the text of an interval's amount: a literal, or
// a negated one (INTERVAL -5 SECOND).
func constantAmount(e ast.ExprNode) (string, bool) {
	switch e := e.(type) {
	case *driver.ValueExpr:
		return fmt.Sprint(e.GetValue()), true
	case *ast.UnaryOperationExpr:
		if v, ok := e.V.(*driver.ValueExpr); ok && e.Op == opcode.Minus {
			return "-" + fmt.Sprint(v.GetValue()), true
		}
	}
	return "", false
}

// wrap positions an error from a vector constructor at node n.
func (b *binder) wrap(n ast.ExprNode, err error) error {
	if err == nil {
		return nil
	}
	return b.errAt(n, "%v", err)
}

// errAt returns a *sql.Error pointing at the first name in node n.
func (b *binder) errAt(n ast.Node, format string, args ...any) error {
	return errAt(b.stmt, anchor(n), format, args...)
}

// errAt returns a *sql.Error at the first occurrence of name in stmt, or at
// the start of stmt when the name cannot be found.
func errAt(stmt *sql.Statement, name string, format string, args ...any) error {
	if stmt == nil {
		return fmt.Errorf(format, args...)
	}
	off, n := stmt.Offset, 1
	if name != "" {
		if o, l, ok := stmt.Locate(name); ok {
			off, n = o, l
		}
	}
	return stmt.ErrorAt(off, n, format, args...)
}

// anchor finds a name inside n that its error can point at: the leftmost
// column or function name.
func anchor(n ast.Node) string {
	switch n := n.(type) {
	case *ast.ColumnNameExpr:
		return n.Name.Name.O
	case *ast.FuncCallExpr:
		switch n.FnName.L {
		case ast.TimestampLiteral:
			return "TIMESTAMP"
		case ast.DateLiteral:
			return "DATE"
		}
		return n.FnName.O
	case *ast.AggregateFuncExpr:
		return n.F
	case *ast.FuncCastExpr:
		return "CAST"
	case *ast.ParenthesesExpr:
		return anchor(n.Expr)
	case *ast.BinaryOperationExpr:
		if a := anchor(n.L); a != "" {
			return a
		}
		return anchor(n.R)
	case *ast.UnaryOperationExpr:
		return anchor(n.V)
	case *ast.IsNullExpr:
		return anchor(n.Expr)
	case *ast.PatternInExpr:
		return anchor(n.Expr)
	case *ast.BetweenExpr:
		return anchor(n.Expr)
	case *ast.PatternLikeOrIlikeExpr:
		return anchor(n.Expr)
	case *ast.PatternRegexpExpr:
		return anchor(n.Expr)
	case *ast.CaseExpr:
		return "CASE"
	case *ast.TableName:
		return n.Name.O
	}
	return ""
}

// canon is an expression's canonical text, used to match GROUP BY
// expressions and aggregates written more than once.
func canon(n ast.Node) string {
	var sb strings.Builder
	ctx := format.NewRestoreCtx(format.RestoreStringSingleQuotes|format.RestoreKeyWordUppercase|format.RestoreNameLowercase, &sb)
	if err := n.Restore(ctx); err != nil {
		return fmt.Sprintf("%p", n)
	}
	return sb.String()
}

// intervalArg reads a window size or slide: a string such as '5 seconds'
// (the bridge rewrites INTERVAL '5' SECOND to that form).
func (b *binder) intervalArg(fn string, e ast.ExprNode) (time.Duration, error) {
	v, ok := e.(*driver.ValueExpr)
	if !ok || (v.Kind() != driver.KindString && v.Kind() != driver.KindInt64) {
		return 0, b.errAt(e, "%s needs an interval such as INTERVAL '5' SECOND or '5 seconds'", fn)
	}
	text := fmt.Sprint(v.GetValue())
	if strings.HasPrefix(strings.TrimSpace(text), "-") {
		return 0, errAt(b.stmt, fn, "%s: interval must be positive, got %q", fn, text)
	}
	d, err := sql.ParseInterval(text)
	if err != nil {
		return 0, errAt(b.stmt, fn, "%s: %v", fn, err)
	}
	if d <= 0 {
		return 0, errAt(b.stmt, fn, "%s: interval must be positive, got %q", fn, text)
	}
	if d%time.Millisecond != 0 {
		return 0, errAt(b.stmt, fn, "%s: interval must be a whole number of milliseconds, got %q", fn, text)
	}
	return d, nil
}
