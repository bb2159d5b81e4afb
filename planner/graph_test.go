package planner

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/file"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/sql"
)

// buildQuery plans and builds the last statement of script over a file
// table t (columns a BIGINT, s VARCHAR) holding two rows.
func buildQuery(t *testing.T, script string) (*Prepared, *exec.Query) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "t.csv")
	if err := os.WriteFile(path, []byte("a,s\n1,x\n2,y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := connectors.NewRegistry()
	reg.RegisterSource("file", file.NewSource, file.SourceConfig())
	sess := NewSession(reg)
	stmts, err := sql.Parse("CREATE TABLE t (a BIGINT, s VARCHAR) WITH (connector = 'file', path = '" + path + "', format = 'csv');" + script)
	if err != nil {
		t.Fatal(err)
	}
	var res *Result
	for _, st := range stmts {
		if res, err = sess.Execute(st); err != nil {
			t.Fatal(err)
		}
	}
	q, err := res.Query.Build(&discardSink{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, in := range q.Graph.Inputs {
			in.Source.Close()
		}
		for _, n := range q.Graph.Nodes {
			n.Op.Close()
		}
	})
	return res.Query, q
}

type discardSink struct{}

func (discardSink) Write(b arrow.RecordBatch) error { b.Release(); return nil }
func (discardSink) Commit(int64) error              { return nil }
func (discardSink) Close() error                    { return nil }

// TestBuildLinearGraph: a linear query fills Graph and, for today's
// runner, Input and Pipeline with the same source and operators.
func TestBuildLinearGraph(t *testing.T) {
	_, q := buildQuery(t, "SELECT a + 1 AS b FROM t WHERE s = 'x'")
	g := q.Graph
	if len(g.Inputs) != 1 || len(g.Nodes) != 2 || len(q.Pipeline) != 2 {
		t.Fatalf("inputs %d, nodes %d, pipeline %d; want 1, 2, 2", len(g.Inputs), len(g.Nodes), len(q.Pipeline))
	}
	if q.Input.Source != g.Inputs[0].Source {
		t.Error("Query.Input is not the graph's input")
	}
	want := [][]exec.Port{{exec.FromInput(0)}, {exec.FromNode(0)}}
	for i, n := range g.Nodes {
		if n.Op != q.Pipeline[i] || len(n.From) != 1 || n.From[0] != want[i][0] {
			t.Errorf("node %d: from %v, want %v (same operator as the pipeline: %v)", i, n.From, want[i], n.Op == q.Pipeline[i])
		}
	}
	if g.Output != exec.FromNode(1) {
		t.Errorf("output %v, want node 1", g.Output)
	}
}

// TestBuildSharedGraph: a view read by both branches of a UNION ALL is
// lowered once, its table opened once; the union reads both branches.
func TestBuildSharedGraph(t *testing.T) {
	p, q := buildQuery(t, "CREATE VIEW v AS SELECT a * 2 AS d FROM t WHERE a > 0; SELECT d FROM v UNION ALL SELECT d + 1 AS d FROM v WHERE d > 2")
	g := q.Graph
	if len(g.Inputs) != 1 {
		t.Fatalf("%d inputs, want the table opened once", len(g.Inputs))
	}
	if q.Pipeline != nil {
		t.Error("a graph query filled the linear Pipeline")
	}
	// Filter, Project (the view), Filter and Project (branch 2), Union.
	var union *exec.GraphNode
	uses := map[exec.Port]int{}
	for i := range g.Nodes {
		for _, f := range g.Nodes[i].From {
			uses[f]++
		}
		if _, ok := g.Nodes[i].Op.(exec.MultiInput); ok {
			union = &g.Nodes[i]
		}
	}
	if union == nil || len(union.From) != 2 {
		t.Fatalf("no two-input union in the graph:\n%s", p.Explain())
	}
	if len(g.Nodes) != 5 {
		t.Errorf("%d nodes, want 5:\n%s", len(g.Nodes), p.Explain())
	}
	view := union.From[0]
	if uses[view] != 2 {
		t.Errorf("the view's last operator feeds %d nodes, want 2 (the union and the second branch)", uses[view])
	}
	if g.Output != exec.FromNode(len(g.Nodes)-1) || g.Nodes[len(g.Nodes)-1].Op != union.Op {
		t.Errorf("the output is %v, not the union", g.Output)
	}
}

// TestProcTimeTravelsWithTheBatch: operators that evaluate PROCTIME()
// are given their micro-batch's time by the stage that runs them (they
// are exec.ProcTimeSetters), before and after an aggregation; the query
// has no shared processing-time cell a stage could overwrite.
func TestProcTimeTravelsWithTheBatch(t *testing.T) {
	_, q := buildQuery(t, "SELECT s, PROCTIME() AS seen, COUNT(*) AS n FROM t WHERE PROCTIME() IS NOT NULL GROUP BY s")
	if q.ProcTime != nil {
		t.Errorf("the query has a shared ProcTime cell")
	}
	var setters []string
	for _, n := range q.Graph.Nodes {
		if _, ok := n.Op.(exec.ProcTimeSetter); ok {
			setters = append(setters, exec.OpName(n.Op))
		}
	}
	if len(setters) != 2 {
		t.Errorf("operators given the batch time: %q, want the filter and the projection after the aggregate", setters)
	}
}
