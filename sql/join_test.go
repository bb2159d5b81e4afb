package sql

import (
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

func TestFullJoinReachesTiDBMarked(t *testing.T) {
	for _, q := range []string{
		"SELECT * FROM a FULL OUTER JOIN b ON a.k = b.k",
		"SELECT * FROM a full join b ON a.k = b.k",
	} {
		stmts, err := Parse(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		sel := stmts[0].Node.(*ast.SelectStmt)
		j := sel.From.TableRefs
		if j.Right == nil {
			j, _ = j.Left.(*ast.Join)
		}
		if j == nil || !j.StraightJoin || j.On == nil {
			t.Fatalf("%s: rewritten to %q, not a marked join with ON", q, stmts[0].Rewritten)
		}
	}
	// A table or alias named full stays a name.
	if _, err := Parse("SELECT * FROM a AS `full` JOIN b ON `full`.k = b.k"); err != nil {
		t.Fatal(err)
	}
	_, err := Parse("SELECT * FROM a STRAIGHT_JOIN b ON a.k = b.k")
	if err == nil || !strings.Contains(err.Error(), "column 17: STRAIGHT_JOIN is not supported") {
		t.Fatalf("STRAIGHT_JOIN: %v", err)
	}
}
