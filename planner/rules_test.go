package planner

import (
	"testing"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/file"
	"github.com/weirdb/weir/sql"
)

// TestRuleChangingSchemaIsAnError: a rewrite rule that changes the
// query's columns (a planner bug) fails the statement instead of
// panicking.
func TestRuleChangingSchemaIsAnError(t *testing.T) {
	saved := rules
	defer func() { rules = saved }()
	rules = []rule{{"drop_everything", func(root Node, _ ruleEnv) Node {
		return &Project{In: root, Names: nil}
	}}}
	reg := connectors.NewRegistry()
	reg.RegisterSource("file", file.NewSource)
	sess := NewSession(reg)
	stmts, err := sql.Parse("CREATE TABLE t (a BIGINT, s VARCHAR) WITH (connector = 'file', path = 'x.csv', format = 'csv'); SELECT a, s FROM t;")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Execute(stmts[0]); err != nil {
		t.Fatal(err)
	}
	_, err = sess.Execute(stmts[1])
	want := "internal error: planner rule drop_everything changed the query's columns from (a BIGINT, s VARCHAR) to ()"
	if err == nil || err.Error() != want {
		t.Errorf("Execute = %v, want %s", err, want)
	}
}
