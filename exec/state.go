package exec

import "fmt"

// StateReporter is an operator that keeps state across batches and can
// say how big it is. After every micro-batch the query asks each of its
// StateReporters for its Stats, shows them (BatchInfo.State,
// Metrics.Operators) and holds them to Query.MaxStateBytes. Stats must be
// cheap: it is called once per micro-batch, so it must not walk the keys.
type StateReporter interface {
	Operator
	// Stats reports the dropped rows and the size of the state.
	Stats() WindowStats
}

// OperatorState is the size of one stateful operator's state.
type OperatorState struct {
	// Op names the operator (OpName).
	Op string
	// Keys and Panes count the distinct keys and panes held.
	Keys, Panes int
	// Bytes estimates the state's memory.
	Bytes int64
}

// stateWarnFraction is the share of MaxStateBytes at which a query warns,
// once, that its state is getting close to the limit.
const stateWarnFraction = 0.8

// stateCheck measures the stateful operators of the back stage after a
// micro-batch and enforces the query's state limit. It runs on the back
// stage's goroutine, which owns those operators.
type stateCheck struct {
	warned bool
}

// measure returns the state of every StateReporter in ops, and their sum.
func measure(ops Pipeline) ([]OperatorState, WindowStats) {
	var per []OperatorState
	var total WindowStats
	for _, op := range ops {
		r, ok := op.(StateReporter)
		if !ok {
			continue
		}
		st := r.Stats()
		total.LateRows += st.LateRows
		total.ExpiredKeys += st.ExpiredKeys
		total.Keys += st.Keys
		total.Panes += st.Panes
		total.StateBytes += st.StateBytes
		per = append(per, OperatorState{Op: OpName(op), Keys: st.Keys, Panes: st.Panes, Bytes: st.StateBytes})
	}
	return per, total
}

// check measures the state of ops and holds it to q.MaxStateBytes, as
// checkSizes does.
func (c *stateCheck) check(q *Query, ops Pipeline) error {
	if q.MaxStateBytes <= 0 {
		return nil
	}
	for _, op := range ops {
		r, ok := op.(StateReporter)
		if !ok {
			continue
		}
		// Names are built only when there is something to say.
		if st := r.Stats(); float64(st.StateBytes) >= stateWarnFraction*float64(q.MaxStateBytes) {
			per, _ := measure(ops)
			return c.checkSizes(q, per)
		}
	}
	return nil
}

// checkSizes fails query q if an operator's state is over
// q.MaxStateBytes, and warns once, through q.Log, when one first passes
// 80% of it.
func (c *stateCheck) checkSizes(q *Query, ops []OperatorState) error {
	limit := q.MaxStateBytes
	if limit <= 0 {
		return nil
	}
	for _, o := range ops {
		if o.Bytes > limit {
			return fmt.Errorf("query %d: state of %s holds %d keys in %s, over max_state_bytes = %s: raise it with SET max_state_bytes = '%s', or bound the state (a shorter window, fewer distinct keys, or SET state_ttl = '1h' to expire idle keys)",
				q.ID, o.Op, o.Keys, FormatBytes(o.Bytes), FormatBytes(limit), sizeSetting(2*limit))
		}
	}
	if c.warned || q.Log == nil {
		return nil
	}
	for _, o := range ops {
		if float64(o.Bytes) >= stateWarnFraction*float64(limit) {
			c.warned = true
			q.Log.Warn(fmt.Sprintf("warning: query %d: state of %s holds %d keys in %s, %d%% of max_state_bytes = %s; the query fails past it",
				q.ID, o.Op, o.Keys, FormatBytes(o.Bytes), o.Bytes*100/limit, FormatBytes(limit)))
			return nil
		}
	}
	return nil
}

// FormatBytes formats a byte count for people: "512 B", "1.5 KiB",
// "1.2 GiB" (powers of 1024, one decimal at most).
func FormatBytes(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	s := fmt.Sprintf("%.1f", v)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + " " + units[i:i+1] + "iB"
}

// sizeSetting writes n as a value SET max_state_bytes takes, rounded up
// to a whole number of GiB, MiB or KiB: "2GiB".
func sizeSetting(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size {
			return fmt.Sprintf("%d%s", (n+u.size-1)/u.size, u.name)
		}
	}
	return fmt.Sprint(n)
}
