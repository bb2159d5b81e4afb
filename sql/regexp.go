package sql

import "strings"

// regexpCalls rewrites Flink's function REGEXP(s, pattern), which TiDB
// reads as MySQL's operator s REGEXP pattern, to REGEXP_LIKE(s, pattern).
// It is the call when REGEXP touches its '(' and does not follow a value
// (s REGEXP('x') stays the operator).
func (r *rewriter) regexpCalls() {
	for i := 0; i+1 < len(r.toks); i++ {
		t := r.toks[i]
		if !t.kw("REGEXP") || !r.toks[i+1].is("(") || t.end != r.toks[i+1].start || r.edited(i) {
			continue
		}
		p := i - 1
		if p >= 0 && r.toks[p].kw("NOT") {
			p--
		}
		if p >= 0 && endsValue(r.toks[p]) {
			continue
		}
		r.replace(i, i, "REGEXP_LIKE")
	}
}

// exprKeywords are words after which an expression starts.
var exprKeywords = map[string]bool{
	"SELECT": true, "WHERE": true, "AND": true, "OR": true, "NOT": true, "XOR": true, "WHEN": true,
	"THEN": true, "ELSE": true, "ON": true, "HAVING": true, "CASE": true, "BY": true, "DISTINCT": true, "ALL": true,
}

// endsValue reports whether t can be the last token of a value.
func endsValue(t token) bool {
	switch t.kind {
	case tkNumber, tkString, tkQuoted:
		return true
	case tkPunct:
		return t.is(")")
	case tkIdent:
		return !exprKeywords[strings.ToUpper(t.text)]
	}
	return false
}
