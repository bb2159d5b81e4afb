package planner

import "github.com/weirdb/weir/vector"

// GraphNode is one box of a query's EXPLAIN graph: a source, an operator
// or the sink.
type GraphNode struct {
	// ID numbers the node within its graph from 0: sources first, then
	// operators in topological order, then the sink.
	ID int `json:"id"`
	// Label is the node's line in EXPLAIN's physical plan.
	Label string `json:"label"`
	// Stateful is set for operators that keep state.
	Stateful bool `json:"stateful"`
}

// ExplainGraph is EXPLAIN's physical plan as data, for drawing: its
// nodes and the edges [from, to] between them, by node ID.
type ExplainGraph struct {
	Nodes []GraphNode `json:"nodes"`
	Edges [][2]int    `json:"edges"`
}

// Graph returns the query's physical plan as nodes and edges: one node
// per source, per operator and for the sink, labelled as EXPLAIN does.
func (p *Prepared) Graph() ExplainGraph {
	g := ExplainGraph{Nodes: []GraphNode{}, Edges: [][2]int{}}
	nodes, scans := p.graphOrder()
	onSource := p.onSourceWorkers()
	ids := map[Node]int{}
	for _, s := range scans {
		ids[s] = len(g.Nodes)
		g.Nodes = append(g.Nodes, GraphNode{ID: ids[s], Label: scanDesc(s)})
	}
	for _, n := range nodes {
		ids[n] = len(g.Nodes)
		g.Nodes = append(g.Nodes, GraphNode{ID: ids[n], Label: physName(n) + onSource[n], Stateful: isStateful(n)})
		for _, c := range n.Children() {
			g.Edges = append(g.Edges, [2]int{ids[c], ids[n]})
		}
	}
	sink := GraphNode{ID: len(g.Nodes), Label: "ConsoleSink"}
	if p.Into != nil {
		sink.Label = p.sinkDesc()
	}
	g.Nodes = append(g.Nodes, sink)
	g.Edges = append(g.Edges, [2]int{ids[p.Plan], sink.ID})
	return g
}

// Updating reports whether the query's output is a changelog (updating)
// rather than append-only.
func (p *Prepared) Updating() bool { return p.Plan.Updating() }

// ResultKey names the output columns that identify a row of the query's
// result: the sink table's key for INSERT INTO (see sinkKey), else the
// query's own key (a GROUP BY's keys and window bounds). It is nil when
// no key is known; then a row is identified by all its columns.
func (p *Prepared) ResultKey() []string {
	if p.Into != nil {
		return sinkKey(p.Into, p.Plan)
	}
	cols := resultKey(p.Plan)
	if len(cols) == 0 {
		return nil
	}
	out := vector.WithoutOpColumn(p.Plan.Schema())
	key := make([]string, len(cols))
	for i, c := range cols {
		key[i] = out.Field(c).Name
	}
	return key
}
