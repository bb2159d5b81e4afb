package sql

// fullJoins lets TiDB's parser read FULL [OUTER] JOIN, which MySQL lacks:
// it becomes STRAIGHT_JOIN, which TiDB parses as a join with an ON
// condition and marks (ast.Join.StraightJoin); the planner plans it as a
// full outer join. MySQL's own STRAIGHT_JOIN is refused, so that the mark
// means FULL only.
func (r *rewriter) fullJoins() *Error {
	for i := 0; i < len(r.toks); i++ {
		t := r.tok(i)
		if t.kw("STRAIGHT_JOIN") {
			return r.errTok(i, "STRAIGHT_JOIN is not supported; write JOIN")
		}
		if !t.kw("FULL") || r.edited(i) {
			continue
		}
		j := i + 1
		if r.tok(j).kw("OUTER") {
			j++
		}
		if r.tok(j).kw("JOIN") {
			r.replace(i, j, "STRAIGHT_JOIN")
			i = j
		}
	}
	return nil
}
