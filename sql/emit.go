package sql

// The emit policies of a query's aggregates: a trailing EMIT clause, as
// RisingWave writes it, recorded on the Statement and cut from the text
// given to TiDB.
const (
	// EmitOnUpdate (EMIT ON UPDATE) makes aggregates emit their changes
	// after every micro-batch, as a changelog, bounded sources included.
	EmitOnUpdate = "ON UPDATE"
	// EmitOnWindowClose (EMIT ON WINDOW CLOSE) is the default for windows:
	// each window is emitted once, when the watermark closes it.
	EmitOnWindowClose = "ON WINDOW CLOSE"
)

// cutEmit finds a trailing EMIT ON UPDATE or EMIT ON WINDOW CLOSE in toks
// (one statement, comments removed). It returns the policy ("" if none),
// the tokens without the clause, and the clause's byte span in the script.
func cutEmit(toks []token) (policy string, rest []token, start, end int) {
	n := len(toks)
	match := func(words ...string) bool {
		if n < len(words)+1 {
			return false
		}
		for i, w := range words {
			if !toks[n-len(words)+i].kw(w) {
				return false
			}
		}
		return true
	}
	var k int
	switch {
	case match("EMIT", "ON", "UPDATE"):
		policy, k = EmitOnUpdate, 3
	case match("EMIT", "ON", "WINDOW", "CLOSE"):
		policy, k = EmitOnWindowClose, 4
	default:
		return "", toks, 0, 0
	}
	first := toks[n-k]
	return policy, toks[:n-k], first.start, toks[n-1].end
}

// checkEmit refuses an EMIT clause on a statement that is not a query.
func checkEmit(script string, toks []token, start, end int) *Error {
	switch {
	case toks[0].kw("SELECT"), toks[0].kw("INSERT"), toks[0].kw("EXPLAIN"), toks[0].kw("WITH"), toks[0].is("("):
		return nil
	}
	return errAt(script, start, end-start, "EMIT applies to a query (SELECT or INSERT INTO ... SELECT)")
}
