package planner

import "reflect"

// shareIdenticalSubplans makes subplans that compute the same rows one
// node, read by each of their parents, as Flink's sub-plan reuse does:
// Nexmark's q5 counts the bids of each auction in the same hopping
// windows in both sides of its join, and now counts them once.
//
// Two nodes are the same when they are of one type, read the very same
// (already shared) children, and every other field is deeply equal
// (reflect.DeepEqual: the expressions' whole trees, the aggregates, the
// windows). A field DeepEqual cannot compare (a function) makes nodes
// differ, never the same. Scans stay apart (each is a read of its own
// source), and so do nodes that call PROCTIME() (each stamps the time of
// the stage it runs on).
func shareIdenticalSubplans(root Node, _ ruleEnv) Node {
	if !shareSubplans {
		return root
	}
	done := map[Node]Node{}
	var kept []Node
	var walk func(n Node) Node
	walk = func(n Node) Node {
		if r, ok := done[n]; ok {
			return r
		}
		replaceChildren(n, walk)
		out := n
		if _, scan := n.(*Scan); !scan && !usesProcTime(n) {
			for _, k := range kept {
				if sameNode(k, n) {
					out = k
					break
				}
			}
			if out == n {
				kept = append(kept, n)
			}
		}
		done[n] = out
		return out
	}
	return walk(root)
}

// shareSubplans turns shareIdenticalSubplans on; tests compare results
// with it off.
var shareSubplans = true

var (
	nodeType  = reflect.TypeFor[Node]()
	nodesType = reflect.TypeFor[[]Node]()
)

// replaceChildren sets each child c of n (a field of type Node or []Node)
// to f(c).
func replaceChildren(n Node, f func(Node) Node) {
	v := reflect.ValueOf(n)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	forChildFields(v.Elem(), func(fv reflect.Value) {
		switch fv.Type() {
		case nodeType:
			if c, ok := fv.Interface().(Node); ok && c != nil {
				fv.Set(reflect.ValueOf(f(c)))
			}
		case nodesType:
			for i := range fv.Len() {
				fv.Index(i).Set(reflect.ValueOf(f(fv.Index(i).Interface().(Node))))
			}
		}
	})
}

// forChildFields calls f with each settable field of struct s of type
// Node or []Node.
func forChildFields(s reflect.Value, f func(reflect.Value)) {
	for i := range s.NumField() {
		fv := s.Field(i)
		if (fv.Type() == nodeType || fv.Type() == nodesType) && fv.CanSet() {
			f(fv)
		}
	}
}

// sameNode reports whether a and b compute the same rows from the same
// children (see shareIdenticalSubplans).
func sameNode(a, b Node) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Type() != vb.Type() || va.Kind() != reflect.Pointer || va.Elem().Kind() != reflect.Struct {
		return false
	}
	ca, cb := a.Children(), b.Children()
	if len(ca) != len(cb) {
		return false
	}
	for i := range ca {
		if ca[i] != cb[i] {
			return false
		}
	}
	a.Schema() // computed once and kept: both, or neither
	b.Schema()
	ea, eb := reflect.New(va.Elem().Type()).Elem(), reflect.New(vb.Elem().Type()).Elem()
	ea.Set(va.Elem())
	eb.Set(vb.Elem())
	clear := func(fv reflect.Value) { fv.Set(reflect.Zero(fv.Type())) }
	forChildFields(ea, clear)
	forChildFields(eb, clear)
	return reflect.DeepEqual(ea.Interface(), eb.Interface())
}
