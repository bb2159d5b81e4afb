package sql

// ErrorAt builds an *Error at byte offset off of the whole script this
// statement came from, spanning n bytes; the planner uses it for semantic
// errors found after parsing.
func (s *Statement) ErrorAt(off, n int, format string, args ...any) *Error {
	return ErrorAt(s.script, off, n, format, args...)
}
