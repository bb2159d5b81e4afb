package main

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/weirdb/weir/sql"
)

// shellInput collects the lines typed (or piped) into the shell and cuts
// them into statements at each ';' outside quotes and comments. Its
// lexical rules are those of package sql's tokenizer: '...' and "..."
// strings with backslash escapes and doubled quotes, `...` identifiers
// with doubled backticks, "-- " and "#" comments to the end of the line,
// and /* ... */ comments.
type shellInput struct {
	all   strings.Builder // every line so far, each ending in '\n'
	start int             // byte offset in all of the text not yet cut
}

// add appends a line (without its line ending).
func (in *shellInput) add(line string) {
	in.all.WriteString(line)
	in.all.WriteByte('\n')
}

// text returns all[off:end].
func (in *shellInput) text(off, end int) string { return in.all.String()[off:end] }

// next cuts the first complete statement from the pending text: it
// returns the byte range all[off:end] from its first non-blank byte
// through its ';', or ok false if no ';' ends a statement yet.
func (in *shellInput) next() (off, end int, ok bool) {
	s := in.all.String()[in.start:]
	semi, _, _ := scanSQL(s)
	if semi < 0 {
		return 0, 0, false
	}
	off = in.start + leadingBlanks(s)
	end = in.start + semi + 1
	in.start = end
	return off, end, true
}

// rest cuts whatever is pending, ended by the end of input instead of a
// ';'; ok is false if nothing but blanks and comments is left.
func (in *shellInput) rest() (off, end int, ok bool) {
	if !in.pending() {
		return 0, 0, false
	}
	s := in.all.String()[in.start:]
	off, end = in.start+leadingBlanks(s), in.start+len(strings.TrimRight(s, " \t\r\n"))
	in.start = in.all.Len()
	return off, end, true
}

// pending reports whether the text not yet cut holds more than blanks and
// comments: a statement still being typed.
func (in *shellInput) pending() bool {
	_, content, open := scanSQL(in.all.String()[in.start:])
	return content || open
}

// discard drops the pending text (Ctrl-C, or nothing but comments).
func (in *shellInput) discard() { in.start = in.all.Len() }

// position returns the 1-based line and column (in runes) of byte off.
func (in *shellInput) position(off int) (line, col int) {
	s := in.all.String()[:off]
	nl := strings.LastIndexByte(s, '\n')
	return strings.Count(s, "\n") + 1, utf8.RuneCountInString(s[nl+1:]) + 1
}

// relocate moves a positioned error found in all[off:...] parsed on its
// own so that it points into the whole input.
func (in *shellInput) relocate(err error, off int) error {
	var se *sql.Error
	if !errors.As(err, &se) {
		return err
	}
	line, col := in.position(off)
	e := *se
	if e.Line == 1 {
		e.Column += col - 1
	}
	e.Line += line - 1
	e.Source = in.all.String()
	return &e
}

func leadingBlanks(s string) int { return len(s) - len(strings.TrimLeft(s, " \t\r\n\f\v")) }

// scanSQL finds the first ';' of s outside quotes and comments. semi is
// its byte offset, or -1. content reports whether anything but blanks and
// comments comes before it (or in all of s, without one); open reports
// that s ends inside a string, quoted identifier or block comment.
func scanSQL(s string) (semi int, content, open bool) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == ';':
			return i, content, false
		case c == '\'' || c == '"' || c == '`':
			content = true
			e := skipQuoted(s, i)
			if e < 0 {
				return -1, true, true
			}
			i = e
		case c == '#' || (c == '-' && strings.HasPrefix(s[i:], "--") && (i+2 == len(s) || isBlankByte(s[i+2]))):
			e := strings.IndexByte(s[i:], '\n')
			if e < 0 {
				return -1, content, false
			}
			i += e + 1
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			e := strings.Index(s[i+2:], "*/")
			if e < 0 {
				return -1, content, true
			}
			i += e + 4
		default:
			content = true
			i++
		}
	}
	return -1, content, false
}

func isBlankByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// skipQuoted returns the end of the string or quoted identifier opened at
// i, or -1 if it is not closed. Strings honour backslash escapes; all
// three quotes may be doubled inside.
func skipQuoted(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if q != '`' {
				j++
			}
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
