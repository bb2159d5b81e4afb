package sql

import "strings"

// CastBoolean is the function CAST(x AS BOOLEAN) and CONVERT(x, BOOLEAN)
// become, as TiDB's CAST has no boolean target: the planner sees an
// *ast.FuncCallExpr whose FnName.L is CastBoolean with the one argument
// x, and must cast it to BOOLEAN (NULL stays NULL).
const CastBoolean = "cast_boolean"

// Type names of Flink SQL, Spark and PostgreSQL that TiDB rejects are
// rewritten to MySQL's. In a CREATE TABLE column definition:
//
//	STRING                          -> TEXT
//	VARCHAR, CHARACTER VARYING      -> TEXT (only without a length)
//	TIMESTAMP_LTZ, TIMESTAMPTZ      -> TIMESTAMP (a precision is kept)
//	TIMESTAMP[(p)] WITH [LOCAL] TIME ZONE, ... WITHOUT TIME ZONE
//	                                -> TIMESTAMP[(p)]
//
// As the target of CAST(x AS type) or CONVERT(x, type):
//
//	BIGINT, INT, INTEGER, MEDIUMINT, SMALLINT, TINYINT [(n)] [SIGNED]
//	                                -> SIGNED (UNSIGNED if so marked)
//	VARCHAR, STRING, TEXT, CHARACTER VARYING -> CHAR (a length is kept)
//	TIMESTAMP, TIMESTAMP_LTZ, TIMESTAMPTZ [(p)] [time zone suffix]
//	                                -> DATETIME(3) (Weir keeps milliseconds)
//	DOUBLE PRECISION                -> DOUBLE
//	NUMERIC                         -> DECIMAL
//	BOOLEAN, BOOL                   -> the call CAST_BOOLEAN(x) (see CastBoolean)
//
// MySQL's own cast types (SIGNED, CHAR, DATETIME, DOUBLE, FLOAT, DECIMAL,
// ...) pass unchanged.

// intTypes are the integer type names a CAST turns into SIGNED.
var intTypes = map[string]bool{
	"BIGINT": true, "INT": true, "INTEGER": true, "MEDIUMINT": true, "SMALLINT": true, "TINYINT": true,
}

// timestampTypes are the timestamp type names Weir accepts.
var timestampTypes = map[string]bool{"TIMESTAMP": true, "TIMESTAMP_LTZ": true, "TIMESTAMPTZ": true}

// notColumns start the items of a CREATE TABLE list that define no column.
var notColumns = map[string]bool{
	"CONSTRAINT": true, "PRIMARY": true, "KEY": true, "INDEX": true, "UNIQUE": true,
	"FOREIGN": true, "CHECK": true, "FULLTEXT": true, "SPATIAL": true, "WATERMARK": true,
	"LIKE": true, "VECTOR": true, "COLUMNAR": true,
}

// word returns token i upper-cased if it is a bare word, else "".
func (r *rewriter) word(i int) string {
	if t := r.tok(i); t.kind == tkIdent {
		return strings.ToUpper(t.text)
	}
	return ""
}

// typeArgs returns the index of the ')' of a type's (n) or (p, s)
// starting at token i, or -1 if none is there.
func (r *rewriter) typeArgs(i int) int {
	if !r.tok(i).is("(") || r.tok(i+1).kind != tkNumber {
		return -1
	}
	switch {
	case r.tok(i + 2).is(")"):
		return i + 2
	case r.tok(i+2).is(",") && r.tok(i+3).kind == tkNumber && r.tok(i+4).is(")"):
		return i + 4
	}
	return -1
}

// zoneSuffix returns the last token of WITH [LOCAL] TIME ZONE or
// WITHOUT TIME ZONE starting at token i, or -1 if none is there.
func (r *rewriter) zoneSuffix(i int) int {
	j := i + 1
	switch r.word(i) {
	case "WITH":
		if r.word(j) == "LOCAL" {
			j++
		}
	case "WITHOUT":
	default:
		return -1
	}
	if r.word(j) == "TIME" && r.word(j+1) == "ZONE" {
		return j + 1
	}
	return -1
}

// timestampEnd returns the last token of a timestamp type named at token
// i, with its precision and time zone suffix if any.
func (r *rewriter) timestampEnd(i int) int {
	if k := r.typeArgs(i + 1); k >= 0 {
		i = k
	}
	if z := r.zoneSuffix(i + 1); z >= 0 {
		i = z
	}
	return i
}

// columnTypes rewrites the type of each column defined between the
// parentheses at open and close of CREATE TABLE.
func (r *rewriter) columnTypes(open, close int) {
	depth := 0
	first := open + 1
	for j := open + 1; j <= close; j++ {
		switch {
		case r.toks[j].is("("):
			depth++
		case r.toks[j].is(")") && j < close:
			depth--
		case depth == 0 && (r.toks[j].is(",") || j == close):
			if j-first >= 2 && r.toks[first].isName() && !notColumns[r.word(first)] {
				r.columnType(first + 1)
			}
			first = j + 1
		}
	}
}

// columnType rewrites the column type named at token i.
func (r *rewriter) columnType(i int) {
	switch w := r.word(i); {
	case w == "STRING", w == "VARCHAR" && !r.tok(i+1).is("("):
		r.replace(i, i, "TEXT")
	case (w == "CHARACTER" || w == "CHAR") && r.word(i+1) == "VARYING" && !r.tok(i+2).is("("):
		r.replace(i, i+1, "TEXT")
	case timestampTypes[w]:
		if w != "TIMESTAMP" {
			r.replace(i, i, "TIMESTAMP")
		}
		j := i
		if k := r.typeArgs(i + 1); k >= 0 {
			j = k
		}
		if z := r.zoneSuffix(j + 1); z >= 0 {
			r.replace(j+1, z, "")
		}
	}
}

// castFrame is an open parenthesis seen by casts.
type castFrame struct {
	call int  // index of CAST or CONVERT before it, or -1
	cast bool // CAST (type after AS) rather than CONVERT (type after ',')
}

// casts rewrites the target type of each CAST(x AS type) and
// CONVERT(x, type) that TiDB lacks. As in TiDB, CAST must touch its
// '('; tokens inside earlier edits are left alone.
func (r *rewriter) casts() {
	var stack []castFrame
	for i, t := range r.toks {
		switch {
		case t.is("("):
			f := castFrame{call: -1}
			if i > 0 && (i < 2 || !r.toks[i-2].is(".")) && !r.edited(i-1) {
				switch p := r.toks[i-1]; {
				case p.kw("CAST") && p.end == t.start:
					f = castFrame{call: i - 1, cast: true}
				case p.kw("CONVERT"):
					f = castFrame{call: i - 1}
				}
			}
			stack = append(stack, f)
		case t.is(")"):
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case len(stack) > 0 && stack[len(stack)-1].call >= 0:
			f := &stack[len(stack)-1]
			if (f.cast && t.kw("AS")) || (!f.cast && t.is(",")) {
				r.castType(f.call, i)
				f.call = -1 // one target per call
			}
		}
	}
}

// castType rewrites the type after the AS or ',' at token m of the CAST
// or CONVERT at token call.
func (r *rewriter) castType(call, m int) {
	i := m + 1
	if i >= len(r.toks) || r.edited(i) {
		return
	}
	switch w := r.word(i); {
	case intTypes[w]:
		j, repl := i, "SIGNED"
		if k := r.typeArgs(i + 1); k >= 0 {
			j = k
		}
		if s := r.word(j + 1); s == "SIGNED" || s == "UNSIGNED" {
			j, repl = j+1, s
		}
		r.replace(i, j, repl)
	case w == "VARCHAR" || w == "STRING" || w == "TEXT":
		r.replace(i, i, "CHAR")
	case (w == "CHARACTER" || w == "CHAR") && r.word(i+1) == "VARYING":
		r.replace(i, i+1, "CHAR")
	case timestampTypes[w]:
		r.replace(i, r.timestampEnd(i), "DATETIME(3)")
	case w == "DOUBLE" && r.word(i+1) == "PRECISION":
		r.replace(i, i+1, "DOUBLE")
	case w == "NUMERIC":
		r.replace(i, i, "DECIMAL")
	case (w == "BOOLEAN" || w == "BOOL") && r.tok(i+1).is(")"):
		r.replace(call, call, strings.ToUpper(CastBoolean))
		r.replace(m, i, "")
	}
}
