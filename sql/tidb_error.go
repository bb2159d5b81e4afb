package sql

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
)

// tidbPos matches the position part of TiDB's syntax errors, which read
// `line L column C near "REST OF STATEMENT" EXTRA`: REST starts at the
// offending token and C is a byte column just past it.
var tidbPos = regexp.MustCompile(`line (\d+) column (\d+) near "`)

// keywords holds TiDB's keywords (upper case), true for reserved ones.
var keywords = func() map[string]bool {
	m := make(map[string]bool, len(parser.Keywords))
	for _, k := range parser.Keywords {
		m[k.Word] = k.Reserved
	}
	return m
}()

// typoTargets are the keywords a misspelt word is compared against.
var typoTargets = []string{
	"SELECT", "FROM", "WHERE", "GROUP", "ORDER", "HAVING", "LIMIT", "JOIN", "INSERT", "INTO",
	"CREATE", "TABLE", "DROP", "SHOW", "TABLES", "DESCRIBE", "EXPLAIN", "WATERMARK",
	"INTERVAL", "VALUES", "DISTINCT", "UNION",
}

// clauseWords start clauses; a reserved-word hint would only confuse there.
var clauseWords = map[string]bool{
	"SELECT": true, "FROM": true, "WHERE": true, "GROUP": true, "ORDER": true, "HAVING": true,
	"LIMIT": true, "UNION": true, "ON": true, "USING": true, "SET": true, "VALUES": true,
	"BY": true, "AND": true, "OR": true, "NOT": true, "AS": true, "JOIN": true, "INTO": true,
}

// tidbError turns an error of TiDB's parser on s.Rewritten into an
// *Error positioned in the original script.
func (s *Statement) tidbError(perr error) *Error {
	msg := perr.Error()
	locs := tidbPos.FindAllStringSubmatchIndex(msg, -1)
	if len(locs) == 0 {
		if i := strings.IndexByte(msg, ']'); strings.HasPrefix(msg, "[") && i > 0 {
			msg = msg[i+1:] // [parser:1064]...
		}
		t := s.toks[0]
		for _, u := range s.toks { // e.g. Illegal double '1e999' value
			if (u.kind == tkNumber || u.kind == tkIdent) && strings.Contains(msg, "'"+u.text+"'") {
				t = u
				break
			}
		}
		return errAt(s.script, t.start, t.end-t.start, msg)
	}
	loc := locs[len(locs)-1]
	line, _ := strconv.Atoi(msg[loc[2]:loc[3]])
	col, _ := strconv.Atoi(msg[loc[4]:loc[5]])
	start, extra := nearStart(s.Rewritten, msg[loc[1]:], lineColOffset(s.Rewritten, line, col))
	if extra != "" {
		extra = ": " + extra
	}
	stmtEnd := s.Offset + len(s.Text)
	if start >= len(s.Rewritten) {
		_, b := s.omap.toSrc(max(len(s.Rewritten)-1, 0))
		k := s.tokenAt(s.Offset + max(b-1, 0)) // the last token of a rewritten span
		t := s.toks[k]
		return errAt(s.script, t.start, t.end-t.start, "syntax error: statement ends unexpectedly after "+snippet(t.text)+extra)
	}
	a, b := s.omap.toSrc(start)
	spanStart, spanLen, hint := s.Offset+a, b-a, ""
	if k := s.tokenAt(spanStart); b-a == 1 { // verbatim text: point at a whole token
		t := s.toks[k]
		spanStart, spanLen = t.start, t.end-t.start
		if w, ok := s.typo(k); ok {
			spanStart, spanLen, hint = s.toks[w].start, s.toks[w].end-s.toks[w].start, ": did you mean "+s.suggest(w)+"?"
		} else if p, pp := s.tok(k-1), s.tok(k-2); k >= 2 && p.kind == tkIdent && keywords[strings.ToUpper(p.text)] &&
			!clauseWords[strings.ToUpper(p.text)] && (pp.is("(") || pp.is(",")) {
			// a reserved word used as a column name: `key VARCHAR` fails at VARCHAR
			spanStart, spanLen = p.start, p.end-p.start
			hint = ": " + strings.ToUpper(p.text) + " is a reserved word; to use it as a name, quote it in backticks (`" + p.text + "`) or pick another name"
		} else if up := strings.ToUpper(t.text); t.kind == tkIdent && keywords[up] && !clauseWords[up] {
			hint = ": " + up + " is a reserved word; to use it as a name, quote it in backticks (`" + t.text + "`) or pick another name"
		} else if p := s.tok(k - 1); t.is("(") && p.kind == tkIdent {
			if _, kw := keywords[strings.ToUpper(p.text)]; kw {
				hint = ": " + strings.ToUpper(p.text) + " is a keyword, not a function"
				if strings.EqualFold(p.text, "SPLIT") {
					hint += "; to split text into words use UNNEST(STRING_TO_ARRAY(s, ' '))"
				}
			}
		}
	}
	return errAt(s.script, spanStart, spanLen, "syntax error near "+snippet(s.script[spanStart:stmtEnd])+hint+extra)
}

// nearStart finds where TiDB's near text starts in sql, given what
// follows `near "` in its message; TiDB quotes the rest of the statement
// from there verbatim (truncated past 2048 bytes) and may append a
// message after the closing quote, which is returned too. end is the
// byte just past the offending token, the fallback.
func nearStart(sql, rem string, end int) (int, string) {
	if i := strings.LastIndex(rem, "(total length "); i >= 0 {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rem[i+len("(total length "):]), ")"))
		if err == nil && n <= len(sql) && n > 2048 && len(rem) > 2048 {
			return len(sql) - n, strings.TrimSpace(rem[2049:i])
		}
	}
	// The near text is a suffix of sql followed by '"'; try the likely
	// quotes: the last one (nothing appended) and the first few.
	try := func(j int) bool {
		return j >= 0 && j <= len(sql) && len(sql)-j <= end && sql[len(sql)-j:] == rem[:j]
	}
	if j := strings.LastIndexByte(rem, '"'); try(j) {
		return len(sql) - j, strings.TrimSpace(rem[j+1:])
	}
	for j, seen := 0, 0; j < len(rem) && seen < 8; j++ {
		if rem[j] == '"' {
			seen++
			if try(j) {
				return len(sql) - j, strings.TrimSpace(rem[j+1:])
			}
		}
	}
	// Fall back on the start of the token that ends at end.
	if toks, err := tokenize(sql); err == nil {
		for _, t := range toks {
			if t.end >= end {
				return t.start, ""
			}
		}
	}
	return max(end-1, 0), ""
}

// lineColOffset returns the byte offset at which TiDB's reader reports
// line and col (its columns count bytes and restart at 1 after '\n').
func lineColOffset(s string, line, col int) int {
	l, c := 1, 0
	for off := 0; off < len(s); off++ {
		if l == line && c == col {
			return off
		}
		if s[off] == '\n' {
			l++
			c = 0
		}
		c++
	}
	return len(s)
}

// tok returns token i of the statement, or a zero token out of range.
func (s *Statement) tok(i int) token {
	if i >= 0 && i < len(s.toks) {
		return s.toks[i]
	}
	return token{}
}

// tokenAt returns the index of the token containing byte off of the
// script, or of the next one, or of the last.
func (s *Statement) tokenAt(off int) int {
	for i, t := range s.toks {
		if off < t.end {
			return i
		}
	}
	return len(s.toks) - 1
}

// typo returns the token, at k or just before it, that looks like a
// misspelt keyword (FORM for FROM): TiDB often takes such a word for an
// alias and fails only on the next token.
func (s *Statement) typo(k int) (int, bool) {
	for _, i := range []int{k, k - 1} {
		if i >= 0 && s.suggest(i) != "" {
			return i, true
		}
	}
	return 0, false
}

// suggest returns the keyword token i seems a misspelling of, or "".
func (s *Statement) suggest(i int) string {
	t := s.toks[i]
	w := strings.ToUpper(t.text)
	if t.kind != tkIdent || len(w) < 3 {
		return ""
	}
	if _, kw := keywords[w]; kw {
		return ""
	}
	for _, k := range typoTargets {
		limit := 1
		if len(k) >= 6 {
			limit = 2
		}
		if d := editDistance(w, k); d > 0 && d <= limit {
			return k
		}
	}
	return ""
}

// editDistance is the optimal string alignment distance of a and b
// (insertions, deletions, substitutions and adjacent transpositions).
func editDistance(a, b string) int {
	if abs(len(a)-len(b)) > 2 {
		return 3
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
