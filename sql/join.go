package sql

// LookupPartition marks a table read FOR SYSTEM_TIME AS OF (Flink's
// temporal join): the bridge passes `t FOR SYSTEM_TIME AS OF b.p_time AS
// s` to TiDB as `t PARTITION (weir_lookup) AS s`, which TiDB parses into
// ast.TableName.PartitionNames, and the planner plans a lookup join.
const LookupPartition = "weir_lookup"

// temporalJoins rewrites FOR SYSTEM_TIME AS OF <column> after a table
// name into the LookupPartition mark.
func (r *rewriter) temporalJoins() *Error {
	for i := 0; i < len(r.toks); i++ {
		if !r.tok(i).kw("FOR") || !r.tok(i+1).kw("SYSTEM_TIME") || r.edited(i) {
			continue
		}
		if !r.tok(i+2).kw("AS") || !r.tok(i+3).kw("OF") {
			return r.errTok(i+1, "expected FOR SYSTEM_TIME AS OF <time column>")
		}
		k := i + 4
		if t := r.tok(k); !t.isName() || t.kw("ON") || t.kw("AS") || t.kw("WHERE") || t.kw("JOIN") {
			return r.errTok(k, "FOR SYSTEM_TIME AS OF needs a time column, such as b.proc_time")
		}
		for r.tok(k+1).is(".") && r.tok(k+2).isName() {
			k += 2
		}
		r.replace(i, k, "PARTITION ("+LookupPartition+")")
		i = k
	}
	return nil
}

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
