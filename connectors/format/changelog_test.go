package format

import (
	"bytes"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// changelogBatch is an updating stream's batch: an insert, an update
// pair, a delete, and a -U without its +U.
func changelogBatch(mem memory.Allocator) arrow.RecordBatch {
	schema := vector.WithOpColumn(schemaOf("word VARCHAR", "n BIGINT"))
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"a", "a", "a", "b", "c"}, nil)
	b.Field(1).(*array.Int64Builder).AppendValues([]int64{1, 1, 2, 5, 3}, []bool{true, true, true, true, false})
	k := []vector.RowKind{vector.Insert, vector.UpdateBefore, vector.UpdateAfter, vector.Delete, vector.UpdateBefore}
	for _, x := range k {
		b.Field(2).(*array.Int8Builder).Append(int8(x))
	}
	return b.NewRecordBatch()
}

func encodeAll(t *testing.T, format string, batch arrow.RecordBatch, opts map[string]string) string {
	t.Helper()
	var out bytes.Buffer
	enc, err := NewEncoder(format, batch.Schema(), &out, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode(batch); err != nil {
		t.Fatal(err)
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestChangelogEncoders(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	batch := changelogBatch(mem)
	defer batch.Release()
	for _, tc := range []struct{ format, want string }{
		{"json", `{"_op":"+I","word":"a","n":1}
{"_op":"-U","word":"a","n":1}
{"_op":"+U","word":"a","n":2}
{"_op":"-D","word":"b","n":5}
{"_op":"-U","word":"c","n":null}
`},
		{"csv", `_op,word,n
+I,a,1
-U,a,1
+U,a,2
-D,b,5
-U,c,
`},
		{"debezium-json", `{"before":null,"after":{"word":"a","n":1},"op":"c"}
{"before":{"word":"a","n":1},"after":{"word":"a","n":2},"op":"u"}
{"before":{"word":"b","n":5},"after":null,"op":"d"}
{"before":{"word":"c","n":null},"after":null,"op":"d"}
`},
	} {
		if got := encodeAll(t, tc.format, batch, nil); got != tc.want {
			t.Errorf("%s:\ngot  %q\nwant %q", tc.format, got, tc.want)
		}
	}
	if _, err := NewEncoder("text", batch.Schema(), &bytes.Buffer{}, nil); err == nil || !strings.Contains(err.Error(), "debezium-json") {
		t.Errorf("text of a changelog: err = %v", err)
	}
}

func TestChangelogEncodersAppendOnly(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	full := changelogBatch(mem)
	defer full.Release()
	batch := array.NewRecordBatch(vector.WithoutOpColumn(full.Schema()), full.Columns()[:2], 2)
	defer batch.Release()
	if got, want := encodeAll(t, "json", batch, nil), "{\"word\":\"a\",\"n\":1}\n{\"word\":\"a\",\"n\":1}\n"; got != want {
		t.Errorf("json without changelog: got %q, want %q", got, want)
	}
	on := map[string]string{"changelog": "true"}
	if got, want := encodeAll(t, "json", batch, on), "{\"_op\":\"+I\",\"word\":\"a\",\"n\":1}\n{\"_op\":\"+I\",\"word\":\"a\",\"n\":1}\n"; got != want {
		t.Errorf("json with changelog: got %q, want %q", got, want)
	}
	if got, want := encodeAll(t, "debezium-json", batch, nil), "{\"before\":null,\"after\":{\"word\":\"a\",\"n\":1},\"op\":\"c\"}\n"+
		"{\"before\":null,\"after\":{\"word\":\"a\",\"n\":1},\"op\":\"c\"}\n"; got != want {
		t.Errorf("debezium-json: got %q, want %q", got, want)
	}
	if _, err := NewEncoder("json", batch.Schema(), &bytes.Buffer{}, map[string]string{"changelog": "yes"}); err == nil ||
		err.Error() != `option changelog: want 'true' or 'false', got "yes"` {
		t.Errorf("changelog = 'yes': err = %v", err)
	}
}

func TestOpText(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	batch := changelogBatch(mem)
	defer batch.Release()
	b := OpText(batch, 1)
	defer b.Release()
	if got, want := b.Schema().String(), OpTextSchema(batch.Schema(), 1).String(); got != want {
		t.Fatalf("schema %s, want %s", got, want)
	}
	var names []string
	for _, f := range b.Schema().Fields() {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "word,_op,n" {
		t.Errorf("columns %s", got)
	}
	if got := b.Column(1).(*array.String).Value(4); got != "-U" {
		t.Errorf("row 4's kind %q", got)
	}
}
