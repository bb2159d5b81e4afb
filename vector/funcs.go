package vector

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// funcBuilder type-checks arguments and builds a function call; name is
// the name as called (lower case).
type funcBuilder func(name string, args []Expr) (Expr, error)

// funcs maps lower-case function names to their builders.
var funcs map[string]funcBuilder

func init() {
	funcs = map[string]funcBuilder{
		"lower":            buildCaseMap,
		"lcase":            buildCaseMap,
		"upper":            buildCaseMap,
		"ucase":            buildCaseMap,
		"length":           buildLength,
		"char_length":      buildLength,
		"character_length": buildLength,
		"octet_length":     buildLength,
		"substring":        buildSubstring,
		"substr":           buildSubstring,
		"concat":           buildConcat,
		"concat_ws":        buildConcatWS,
		"instr":            buildInstr,
		"trim":             buildTrim,
		"ltrim":            buildTrim,
		"rtrim":            buildTrim,
		"replace":          buildReplace,
		"coalesce":         newCoalesce,
		"ifnull":           buildIfNull,
		"if":               buildIf,
		"nullif":           buildNullIf,
		"abs":              buildAbs,
		"round":            buildRound,
		"floor":            buildFloorCeil,
		"ceil":             buildFloorCeil,
		"ceiling":          buildFloorCeil,
		"mod":              buildMod,
		"sqrt":             buildFloatFunc,
		"exp":              buildFloatFunc,
		"ln":               buildFloatFunc,
		"log10":            buildFloatFunc,
		"power":            buildPower,
		"pow":              buildPower,
	}
}

// Func returns the call name(args...). Names are case-insensitive.
// Supported: LOWER/LCASE, UPPER/UCASE, LENGTH/CHAR_LENGTH/
// CHARACTER_LENGTH (characters), OCTET_LENGTH (bytes), SUBSTRING/SUBSTR,
// CONCAT, CONCAT_WS, INSTR, TRIM/LTRIM/RTRIM, REPLACE, COALESCE, IFNULL,
// IF, NULLIF, ABS, ROUND, FLOOR, CEIL/CEILING, MOD, SQRT, EXP, LN, LOG10,
// POWER/POW; DATE_FORMAT, YEAR, MONTH, DAYOFMONTH, DAYOFWEEK, DAYOFYEAR,
// HOUR, MINUTE, SECOND (funcs_time.go); REGEXP_EXTRACT, REGEXP_LIKE/REGEXP,
// SPLIT_INDEX (funcs_regexp.go). Unknown names and wrong arguments are errors such as
// "LOWER expects 1 argument of type VARCHAR, got BIGINT".
func Func(name string, args []Expr) (Expr, error) {
	lname := strings.ToLower(name)
	b, ok := funcs[lname]
	if !ok {
		return nil, fmt.Errorf("unknown function %s", strings.ToUpper(name))
	}
	for i, a := range args {
		if a == nil {
			return nil, fmt.Errorf("%s: argument %d is nil", strings.ToUpper(name), i+1)
		}
	}
	return b(lname, args)
}

// KnownFunc reports whether Func knows name (case-insensitive).
func KnownFunc(name string) bool {
	_, ok := funcs[strings.ToLower(name)]
	return ok
}

// kernel computes a function over n rows. Operands flagged in arrays are
// always columns; others may be constants (never NULL constants).
type kernel func(mem memory.Allocator, n int, ops []operand) arrow.Array

// funcExpr is a NULL-propagating function call evaluated by a kernel.
type funcExpr struct {
	name   string
	args   []Expr
	typ    arrow.DataType
	k      kernel
	arrays uint64 // bit i: operand i must be a column
}

var _ Expr = (*funcExpr)(nil)

// newFunc builds a NULL-propagating call: a NULL argument makes the whole
// call a NULL constant, constant arguments are folded.
func newFunc(name string, args []Expr, typ arrow.DataType, k kernel, arrays uint64) Expr {
	for _, a := range args {
		if v, ok := IsLiteral(a); (ok && v == nil) || isNullType(a.Type()) {
			return &literal{typ: typ}
		}
	}
	return fold(&funcExpr{name: name, args: args, typ: typ, k: k, arrays: arrays}, args...)
}

// Type implements Expr.
func (f *funcExpr) Type() arrow.DataType { return f.typ }

// String implements Expr.
func (f *funcExpr) String() string { return funcString(f.name, f.args) }

// Eval implements Expr.
func (f *funcExpr) Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
	n := int(batch.NumRows())
	ops, err := evalOperands(mem, f.args, batch)
	if err != nil {
		return nil, err
	}
	defer releaseOperands(ops)
	for i := range ops {
		if ops[i].isConst() && f.arrays&(1<<i) != 0 {
			ops[i] = operand{arr: broadcast(mem, ops[i].val, f.args[i].Type(), n)}
		}
	}
	return f.k(mem, n, ops), nil
}

// argTypes renders the argument types for an error message.
func argTypes(args []Expr) string {
	if len(args) == 0 {
		return "no arguments"
	}
	ts := make([]string, len(args))
	for i, a := range args {
		ts[i] = TypeName(a.Type())
	}
	return strings.Join(ts, ", ")
}

// sigErr is the error for a call whose arguments do not fit.
func sigErr(name, want string, args []Expr) error {
	return fmt.Errorf("%s expects %s, got %s", strings.ToUpper(name), want, argTypes(args))
}

// argIs reports whether e has type id, or is an untyped NULL.
func argIs(e Expr, ids ...arrow.Type) bool {
	t := e.Type().ID()
	if t == arrow.NULL {
		return true
	}
	for _, id := range ids {
		if t == id {
			return true
		}
	}
	return false
}

// i64Arg reads an Int64 operand, column or constant.
type i64Arg struct {
	vals  []int64
	c     int64
	valid []byte
	voff  int
}

// newI64Arg prepares an Int64 operand.
func newI64Arg(o operand) i64Arg {
	if o.isConst() {
		return i64Arg{c: o.val.(int64)}
	}
	a := i64Arg{vals: int64Values(o.arr)}
	a.valid, a.voff = validity(o.arr)
	return a
}

// at returns row i and whether it is valid.
func (a *i64Arg) at(i int) (int64, bool) {
	if a.vals == nil {
		return a.c, true
	}
	return a.vals[i], a.valid == nil || bitutil.BitIsSet(a.valid, a.voff+i)
}

// strArg reads a String operand, column or constant.
type strArg struct {
	sv      strVals
	c       string
	isConst bool
	valid   []byte
	voff    int
}

// newStrArg prepares a String operand.
func newStrArg(o operand) strArg {
	if o.isConst() {
		return strArg{c: o.val.(string), isConst: true}
	}
	a := strArg{sv: stringValues(o.arr)}
	a.valid, a.voff = validity(o.arr)
	return a
}

// at returns row i and whether it is valid.
func (a *strArg) at(i int) (string, bool) {
	if a.isConst {
		return a.c, true
	}
	return a.sv.at(i), a.valid == nil || bitutil.BitIsSet(a.valid, a.voff+i)
}

// operandArrays returns the columns among ops.
func operandArrays(ops []operand) []arrow.Array {
	var out []arrow.Array
	for _, o := range ops {
		if o.arr != nil {
			out = append(out, o.arr)
		}
	}
	return out
}

// aliasExpr renders a call that was rewritten into another expression
// (IF into CASE, MOD into %) under its original name.
type aliasExpr struct {
	Expr
	name string
	args []Expr
}

// String implements Expr.
func (a *aliasExpr) String() string { return funcString(a.name, a.args) }

// alias wraps e unless it folded into a literal.
func alias(e Expr, name string, args []Expr) Expr {
	if _, ok := IsLiteral(e); ok {
		return e
	}
	return &aliasExpr{Expr: e, name: name, args: args}
}

// buildIf is IF(cond, a, b): CASE WHEN cond THEN a ELSE b END.
func buildIf(name string, args []Expr) (Expr, error) {
	if len(args) != 3 || !argIs(args[0], arrow.BOOL) {
		return nil, sigErr(name, "3 arguments (BOOLEAN, value, value)", args)
	}
	e, err := Case(nil, args[:1], args[1:2], args[2])
	if err != nil {
		return nil, fmt.Errorf("IF: %w", err)
	}
	return alias(e, name, args), nil
}

// buildIfNull is IFNULL(a, b): COALESCE(a, b).
func buildIfNull(name string, args []Expr) (Expr, error) {
	if len(args) != 2 {
		return nil, sigErr(name, "2 arguments", args)
	}
	return newCoalesce(name, args)
}

// buildNullIf is NULLIF(a, b): NULL when a = b, else a.
func buildNullIf(name string, args []Expr) (Expr, error) {
	if len(args) != 2 {
		return nil, sigErr(name, "2 arguments", args)
	}
	eq, err := Binary(Eq, args[0], args[1])
	if err != nil {
		return nil, fmt.Errorf("NULLIF: %w", err)
	}
	typ := args[0].Type()
	e, err := Case(nil, []Expr{eq}, []Expr{&literal{typ: typ}}, args[0])
	if err != nil {
		return nil, fmt.Errorf("NULLIF: %w", err)
	}
	return alias(e, name, args), nil
}
