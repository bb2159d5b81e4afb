package sql

import (
	"strings"
	"unicode"
)

// tokKind classifies a token.
type tokKind uint8

const (
	tkIdent   tokKind = iota + 1 // bare identifier or keyword
	tkQuoted                     // `backtick identifier`
	tkString                     // '...' or "..."
	tkNumber                     // 42, 1.5, .5, 1e3, 0x1F
	tkPunct                      // operators and punctuation
	tkComment                    // -- ..., # ..., /* ... */
)

// token is one lexeme of the script; start and end are byte offsets into
// the whole script, so a token always points back at what the user wrote.
type token struct {
	kind       tokKind
	start, end int
	text       string // script[start:end]
}

// is reports whether t is the punctuation p.
func (t token) is(p string) bool { return t.kind == tkPunct && t.text == p }

// kw reports whether t is the bare word w (case-insensitive).
func (t token) kw(w string) bool { return t.kind == tkIdent && strings.EqualFold(t.text, w) }

// isName reports whether t can name something: a bare or backticked identifier.
func (t token) isName() bool { return t.kind == tkIdent || t.kind == tkQuoted }

// name is the identifier t denotes, with backticks removed.
func (t token) name() string {
	if t.kind == tkQuoted {
		return strings.ReplaceAll(t.text[1:len(t.text)-1], "``", "`")
	}
	return t.text
}

// multi lists the operators of more than one byte, longest first.
var multi = []string{"<=>", "->>", "<=", ">=", "<>", "!=", ":=", "||", "&&", "<<", ">>", "->"}

// tokenize splits script into tokens, comments included. It reports an
// unterminated string, quoted identifier or comment as a positioned *Error.
func tokenize(script string) ([]token, *Error) {
	var toks []token
	i, n := 0, len(script)
	add := func(k tokKind, s, e int) { toks = append(toks, token{kind: k, start: s, end: e, text: script[s:e]}) }
	for i < n {
		c := script[i]
		switch {
		case isSpaceByte(c):
			i++
		case c == '\'' || c == '"':
			e := scanString(script, i)
			if e < 0 {
				return nil, unterminated(script, i, "unterminated string")
			}
			add(tkString, i, e)
			i = e
		case c == '`':
			e := scanBacktick(script, i)
			if e < 0 {
				return nil, unterminated(script, i, "unterminated quoted identifier")
			}
			add(tkQuoted, i, e)
			i = e
		case c == '#' || isDashComment(script, i):
			e := strings.IndexByte(script[i:], '\n')
			if e < 0 {
				e = n
			} else {
				e += i
			}
			add(tkComment, i, e)
			i = e
		case c == '/' && i+1 < n && script[i+1] == '*':
			e := strings.Index(script[i+2:], "*/")
			if e < 0 {
				return nil, unterminated(script, i, "unterminated comment")
			}
			e += i + 4
			add(tkComment, i, e)
			i = e
		case isDigit(c) || (c == '.' && i+1 < n && isDigit(script[i+1])):
			e := scanNumber(script, i)
			k := tkNumber
			if e < n && isIdentByte(script[e]) { // MySQL allows names such as 1st_col
				k = tkIdent
				for e < n && isIdentByte(script[e]) {
					e++
				}
			}
			add(k, i, e)
			i = e
		case isIdentByte(c):
			e := i + 1
			for e < n && isIdentByte(script[e]) {
				e++
			}
			add(tkIdent, i, e)
			i = e
		default:
			l := 1
			for _, m := range multi {
				if strings.HasPrefix(script[i:], m) {
					l = len(m)
					break
				}
			}
			add(tkPunct, i, i+l)
			i += l
		}
	}
	return toks, nil
}

// unterminated reports an unclosed quote or comment opened at off,
// underlining from the opener to the end of its line.
func unterminated(script string, off int, msg string) *Error {
	n := strings.IndexByte(script[off:], '\n')
	if n < 0 {
		n = len(script) - off
	}
	return errAt(script, off, n, msg)
}

// scanString returns the end of the string literal opened at i, or -1.
// Both backslash escapes and doubled quotes are honoured, as in MySQL.
func scanString(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return -1
}

// scanBacktick returns the end of the quoted identifier opened at i, or -1.
func scanBacktick(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] == '`' {
			if j+1 < len(s) && s[j+1] == '`' {
				j++
				continue
			}
			return j + 1
		}
	}
	return -1
}

// scanNumber returns the end of the number starting at i.
func scanNumber(s string, i int) int {
	n := len(s)
	if s[i] == '0' && i+2 < n && (s[i+1] == 'x' || s[i+1] == 'X' || s[i+1] == 'b' || s[i+1] == 'B') {
		j := i + 2
		for j < n && isHexDigit(s[j]) {
			j++
		}
		if j > i+2 {
			return j
		}
	}
	j := i
	for j < n && isDigit(s[j]) {
		j++
	}
	if j < n && s[j] == '.' {
		j++
		for j < n && isDigit(s[j]) {
			j++
		}
	}
	if j < n && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < n && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < n && isDigit(s[k]) {
			for k < n && isDigit(s[k]) {
				k++
			}
			j = k
		}
	}
	return j
}

// isDashComment reports whether a "-- " comment starts at i. Like MySQL
// (and TiDB), "--" only opens a comment when followed by a space or the end.
func isDashComment(s string, i int) bool {
	if !strings.HasPrefix(s[i:], "--") {
		return false
	}
	return i+2 == len(s) || unicode.IsSpace(rune(s[i+2]))
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// isIdentByte reports whether c may appear in a bare identifier; bytes of
// multi-byte UTF-8 sequences count, as MySQL allows non-ASCII names.
func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

// unquote returns the value of a string literal token.
func unquote(lit string) string {
	if len(lit) < 2 {
		return lit
	}
	q := lit[0]
	body := lit[1 : len(lit)-1]
	if !strings.ContainsRune(body, '\\') && !strings.Contains(body, string([]byte{q, q})) {
		return body
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\' && i+1 < len(body):
			i++
			switch body[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case 'Z':
				b.WriteByte(26)
			case 'b':
				b.WriteByte('\b')
			default:
				b.WriteByte(body[i])
			}
		case c == q && i+1 < len(body) && body[i+1] == q:
			i++
			b.WriteByte(q)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
