package sql

import "strings"

// createTable handles CREATE TABLE: it removes a WATERMARK FOR item from
// the column list and a WITH (k = v, ...) clause, recording both, and
// rewrites column types TiDB lacks (see columnType).
func (r *rewriter) createTable() *Error {
	t := r.toks
	if len(t) < 3 || !t[0].kw("CREATE") {
		return nil
	}
	i := 1
	for i < len(t) && i < 4 && !t[i].kw("TABLE") {
		i++ // CREATE [TEMPORARY|GLOBAL TEMPORARY] TABLE
	}
	if i >= len(t) || !t[i].kw("TABLE") {
		return nil
	}
	i++
	if r.tok(i).kw("IF") && r.tok(i+1).kw("NOT") && r.tok(i+2).kw("EXISTS") {
		i += 3
	}
	nameTok := min(i, len(t)-1)
	if i < len(t) && t[i].isName() {
		i++
		if r.tok(i).is(".") && r.tok(i+1).isName() {
			i += 2
		}
	}
	if r.tok(i).is("(") {
		end := r.closeParen(i)
		if end < 0 {
			return nil // unbalanced: TiDB reports it
		}
		if err := r.watermarkItem(i, end, nameTok); err != nil {
			return err
		}
		r.columnTypes(i, end)
		r.notEnforced(i, end)
		i = end + 1
	}
	depth := 0
	for j := i; j < len(t); j++ {
		switch {
		case t[j].is("("):
			depth++
		case t[j].is(")"):
			depth--
		case depth == 0 && t[j].kw("WITH") && r.tok(j+1).is("("):
			if r.with != nil {
				return r.errTok(j, "duplicate WITH (...) options")
			}
			end := r.closeParen(j + 1)
			if end < 0 {
				return nil
			}
			if err := r.options(j+1, end); err != nil {
				return err
			}
			r.replace(j, end, "")
			j = end
		}
	}
	return nil
}

// notEnforced removes NOT ENFORCED after PRIMARY KEY in the column list
// between the parentheses at open and close (Flink's spelling: Weir never
// enforces a key either, it tells sinks how to key their writes).
func (r *rewriter) notEnforced(open, close int) {
	for j := open + 1; j+1 < close; j++ {
		if r.toks[j].kw("NOT") && r.toks[j+1].kw("ENFORCED") {
			r.replace(j, j+1, "")
			j++
		}
	}
}

// watermarkItem finds WATERMARK FOR items in the column list between
// the parentheses at open and close, and removes the one it finds.
func (r *rewriter) watermarkItem(open, close, nameTok int) *Error {
	// item boundaries: commas at depth 1
	var commas []int
	depth := 0
	for j := open + 1; j < close; j++ {
		switch {
		case r.toks[j].is("("):
			depth++
		case r.toks[j].is(")"):
			depth--
		case depth == 0 && r.toks[j].is(","):
			commas = append(commas, j)
		}
	}
	bounds := append(append([]int{open}, commas...), close)
	for k := 0; k+1 < len(bounds); k++ {
		first, last := bounds[k]+1, bounds[k+1]-1
		if first > last || !r.toks[first].kw("WATERMARK") || !r.tok(first+1).kw("FOR") {
			continue
		}
		if r.wm != nil {
			return r.errTok(first, "a table can have only one WATERMARK")
		}
		if err := r.watermark(first, last); err != nil {
			return err
		}
		switch {
		case k > 0: // drop the comma before the item
			r.replace(bounds[k], last, "")
		case len(bounds) > 2: // first item: drop the comma after it
			r.replace(first, bounds[k+1], "")
		default:
			return r.errTok(nameTok, "CREATE TABLE needs at least one column besides the WATERMARK")
		}
	}
	return nil
}

// watermark parses WATERMARK FOR col AS col [- INTERVAL ...] at tokens
// first..last.
func (r *rewriter) watermark(first, last int) *Error {
	const forms = "write WATERMARK FOR ts AS ts - INTERVAL '5' SECOND (or AS ts for no delay)"
	i := first + 2
	if i > last || !r.toks[i].isName() {
		return r.errTok(min(i, last), "WATERMARK FOR needs a column name; %s", forms)
	}
	col := r.toks[i]
	if i+1 > last || !r.toks[i+1].kw("AS") {
		return r.errTok(min(i+1, last), "expected AS after WATERMARK FOR %s; %s", col.name(), forms)
	}
	i += 2
	if i > last {
		return r.errTok(last, "WATERMARK FOR %s AS needs an expression; %s", col.name(), forms)
	}
	if !r.toks[i].isName() {
		return r.errTok(i, "unsupported WATERMARK expression; %s", forms)
	}
	if !strings.EqualFold(r.toks[i].name(), col.name()) {
		return r.errTok(i, "WATERMARK FOR %s must be computed from %s, not %s", col.name(), col.name(), r.toks[i].name())
	}
	wm := &Watermark{Column: col.name()}
	i++
	if i <= last {
		if !r.toks[i].is("-") || !r.tok(i+1).kw("INTERVAL") || i+1 > last {
			return r.errTok(i, "unsupported WATERMARK expression; %s", forms)
		}
		d, next, err := r.interval(i+1, last, false)
		if err != nil {
			return err
		}
		if next <= last {
			return r.errTok(next, "unexpected %s after the WATERMARK delay; %s", snippet(r.toks[next].text), forms)
		}
		wm.Delay = d
	}
	r.wm, r.wmTok = wm, first+2
	return nil
}

// options parses the WITH clause's ( key = value, ... ) between the
// parentheses at open and close.
func (r *rewriter) options(open, close int) *Error {
	r.with = map[string]string{}
	start := open + 1
	for j := open + 1; j <= close; j++ {
		if j < close && !r.toks[j].is(",") {
			continue
		}
		if j == start {
			if j == close && j == open+1 {
				break // WITH ()
			}
			return r.errTok(j, "empty WITH option; write key = 'value'")
		}
		if err := r.option(start, j-1); err != nil {
			return err
		}
		start = j + 1
	}
	return nil
}

// option parses one key = value pair at tokens first..last.
func (r *rewriter) option(first, last int) *Error {
	eq := -1
	for j := first; j <= last; j++ {
		if r.toks[j].is("=") {
			eq = j
			break
		}
	}
	if eq < 0 {
		return r.errTok(first, "expected key = 'value' in WITH options, found %s", snippet(r.toks[first].text))
	}
	if eq == first {
		return r.errTok(first, "WITH option is missing its name")
	}
	var key strings.Builder
	if eq == first+1 && r.toks[first].kind == tkString {
		key.WriteString(unquote(r.toks[first].text))
	} else {
		for j := first; j < eq; j++ {
			t := r.toks[j]
			wantName := (j-first)%2 == 0
			switch {
			case wantName && (t.isName() || t.kind == tkNumber):
				key.WriteString(t.name())
			case !wantName && (t.is(".") || t.is("-")):
				key.WriteString(t.text)
			default:
				return r.errTok(j, "bad WITH option name near %s; use a name such as path or scan.startup.mode, or a quoted string", snippet(t.text))
			}
		}
		if (eq-first)%2 == 0 {
			return r.errTok(eq-1, "bad WITH option name: it ends with %q", r.toks[eq-1].text)
		}
	}
	k := strings.ToLower(key.String())
	var val string
	v := eq + 1
	switch {
	case v > last:
		return r.errTok(eq, "WITH option %q is missing its value", k)
	case v == last && r.toks[v].kind == tkString:
		val = unquote(r.toks[v].text)
	case v == last && (r.toks[v].kind == tkNumber || r.toks[v].isName()):
		val = r.toks[v].name()
	case v+1 == last && r.toks[v].is("-") && r.toks[last].kind == tkNumber:
		val = "-" + r.toks[last].text
	default:
		return r.errTok(v, "WITH option %q needs one value, such as '...', a number or a name", k)
	}
	if _, dup := r.with[k]; dup {
		return r.errTok(first, "duplicate WITH option %q", k)
	}
	r.with[k] = val
	return nil
}
