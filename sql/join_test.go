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

func TestTemporalJoinMarksTheTable(t *testing.T) {
	q := "SELECT * FROM (SELECT *, PROCTIME() AS p_time FROM bid) B JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S ON mod(B.auction, 10000) = S.key"
	stmts, err := Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	j := stmts[0].Node.(*ast.SelectStmt).From.TableRefs
	if j.Right == nil {
		j, _ = j.Left.(*ast.Join)
	}
	ts, _ := j.Right.(*ast.TableSource)
	tn, _ := ts.Source.(*ast.TableName)
	if tn == nil || len(tn.PartitionNames) != 1 || tn.PartitionNames[0].O != LookupPartition || ts.AsName.O != "S" {
		t.Fatalf("rewritten to %q: the table is not marked", stmts[0].Rewritten)
	}
	_, err = Parse("SELECT * FROM a JOIN b FOR SYSTEM_TIME AS OF ON a.k = b.k")
	if err == nil || !strings.Contains(err.Error(), "FOR SYSTEM_TIME AS OF needs a time column") {
		t.Fatalf("no time column: %v", err)
	}
}
