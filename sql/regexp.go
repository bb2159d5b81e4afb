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

// similarTo rewrites the SQL standard's s [NOT] SIMILAR TO 'pattern'
// (Flink's, PostgreSQL's), which TiDB lacks, to s [NOT] REGEXP '^(?:re)$'
// with the pattern translated: % is .*, _ is ., a dot is literal, and
// | * + ? {m,n} ( ) [...] keep their meaning; the whole string must
// match. The pattern must be a string literal.
func (r *rewriter) similarTo() *Error {
	for i := 0; i+1 < len(r.toks); i++ {
		if !r.toks[i].kw("SIMILAR") || !r.toks[i+1].kw("TO") || r.edited(i) {
			continue
		}
		if i+2 >= len(r.toks) || r.toks[i+2].kind != tkString {
			return r.errTok(min(i+2, len(r.toks)-1), "SIMILAR TO needs a constant string pattern, e.g. s SIMILAR TO 'a%%'")
		}
		re := similarToRegexp(unquote(r.toks[i+2].text))
		r.replace(i, i+2, "REGEXP '"+strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(re)+"'")
	}
	return nil
}

// similarToRegexp translates a SIMILAR TO pattern to an anchored RE2
// pattern.
func similarToRegexp(p string) string {
	var b strings.Builder
	b.WriteString("^(?:")
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			i++
			b.WriteString(regexpQuoteByte(p[i]))
		case inClass:
			if c == ']' {
				inClass = false
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			b.WriteByte(c)
		case c == '%':
			b.WriteString("(?s:.*)")
		case c == '_':
			b.WriteString("(?s:.)")
		case strings.IndexByte("|*+?{}()", c) >= 0 || c >= 0x80 || c == ',' || (c >= '0' && c <= '9'):
			b.WriteByte(c)
		default:
			b.WriteString(regexpQuoteByte(c))
		}
	}
	b.WriteString(")$")
	return b.String()
}

// regexpQuoteByte returns c as a literal in a regular expression.
func regexpQuoteByte(c byte) string {
	if strings.IndexByte(`\.+*?()|[]{}^$`, c) >= 0 {
		return `\` + string(c)
	}
	return string(c)
}
