package planner

import (
	"errors"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

// User-defined scalar functions written in SQL:
//
//	CREATE FUNCTION count_char(s VARCHAR, c VARCHAR) RETURNS BIGINT
//	  AS 'LENGTH(s) - LENGTH(REPLACE(s, c, ''''))'
//
// The body is type-checked when the function is created and kept in the
// session; each call is inlined: the arguments are bound, cast to the
// parameters' types, and the body is bound over them (so constant
// arguments fold), its result cast to the declared type.

// sqlFunction is a function made by CREATE FUNCTION.
type sqlFunction struct {
	def    *sql.FunctionDef
	params []arrow.DataType
	ret    arrow.DataType
	text   string // the CREATE FUNCTION statement, for SHOW FUNCTIONS
}

// maxInlineDepth bounds functions calling functions (a function may call
// one that was redefined to call it back).
const maxInlineDepth = 32

// functionStatement executes CREATE FUNCTION, DROP FUNCTION and SHOW
// FUNCTIONS; ok is false for other statements.
func (s *Session) functionStatement(stmt *sql.Statement) (res *Result, ok bool, err error) {
	switch stmt.Command {
	case sql.CmdCreateFunction:
		res, err = s.createFunction(stmt)
	case sql.CmdDropFunction:
		res, err = s.dropFunction(stmt)
	case sql.CmdShowFunctions:
		res = s.showFunctions()
	default:
		return nil, false, nil
	}
	return res, true, err
}

// userFuncs returns the session's functions (nil-safe).
func (s *Session) userFuncs() map[string]*sqlFunction {
	if s == nil {
		return nil
	}
	return s.functions
}

func (s *Session) createFunction(stmt *sql.Statement) (*Result, error) {
	def := stmt.Function
	lname := strings.ToLower(def.Name)
	if vector.KnownFunc(lname) || streamingFuncs[lname] != "" || builtinSpecial[lname] {
		return nil, errAt(stmt, def.Name, "%s is a built-in function; choose another name", strings.ToUpper(def.Name))
	}
	if _, exists := s.functions[lname]; exists {
		if def.IfNotExists {
			return &Result{Kind: ResultOK, Message: "function " + def.Name + " exists"}, nil
		}
		return nil, errAt(stmt, def.Name, "function %s already exists (DROP FUNCTION %s first)", def.Name, def.Name)
	}
	f := &sqlFunction{def: def, text: stmt.Text}
	sc := &scope{}
	for i, p := range def.Params {
		t, ok := arrowType(def.Types[i])
		if !ok {
			return nil, errAt(stmt, p, "parameter %s: type %s is not supported (use BIGINT, DOUBLE, VARCHAR, BOOLEAN or TIMESTAMP(3))", p, sqlTypeName(def.Types[i]))
		}
		f.params = append(f.params, t)
		sc.cols = append(sc.cols, column{name: p, typ: t})
	}
	ret, ok := arrowType(def.Types[len(def.Params)])
	if !ok {
		return nil, errAt(stmt, "RETURNS", "RETURNS %s is not supported (use BIGINT, DOUBLE, VARCHAR, BOOLEAN or TIMESTAMP(3))", sqlTypeName(def.Types[len(def.Params)]))
	}
	f.ret = ret
	b := &binder{stmt: def.BodyStmt, scope: sc, what: "the body of function " + def.Name, funcs: s.functions}
	x, err := b.bind(def.BodyExpr)
	if err != nil {
		return nil, def.BodyError(err)
	}
	if _, err := vector.Cast(x, ret); err != nil {
		return nil, errAt(stmt, "RETURNS", "function %s returns %s, but its body is %s: %v", def.Name, vector.TypeName(ret), vector.TypeName(x.Type()), err)
	}
	if s.functions == nil {
		s.functions = map[string]*sqlFunction{}
	}
	s.functions[lname] = f
	return &Result{Kind: ResultOK, Message: "function " + def.Name + " created"}, nil
}

// builtinSpecial are the functions the binder handles itself, and the
// aggregate, window and table functions, which a scalar function's name
// would never reach.
var builtinSpecial = map[string]bool{
	"proctime": true, "date_add": true, "date_sub": true, "adddate": true, "subdate": true,
	"timestamp": true, "date": true, "cast": true, sql.CastBoolean: true,
	"count": true, "sum": true, "avg": true, "min": true, "max": true, "approx_count_distinct": true,
	"first_value": true, "last_value": true, "group_concat": true, "listagg": true, "stddev": true,
	"stddev_pop": true, "stddev_samp": true, "variance": true, "var_pop": true, "var_samp": true,
	"row_number": true, "rank": true, "dense_rank": true, "session": true, "cumulate": true,
	"session_start": true, "session_end": true, "table": true, "descriptor": true,
}

func (s *Session) dropFunction(stmt *sql.Statement) (*Result, error) {
	def := stmt.Function
	lname := strings.ToLower(def.Name)
	if _, ok := s.functions[lname]; !ok {
		if def.IfExists {
			return &Result{Kind: ResultOK, Message: "dropped"}, nil
		}
		return nil, errAt(stmt, def.Name, "unknown function %s", def.Name)
	}
	delete(s.functions, lname)
	return &Result{Kind: ResultOK, Message: "function " + def.Name + " dropped"}, nil
}

// showFunctions lists the session's functions, each body on one line.
func (s *Session) showFunctions() *Result {
	r := &Result{Kind: ResultRows, Columns: []string{"function", "parameters", "returns", "body"}}
	names := make([]string, 0, len(s.functions))
	for n := range s.functions {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f := s.functions[n]
		ps := make([]string, len(f.params))
		for i, p := range f.def.Params {
			ps[i] = p + " " + vector.TypeName(f.params[i])
		}
		r.Rows = append(r.Rows, []string{f.def.Name, strings.Join(ps, ", "), vector.TypeName(f.ret), strings.Join(strings.Fields(f.def.Body), " ")})
	}
	return r
}

// callSQLFunction inlines a call of f: the arguments are bound here and
// cast to the parameters' types, then the body is bound over them.
func (b *binder) callSQLFunction(e *ast.FuncCallExpr, f *sqlFunction) (vector.Expr, error) {
	def := f.def
	if len(e.Args) != len(f.params) {
		return nil, b.errAt(e, "%s expects %d argument(s) (%s), got %d", def.Name, len(f.params), strings.Join(def.Params, ", "), len(e.Args))
	}
	if b.depth >= maxInlineDepth {
		return nil, b.errAt(e, "function %s: calls nested more than %d deep (does a function call itself?)", def.Name, maxInlineDepth)
	}
	params := make(map[string]vector.Expr, len(e.Args))
	for i, a := range e.Args {
		x, err := b.bind(a)
		if err != nil {
			return nil, err
		}
		c, err := vector.Cast(x, f.params[i])
		if err != nil || !implicitArg(x, f.params[i]) {
			return nil, b.errAt(a, "%s: argument %s must be %s, got %s (use CAST)", def.Name, def.Params[i], vector.TypeName(f.params[i]), vector.TypeName(x.Type()))
		}
		params[strings.ToLower(def.Params[i])] = c
	}
	body := &binder{stmt: def.BodyStmt, scope: &scope{}, params: params, what: "the body of function " + def.Name,
		proc: b.proc, funcs: b.funcs, depth: b.depth + 1}
	x, err := body.bind(def.BodyExpr)
	if err != nil {
		var se *sql.Error
		if errors.As(err, &se) {
			err = errors.New(se.Msg)
		}
		return nil, b.errAt(e, "in function %s: %v", def.Name, err)
	}
	res, err := vector.Cast(x, f.ret)
	return res, b.wrap(e, err)
}

// implicitArg reports whether an argument x may be passed for a
// parameter of type to: the same type, NULL, BIGINT for DOUBLE, or a
// string constant (such as '2024-01-01 00:00:00' for a TIMESTAMP), as
// Flink casts arguments implicitly; other conversions need a CAST.
func implicitArg(x vector.Expr, to arrow.DataType) bool {
	from := x.Type().ID()
	switch {
	case from == to.ID(), from == arrow.NULL:
		return true
	case from == arrow.INT64 && to.ID() == arrow.FLOAT64:
		return true
	case from == arrow.STRING:
		_, lit := vector.IsLiteral(x)
		return lit
	}
	return false
}

// bindRegexp binds s [NOT] REGEXP pattern as REGEXP_LIKE(s, pattern).
func (b *binder) bindRegexp(e *ast.PatternRegexpExpr) (vector.Expr, error) {
	x, err := b.bind(e.Expr)
	if err != nil {
		return nil, err
	}
	p, err := b.bind(e.Pattern)
	if err != nil {
		return nil, err
	}
	res, err := vector.Func("regexp_like", []vector.Expr{x, p})
	if err == nil && e.Not {
		res, err = vector.Not(res)
	}
	return res, b.wrap(e, err)
}
