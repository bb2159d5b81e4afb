package sql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is a user's mistake with its position in the original script.
type Error struct {
	// Msg says what is wrong, on one line and without the position,
	// e.g. `syntax error near "FORM clicks"` or `unknown column "usr"`.
	Msg string
	// Line and Column are 1-based; Column counts characters (runes) of
	// the original script, not bytes.
	Line, Column int
	// Length is how many characters to underline (at least 1).
	Length int
	// Source is the whole original script, for rendering.
	Source string
}

// Error returns "line L, column C: Msg".
func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Pretty returns Error() followed by the offending source line and a
// line of carets under the offending text:
//
//	line 3, column 16: syntax error near "FORM clicks": did you mean FROM?
//	SELECT user_id FORM clicks
//	               ^^^^
func (e *Error) Pretty() string {
	line := sourceLine(e.Source, e.Line)
	var b strings.Builder
	b.WriteString(e.Error())
	b.WriteByte('\n')
	b.WriteString(line)
	b.WriteByte('\n')
	col := 1
	for _, r := range line {
		if col >= e.Column {
			break
		}
		if r == '\t' {
			b.WriteByte('\t') // keep the caret aligned under tabs
		} else {
			b.WriteByte(' ')
		}
		col++
	}
	for ; col < e.Column; col++ {
		b.WriteByte(' ')
	}
	b.WriteString(strings.Repeat("^", max(1, e.Length)))
	return b.String()
}

// sourceLine returns the 1-based line n of s without its line ending.
func sourceLine(s string, n int) string {
	for i := 1; i < n; i++ {
		j := strings.IndexByte(s, '\n')
		if j < 0 {
			return ""
		}
		s = s[j+1:]
	}
	if j := strings.IndexByte(s, '\n'); j >= 0 {
		s = s[:j]
	}
	return strings.TrimSuffix(s, "\r")
}

// ErrorAt builds an *Error for a problem found after parsing (by the
// planner, say) at byte offset off of script spanning n bytes; offsets
// usually come from Statement.Offset or Statement.Locate. The message is
// fmt.Sprintf(format, args...).
func ErrorAt(script string, off, n int, format string, args ...any) *Error {
	return errAt(script, off, n, fmt.Sprintf(format, args...))
}

// errAt is ErrorAt with a ready message. The underline stops at the end
// of the line the span starts on.
func errAt(script string, off, n int, msg string) *Error {
	off = min(max(off, 0), len(script))
	for off > 0 && off < len(script) && !utf8.RuneStart(script[off]) {
		off-- // never start in the middle of a character
	}
	n = min(max(n, 0), len(script)-off)
	lineStart := strings.LastIndexByte(script[:off], '\n') + 1
	span := script[off : off+n]
	if j := strings.IndexByte(span, '\n'); j >= 0 {
		span = span[:j]
	}
	span = strings.TrimSuffix(span, "\r")
	return &Error{
		Msg:    oneLine(msg),
		Line:   strings.Count(script[:off], "\n") + 1,
		Column: utf8.RuneCountInString(script[lineStart:off]) + 1,
		Length: max(1, utf8.RuneCountInString(span)),
		Source: script,
	}
}

// oneLine folds line breaks so that a message stays on one line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// snippet quotes user text for a message: its first line, trimmed and
// shortened to about 40 characters.
func snippet(s string) string {
	if j := strings.IndexAny(s, "\r\n"); j >= 0 {
		s = s[:j]
	}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > 40 {
		r := []rune(s)
		s = string(r[:40]) + "..."
	}
	return fmt.Sprintf("%q", s)
}
