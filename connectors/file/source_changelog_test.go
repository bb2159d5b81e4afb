package file

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/vector"
)

// A debezium-json file is read as a changelog, on one goroutine even when
// the query has several (batches of maxRows rows would part an update's
// -U from its +U): no batch ends between the two, and a restore from any
// batch's position reads exactly the rest.
func TestSourceDebeziumChangelog(t *testing.T) {
	withChunks(t, 40)
	var b strings.Builder
	var want []string
	for i := range 60 {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, `{"before":null,"after":{"id":%d,"v":"a"},"op":"c"}`+"\n", i)
			want = append(want, fmt.Sprintf("%d|a|+I", i))
		case 1:
			fmt.Fprintf(&b, `{"before":{"id":%d,"v":"a"},"after":{"id":%d,"v":"b"},"op":"u"}`+"\n", i-1, i-1)
			want = append(want, fmt.Sprintf("%d|a|-U", i-1), fmt.Sprintf("%d|b|+U", i-1))
		default:
			fmt.Fprintf(&b, `{"before":{"id":%d,"v":"b"},"op":"d"}`+"\n\n", i-2)
			want = append(want, fmt.Sprintf("%d|b|-D", i-2))
		}
	}
	path := writeFile(t, "cdc.json", b.String())
	schema := vector.WithOpColumn(arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: vector.Int64, Nullable: true}, {Name: "v", Type: vector.String, Nullable: true}}, nil))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	for _, n := range []int{1, 4} {
		for _, maxRows := range []int{1, 2, 3, 1024} {
			spec := connectors.SourceSpec{Table: "t", Schema: schema, Parallelism: n,
				Options: map[string]string{"path": path, "format": "debezium-json"}}
			var got partial
			src := openSource(t, spec, mem, &got)
			var positions [][]byte
			for {
				before := len(got.rows)
				if readBatches(t, src, maxRows, 1, &got) {
					break
				}
				if last := got.rows[len(got.rows)-1]; strings.HasSuffix(last, "|-U") {
					t.Fatalf("n=%d maxRows=%d: a batch ends with %s", n, maxRows, last)
				}
				if k := len(got.rows) - before; k > max(maxRows, 2) {
					t.Fatalf("n=%d maxRows=%d: a batch of %d rows", n, maxRows, k)
				}
				pos, err := src.Position()
				if err != nil {
					t.Fatal(err)
				}
				positions = append(positions, pos)
			}
			if !src.Schema().Equal(schema) {
				t.Fatalf("schema %s", src.Schema())
			}
			src.Close()
			if strings.Join(got.rows, ",") != strings.Join(want, ",") || len(got.bad) > 0 {
				t.Fatalf("n=%d maxRows=%d: rows %q bad %q, want %q", n, maxRows, got.rows, got.bad, want)
			}
			for k, pos := range positions {
				if k%7 != 0 {
					continue
				}
				var rest partial
				src := openSource(t, spec, mem, &rest)
				if err := src.Seek(pos); err != nil {
					t.Fatal(err)
				}
				readBatches(t, src, maxRows, -1, &rest)
				src.Close()
				if done := len(want) - len(rest.rows); strings.Join(rest.rows, ",") != strings.Join(want[done:], ",") {
					t.Fatalf("n=%d maxRows=%d: after %s: rows %q", n, maxRows, pos, rest.rows)
				}
			}
		}
	}
	mem.AssertSize(t, 0)
}
