package planner

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestExplainGraph: EXPLAIN's physical plan as nodes and edges, sources
// first, the sink last; a self-join reads its table once.
func TestExplainGraph(t *testing.T) {
	p, _ := buildQuery(t, "SELECT s, COUNT(*) AS n FROM t WHERE a > 0 GROUP BY s;")
	g := p.Graph()
	var labels []string
	for i, n := range g.Nodes {
		if n.ID != i {
			t.Errorf("node %d has id %d", i, n.ID)
		}
		labels = append(labels, n.Label)
	}
	if len(g.Nodes) < 3 || !strings.HasPrefix(labels[0], "Source t (connector=file") || labels[len(labels)-1] != "ConsoleSink" {
		t.Fatalf("labels %q", labels)
	}
	// Each label is a line of EXPLAIN's physical plan.
	explain := p.Explain()
	for _, l := range labels[1 : len(labels)-1] {
		if !strings.Contains(explain, l) {
			t.Errorf("label %q is not in EXPLAIN:\n%s", l, explain)
		}
	}
	var chain [][2]int
	for i := 1; i < len(g.Nodes); i++ {
		chain = append(chain, [2]int{i - 1, i})
	}
	if !slices.Equal(g.Edges, chain) {
		t.Errorf("edges %v, want the chain %v", g.Edges, chain)
	}
	stateful := 0
	for _, n := range g.Nodes {
		if n.Stateful {
			stateful++
		}
	}
	if stateful != 1 || p.Updating() || !slices.Equal(p.ResultKey(), []string{"s"}) {
		t.Errorf("stateful %d, updating %v, key %v", stateful, p.Updating(), p.ResultKey())
	}
	if b, _ := json.Marshal(g.Nodes[0]); !strings.HasPrefix(string(b), `{"id":0,"label":"Source t`) {
		t.Errorf("node JSON %s", b)
	}

	p, _ = buildQuery(t, "SELECT x.a, y.s FROM t AS x JOIN t AS y ON x.a = y.a;")
	g = p.Graph()
	into := map[int]int{}
	for _, e := range g.Edges {
		into[e[1]]++
	}
	sink := len(g.Nodes) - 1
	if g.Nodes[sink].Label != "ConsoleSink" || into[sink] != 1 || p.Updating() {
		t.Errorf("join graph %+v", g)
	}
	joins := 0
	for i, n := range g.Nodes {
		if strings.Contains(n.Label, "Join") {
			joins++
			if into[i] != 2 {
				t.Errorf("join node %d has %d inputs", i, into[i])
			}
		}
	}
	if joins != 1 {
		t.Errorf("%d join nodes in %+v", joins, g)
	}
}
