package planner_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/exec"
)

// TestLookupJoinRereadsChangedFile: a live stream joined with a file
// table looks its rows up in the file, read again after a micro-batch
// when the file changed.
func TestLookupJoinRereadsChangedFile(t *testing.T) {
	sess := updSession(t)
	p := updPrepare(t, sess, "SELECT s.k, s.v, f.v FROM s JOIN f ON f.k = s.k")
	if !strings.Contains(p.Explain(), "LookupJoinOp INNER f (connector=file") {
		t.Fatalf("a live stream joined with a file table is not a lookup join:\n%s", p.Explain())
	}
	q, err := p.Build(&captureSink{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Input.Source.Close()
	defer q.Pipeline.Close()
	i := slices.IndexFunc(q.Pipeline, func(op exec.Operator) bool { _, ok := op.(*exec.LookupJoin); return ok })
	if i < 0 {
		t.Fatalf("no lookup join in %v", q.Pipeline)
	}
	lj := q.Pipeline[i].(*exec.LookupJoin)
	probe := func() string {
		in := arrow.NewSchema(lj.Schema().Fields()[:2], nil)
		sb := array.NewRecordBuilder(memory.DefaultAllocator, in)
		defer sb.Release()
		sb.Field(0).(*array.StringBuilder).Append("a")
		sb.Field(1).(*array.Int64Builder).Append(7)
		out, err := lj.Process(sb.NewRecordBatch())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range out {
			for r := 0; r < int(o.NumRows()); r++ {
				got = append(got, o.Column(3).ValueStr(r))
			}
			o.Release()
		}
		return strings.Join(got, ",")
	}
	if got := probe(); got != "1" {
		t.Fatalf("first lookup gave %q, want 1", got)
	}
	path := sess.Catalog.Lookup("f").Options["path"]
	if err := os.WriteFile(path, []byte("k,v\na,10\na,20\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := probe(); got != "1" {
		t.Fatalf("within the micro-batch: %q, want the table as read (1)", got)
	}
	if _, err := lj.Advance(0); err != nil {
		t.Fatal(err)
	}
	if got := probe(); got != "10,20" {
		t.Fatalf("after the file changed: %q, want 10,20", got)
	}
}
