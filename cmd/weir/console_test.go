package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/vector"
)

// countSchema is the schema of a word count's rows, without the op column.
var countSchema = arrow.NewSchema([]arrow.Field{
	{Name: "word", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// countRows builds a batch of schema (countSchema, with or without the op
// column) from words, counts and, for a changelog, kinds.
func countRows(schema *arrow.Schema, words []string, ns []int64, kinds ...vector.RowKind) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues(words, nil)
	b.Field(1).(*array.Int64Builder).AppendValues(ns, nil)
	for _, k := range kinds {
		b.Field(2).(*array.Int8Builder).Append(int8(k))
	}
	return b.NewRecordBatch()
}

// printConsole writes two batches of a word count to a console sink of
// fmtName, labelled with query (0: none), and returns what it printed.
func printConsole(t *testing.T, fmtName string, updating bool, query int) string {
	t.Helper()
	schema := countSchema
	if updating {
		schema = vector.WithOpColumn(countSchema)
	}
	var out bytes.Buffer
	s, err := newConsoleSink(&out, fmtName, schema, 0)
	if err != nil {
		t.Fatal(err)
	}
	if query != 0 {
		if err := s.tagQuery(query); err != nil {
			t.Fatal(err)
		}
	}
	batches := [][]arrow.RecordBatch{
		{countRows(countSchema, []string{"a", "b"}, []int64{1, 1})},
		{countRows(countSchema, []string{"a"}, []int64{2})},
	}
	if updating {
		batches = [][]arrow.RecordBatch{
			{countRows(schema, []string{"a", "b"}, []int64{1, 1}, vector.Insert, vector.Insert)},
			{countRows(schema, []string{"a", "a", "b"}, []int64{1, 2, 1}, vector.UpdateBefore, vector.UpdateAfter, vector.Delete)},
		}
	}
	for i, bs := range batches {
		for _, b := range bs {
			if err := s.Write(b); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.endBatch(exec.BatchInfo{Seq: int64(i + 1), Time: time.UnixMilli(1704067200000 + int64(i)*1000)}); err != nil {
			t.Fatal(err)
		}
	}
	return out.String()
}

// TestConsoleChangelog: an updating query shows each row's kind first, in
// every format; an append-only query's output has no kind.
func TestConsoleChangelog(t *testing.T) {
	for _, tc := range []struct {
		format   string
		updating bool
		query    int
		want     string
	}{
		{"jsonl", true, 0, `{"_op":"+I","word":"a","n":1}
{"_op":"+I","word":"b","n":1}
{"_op":"-U","word":"a","n":1}
{"_op":"+U","word":"a","n":2}
{"_op":"-D","word":"b","n":1}
`},
		{"jsonl", true, 2, `{"_query":2,"_op":"+I","word":"a","n":1}
{"_query":2,"_op":"+I","word":"b","n":1}
{"_query":2,"_op":"-U","word":"a","n":1}
{"_query":2,"_op":"+U","word":"a","n":2}
{"_query":2,"_op":"-D","word":"b","n":1}
`},
		{"csv", true, 0, `_op,word,n
+I,a,1
+I,b,1
-U,a,1
+U,a,2
-D,b,1
`},
		{"csv", true, 3, `_query,_op,word,n
3,+I,a,1
3,+I,b,1
3,-U,a,1
3,+U,a,2
3,-D,b,1
`},
		{"table", true, 0, `-------------------------------------------
Batch 1: 2024-01-01 00:00:00.000 UTC
-------------------------------------------
┌────┬──────┬───┐
│ op │ word │ n │
├────┼──────┼───┤
│ +I │ a    │ 1 │
│ +I │ b    │ 1 │
└────┴──────┴───┘
-------------------------------------------
Batch 2: 2024-01-01 00:00:01.000 UTC
-------------------------------------------
┌────┬──────┬───┐
│ op │ word │ n │
├────┼──────┼───┤
│ -U │ a    │ 1 │
│ +U │ a    │ 2 │
│ -D │ b    │ 1 │
└────┴──────┴───┘
`},
		// Append-only queries print as they always have.
		{"jsonl", false, 0, `{"word":"a","n":1}
{"word":"b","n":1}
{"word":"a","n":2}
`},
		{"jsonl", false, 2, `{"_query":2,"word":"a","n":1}
{"_query":2,"word":"b","n":1}
{"_query":2,"word":"a","n":2}
`},
		{"csv", false, 0, `word,n
a,1
b,1
a,2
`},
		{"table", false, 0, `-------------------------------------------
Batch 1: 2024-01-01 00:00:00.000 UTC
-------------------------------------------
┌──────┬───┐
│ word │ n │
├──────┼───┤
│ a    │ 1 │
│ b    │ 1 │
└──────┴───┘
-------------------------------------------
Batch 2: 2024-01-01 00:00:01.000 UTC
-------------------------------------------
┌──────┬───┐
│ word │ n │
├──────┼───┤
│ a    │ 2 │
└──────┴───┘
`},
	} {
		if got := printConsole(t, tc.format, tc.updating, tc.query); got != tc.want {
			t.Errorf("%s, updating %v, query %d:\ngot\n%s\nwant\n%s", tc.format, tc.updating, tc.query, got, tc.want)
		}
	}
}
