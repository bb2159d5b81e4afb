package sql

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The bridge between Weir's dialect and TiDB's grammar works on tokens:
// each rewrite is an edit (a byte span of the statement replaced by new
// text), and applying the edits yields the text given to TiDB together
// with an offsetMap that sends any position of it back to the original.

// edit replaces text[start:end] of a statement by repl.
type edit struct {
	start, end int
	repl       string
}

// segment is a piece of the rewritten text: either a verbatim copy of
// the original span [src, srcEnd) or a replacement of it.
type segment struct {
	out, outEnd int
	src, srcEnd int
	verbatim    bool
}

// offsetMap maps byte offsets of a rewritten statement to the original.
type offsetMap struct {
	segs   []segment
	srcLen int
}

// applyEdits applies non-overlapping edits to text.
func applyEdits(text string, edits []edit) (string, offsetMap) {
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var b strings.Builder
	m := offsetMap{srcLen: len(text)}
	pos := 0
	copyTo := func(end int) {
		if end > pos {
			o := b.Len()
			b.WriteString(text[pos:end])
			m.segs = append(m.segs, segment{out: o, outEnd: b.Len(), src: pos, srcEnd: end, verbatim: true})
		}
	}
	for _, e := range edits {
		copyTo(e.start)
		o := b.Len()
		b.WriteString(e.repl)
		m.segs = append(m.segs, segment{out: o, outEnd: b.Len(), src: e.start, srcEnd: e.end})
		pos = e.end
	}
	copyTo(len(text))
	return b.String(), m
}

// toSrc maps offset out of the rewritten text to the original span it
// came from: one byte for verbatim text, the whole replaced span for
// text a rewrite produced. Offsets past the end map to the end.
func (m offsetMap) toSrc(out int) (start, end int) {
	for _, s := range m.segs {
		if out >= s.out && out < s.outEnd {
			if s.verbatim {
				p := s.src + out - s.out
				return p, p + 1
			}
			return s.src, s.srcEnd
		}
	}
	return m.srcLen, m.srcLen
}

// rewriter bridges one statement. toks are its tokens without comments,
// with offsets into the whole script; base is the statement's offset.
type rewriter struct {
	script string
	base   int
	toks   []token
	edits  []edit
	with   map[string]string
	wm     *Watermark
	wmTok  int // index of the WATERMARK FOR column, if wm != nil
	fixed  int // edits made by earlier passes, which later ones skip
}

// errTok reports a problem at token i (or at the last token when i is
// past the end, for "missing ..." errors).
func (r *rewriter) errTok(i int, format string, args ...any) *Error {
	i = min(i, len(r.toks)-1)
	t := r.toks[i]
	return errAt(r.script, t.start, t.end-t.start, fmt.Sprintf(format, args...))
}

// tok returns token i, or a zero token past the end.
func (r *rewriter) tok(i int) token {
	if i < len(r.toks) {
		return r.toks[i]
	}
	return token{}
}

// replace records that tokens i..j (inclusive) become repl.
func (r *rewriter) replace(i, j int, repl string) {
	r.edits = append(r.edits, edit{start: r.toks[i].start - r.base, end: r.toks[j].end - r.base, repl: repl})
}

// edited reports whether token i lies inside an edit of an earlier pass
// (the first fixed edits).
func (r *rewriter) edited(i int) bool {
	p := r.toks[i].start - r.base
	for _, e := range r.edits[:r.fixed] {
		if p >= e.start && p < e.end {
			return true
		}
	}
	return false
}

// closeParen returns the index of the ')' matching the '(' at i, or -1.
func (r *rewriter) closeParen(i int) int {
	depth := 0
	for j := i; j < len(r.toks); j++ {
		switch {
		case r.toks[j].is("("):
			depth++
		case r.toks[j].is(")"):
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// rewrite runs every bridge over the statement.
func (r *rewriter) rewrite() *Error {
	if err := r.createTable(); err != nil {
		return err
	}
	r.fixed = len(r.edits)
	if err := r.windowTVFs(); err != nil {
		return err
	}
	r.fixed = len(r.edits)
	r.casts()
	r.fixed = len(r.edits)
	r.regexpCalls()
	if err := r.similarTo(); err != nil {
		return err
	}
	if err := r.fullJoins(); err != nil { // join.go
		return err
	}
	if err := r.temporalJoins(); err != nil { // join.go
		return err
	}
	if err := r.aggFilters(); err != nil {
		return err
	}
	r.fixed = len(r.edits)
	return r.intervals()
}

// interval parses INTERVAL 'n' UNIT, INTERVAL n UNIT or INTERVAL '5
// seconds' starting at the INTERVAL token i and not beyond token last.
// It returns the duration and the index of the token after it. A
// negative amount ('-5' or '-5 seconds') is an error unless signed is
// set (timestamp arithmetic), when it gives a negative duration.
func (r *rewriter) interval(i, last int, signed bool) (time.Duration, int, *Error) {
	if i+1 > last {
		return 0, 0, r.errTok(i, "INTERVAL needs an amount and a unit, e.g. INTERVAL '5' SECOND")
	}
	v := r.toks[i+1]
	if v.kind == tkString && (i+2 > last || !r.toks[i+2].isName()) {
		text, neg := cutMinus(unquote(v.text))
		if neg && !signed {
			return 0, 0, r.errTok(i+1, "interval must be positive, got %s", v.text)
		}
		d, err := ParseInterval(text)
		if err != nil {
			return 0, 0, r.errTok(i+1, "%v", err)
		}
		if neg {
			d = -d
		}
		return d, i + 2, nil
	}
	if v.kind != tkString && v.kind != tkNumber {
		return 0, 0, r.errTok(i+1, "INTERVAL needs an amount and a unit, e.g. INTERVAL '5' SECOND")
	}
	amount := v.text
	if v.kind == tkString {
		amount = strings.TrimSpace(unquote(v.text))
	}
	amount, neg := cutMinus(amount)
	if !isPlainNumber(amount) {
		return 0, 0, r.errTok(i+1, "interval amount %s is not a number", snippet(v.text))
	}
	if neg && !signed {
		return 0, 0, r.errTok(i+1, "interval must be positive, got %s", v.text)
	}
	if i+2 > last || !r.toks[i+2].isName() {
		return 0, 0, r.errTok(i+1, "INTERVAL %s needs a unit: MILLISECOND, SECOND, MINUTE, HOUR or DAY", amount)
	}
	unit := r.toks[i+2]
	u, ok := units[strings.ToUpper(unit.text)]
	if !ok || unit.kind != tkIdent {
		return 0, 0, r.errTok(i+2, "unknown interval unit %s; use MILLISECOND, SECOND, MINUTE, HOUR or DAY", snippet(unit.text))
	}
	d, err := scale(amount, u)
	if err != nil {
		return 0, 0, r.errTok(i+1, "bad interval amount: %v", err)
	}
	if neg {
		d = -d
	}
	return d, i + 3, nil
}

// cutMinus returns s without a leading minus sign (and the blanks around
// it), and whether it had one.
func cutMinus(s string) (string, bool) {
	t := strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(t, "-"); ok {
		return strings.TrimSpace(rest), true
	}
	return s, false
}

// nonCalls are words that precede '(' without making it a function call.
var nonCalls = map[string]bool{
	"IN": true, "VALUES": true, "VALUE": true, "EXISTS": true, "AS": true, "USING": true,
	"OVER": true, "ON": true, "AND": true, "OR": true, "NOT": true, "XOR": true,
	"WHERE": true, "SELECT": true, "FROM": true, "JOIN": true, "BY": true, "HAVING": true,
	"WHEN": true, "THEN": true, "ELSE": true, "CASE": true, "IS": true, "LIKE": true,
	"BETWEEN": true, "ALL": true, "ANY": true, "SOME": true, "DISTINCT": true,
	"TABLE": true, "INTO": true, "WITH": true, "LATERAL": true, "INTERVAL": true,
	"RETURN": true, "LIMIT": true, "UNION": true, "DIV": true, "MOD": true,
}

// dateCalls take a MySQL INTERVAL argument natively.
var dateCalls = map[string]bool{"DATE_ADD": true, "DATE_SUB": true, "ADDDATE": true, "SUBDATE": true}

// parenKind classifies an open parenthesis.
type parenKind uint8

const (
	parenPlain parenKind = iota // grouping, subquery, IN list, ...
	parenCall                   // a function call: INTERVAL arguments become strings
	parenDate                   // DATE_ADD and friends: INTERVAL stays
)

// intervals rewrites INTERVAL forms TiDB rejects. As an argument of a
// call (after '(' or ',' and followed by ',' or ')'), INTERVAL '5'
// SECOND, INTERVAL 5 SECOND and INTERVAL '5 seconds' become the string
// '5 SECOND' (or '5 seconds'), which ParseInterval reads. Elsewhere
// MySQL's own INTERVAL stays, except for spellings TiDB lacks
// (MILLISECOND, plural units, a unit inside the string), which become
// the equivalent INTERVAL n MICROSECOND/SECOND/... .
func (r *rewriter) intervals() *Error {
	var stack []parenKind
	last := len(r.toks) - 1
	for i := 0; i < len(r.toks); i++ {
		t := r.toks[i]
		switch {
		case t.is("("):
			k := parenPlain
			if i > 0 && r.toks[i-1].isName() {
				name := strings.ToUpper(r.toks[i-1].name())
				switch {
				case r.toks[i-1].kind == tkIdent && nonCalls[name]:
				case dateCalls[name]:
					k = parenDate
				default:
					k = parenCall
				}
			}
			stack = append(stack, k)
			continue
		case t.is(")"):
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			continue
		case !t.kw("INTERVAL") || i == last || r.edited(i):
			continue
		}
		inCall := i > 0 && len(stack) > 0 && stack[len(stack)-1] == parenCall &&
			(r.toks[i-1].is("(") || r.toks[i-1].is(","))
		next, err := r.oneInterval(i, inCall)
		if err != nil {
			return err
		}
		i = next - 1
	}
	return nil
}

// endsArg reports whether token i ends a call argument.
func (r *rewriter) endsArg(i int) bool { return r.tok(i).is(",") || r.tok(i).is(")") }

// oneInterval rewrites the INTERVAL at token i if needed and returns the
// index of the next token to look at.
func (r *rewriter) oneInterval(i int, inCall bool) (int, *Error) {
	v, u := r.tok(i+1), r.tok(i+2)
	if inCall && v.is("-") && u.kind == tkNumber {
		// TUMBLE(ts, INTERVAL -5 SECOND): TiDB would only say "syntax error".
		return 0, r.errTok(i+1, "interval must be positive, got -%s", u.text)
	}
	if v.kind != tkString && v.kind != tkNumber {
		return i + 1, nil // INTERVAL(...) function or a TiDB error
	}
	if inCall {
		switch {
		case v.kind == tkString && r.endsArg(i+2): // INTERVAL '5 seconds'
			if _, _, err := r.interval(i, i+1, false); err != nil {
				return 0, err
			}
			r.replace(i, i, "")
			return i + 2, nil
		case r.endsArg(i + 2):
			return 0, r.errTok(i+1, "INTERVAL %s needs a unit: MILLISECOND, SECOND, MINUTE, HOUR or DAY", v.text)
		case u.isName() && r.endsArg(i+3): // INTERVAL '5' SECOND
			if _, _, err := r.interval(i, i+2, false); err != nil {
				return 0, err
			}
			amount := v.text
			if v.kind == tkString {
				amount = strings.TrimSpace(unquote(v.text))
			}
			r.replace(i, i+2, "'"+amount+" "+strings.ToUpper(u.text)+"'")
			return i + 3, nil
		}
		return i + 1, nil // e.g. INTERVAL 5 SECOND + ts: MySQL's own
	}
	// Outside a call: keep MySQL's INTERVAL, translating what TiDB lacks.
	unit := strings.ToUpper(u.text)
	switch {
	case u.kind == tkIdent && mysqlUnits[unit]:
		return i + 3, nil
	case u.kind == tkIdent && units[unit] != 0:
		d, next, err := r.interval(i, i+2, true)
		if err != nil {
			return 0, err
		}
		r.replace(i, i+2, mysqlInterval(d))
		return next, nil
	case v.kind == tkString:
		d, next, err := r.interval(i, i+1, true)
		if err != nil {
			return 0, err
		}
		r.replace(i, i+1, mysqlInterval(d))
		return next, nil
	}
	return i + 1, nil
}

// WindowTVFPrefix starts the name of the call a window table-valued
// function becomes: FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size)),
// which TiDB cannot parse, reaches it as the derived table
// (SELECT * FROM t WHERE weir_window_tvf_tumble(DESCRIPTOR(ts), size)),
// and the planner plans that as the window assignment (HOP and CUMULATE
// likewise). SESSION's PARTITION BY k1, k2 becomes a first argument
// PartitionByCall(k1, k2).
const WindowTVFPrefix = "weir_window_tvf_"

// PartitionByCall is the call that carries the PARTITION BY columns of
// TABLE(SESSION(TABLE t PARTITION BY k, DESCRIPTOR(ts), gap)).
const PartitionByCall = "weir_partition_by"

// SessionWindowCall is the name the group window SESSION(ts, gap) reaches
// TiDB under (SESSION is a keyword there); it is also Spark's name for
// it, session_window(ts, gap).
const SessionWindowCall = "SESSION_WINDOW"

// windowTVFs rewrites Flink's window table-valued functions for TiDB
// (see WindowTVFPrefix) and the group window SESSION(...) (see
// SessionWindowCall). The call's own parentheses stay, so positions
// inside its arguments are kept and its INTERVALs are rewritten as any
// call's are.
func (r *rewriter) windowTVFs() *Error {
	tvfCall := map[int]bool{}
	for i := 0; i+5 < len(r.toks); i++ {
		if !r.toks[i].kw("TABLE") || !r.toks[i+1].is("(") {
			continue
		}
		fn := r.toks[i+2]
		if !fn.kw("TUMBLE") && !fn.kw("HOP") && !fn.kw("CUMULATE") && !fn.kw("SESSION") {
			continue
		}
		if !r.toks[i+3].is("(") {
			continue
		}
		tvfCall[i+2] = true
		name := strings.ToUpper(fn.text)
		usage := "TABLE(" + name + "(TABLE t, DESCRIPTOR(time column), ...))"
		if fn.kw("SESSION") {
			usage = "TABLE(SESSION(TABLE t [PARTITION BY key], DESCRIPTOR(time column), gap))"
		}
		if !r.toks[i+4].kw("TABLE") || !r.tok(i+5).isName() || (!r.tok(i+6).is(",") && !(fn.kw("SESSION") && r.tok(i+6).kw("PARTITION"))) {
			return r.errTok(i+4, "%s's first argument must be TABLE name: %s", name, usage)
		}
		prefix := "(SELECT * FROM " + r.toks[i+5].text + " WHERE " + WindowTVFPrefix + strings.ToLower(fn.text) + "("
		if !r.tok(i + 6).kw("PARTITION") {
			r.replace(i, i+6, prefix)
			i += 6
			continue
		}
		if !r.tok(i + 7).kw("BY") {
			return r.errTok(i+7, "SESSION's PARTITION needs BY: %s", usage)
		}
		// The columns run to the ',' before DESCRIPTOR.
		d := -1
		depth := 0
		for j := i + 8; j < len(r.toks); j++ {
			switch t := r.toks[j]; {
			case t.is("("):
				depth++
			case t.is(")"):
				depth--
			case depth == 0 && t.kw("DESCRIPTOR") && r.toks[j-1].is(","):
				d = j - 1
			}
			if d >= 0 || depth < 0 {
				break
			}
		}
		if d < 0 || d == i+8 {
			return r.errTok(i+6, "SESSION's PARTITION BY needs columns, then DESCRIPTOR(time column): %s", usage)
		}
		if r.toks[i+8].is("(") && r.closeParen(i+8) == d-1 {
			// PARTITION BY (k1, k2): the list's own parentheses stay.
			r.replace(i, i+8, prefix+PartitionByCall+"(")
			i = d
			continue
		}
		r.replace(i, i+7, prefix+PartitionByCall+"(")
		r.replace(d, d, "),")
		i = d
	}
	for i := 0; i+1 < len(r.toks); i++ {
		if r.toks[i].kw("SESSION") && r.toks[i+1].is("(") && !tvfCall[i] && (i == 0 || !r.toks[i-1].is(".")) {
			r.replace(i, i, SessionWindowCall)
		}
	}
	return nil
}
