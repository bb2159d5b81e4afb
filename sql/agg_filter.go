package sql

import "strings"

// AggFilterFunc is the function the bridge wraps around an aggregate
// call with a FILTER clause, which TiDB's grammar lacks:
// agg(...) FILTER (WHERE cond) reaches the planner as
// weir_agg_filter(agg(...), (cond)).
const AggFilterFunc = "weir_agg_filter"

// aggFilters rewrites every `name(...) FILTER (WHERE cond)` into
// AggFilterFunc(name(...), (cond)). The planner checks that name is an
// aggregate function.
func (r *rewriter) aggFilters() *Error {
	for j := 0; j+3 < len(r.toks); j++ {
		if !r.toks[j].is(")") || !r.tok(j+1).kw("filter") || !r.tok(j+2).is("(") || !r.tok(j+3).kw("where") {
			continue
		}
		if r.edited(j) || r.edited(j+1) {
			continue
		}
		open := r.openParen(j)
		if open < 1 || !r.toks[open-1].isName() || r.toks[open-1].kind == tkIdent && nonCalls[strings.ToUpper(r.toks[open-1].text)] {
			return r.errTok(j+1, "FILTER (WHERE ...) must follow an aggregate function call, e.g. COUNT(*) FILTER (WHERE price > 10)")
		}
		end := r.closeParen(j + 2)
		if end < 0 {
			return r.errTok(j+2, "FILTER (WHERE ...) is missing its closing parenthesis")
		}
		if end == j+4 {
			return r.errTok(j+3, "FILTER (WHERE ...) needs a condition")
		}
		name := open - 1
		if name > 0 && r.toks[name-1].is(".") {
			return r.errTok(j+1, "FILTER (WHERE ...) must follow an aggregate function call")
		}
		at := r.toks[name].start - r.base
		r.edits = append(r.edits,
			edit{start: at, end: at, repl: AggFilterFunc + "("},
			edit{start: r.toks[j+1].start - r.base, end: r.toks[j+3].end - r.base, repl: ", ("})
		at = r.toks[end].end - r.base
		r.edits = append(r.edits, edit{start: at, end: at, repl: ")"})
		j = j + 3
	}
	return nil
}

// openParen returns the index of the '(' matching the ')' at j, or -1.
func (r *rewriter) openParen(j int) int {
	depth := 0
	for i := j; i >= 0; i-- {
		switch {
		case r.toks[i].is(")"):
			depth++
		case r.toks[i].is("("):
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// IsAggFilter reports whether a function name is AggFilterFunc.
func IsAggFilter(name string) bool { return strings.EqualFold(name, AggFilterFunc) }
