package format

import (
	"bytes"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestTextEncoder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := schemaOf("line VARCHAR")
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"hello world", "", "x,\"y\"", "tab\there"}, nil)
	b.Field(0).(*array.StringBuilder).AppendNull()
	b.Field(0).(*array.StringBuilder).Append("bytes \xff kept")
	batch := b.NewRecordBatch()
	defer batch.Release()
	var out bytes.Buffer
	enc, err := NewEncoder("text", schema, &out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode(batch); err != nil {
		t.Fatal(err)
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := "hello world\n\nx,\"y\"\ntab\there\n\nbytes \xff kept\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
	for _, cols := range [][]string{{"n BIGINT"}, {"a VARCHAR", "b VARCHAR"}, {}} {
		_, err := NewEncoder("text", schemaOf(cols...), &out, nil)
		if want := "format 'text' writes exactly one VARCHAR column, but the query outputs (" + strings.Join(cols, ", ") + ")"; err == nil || err.Error() != want {
			t.Errorf("%v: error %v, want %q", cols, err, want)
		}
	}
}

// TestJSONEncoderInvalidUTF8: JSON cannot hold invalid UTF-8, so writing
// it is an error naming the column, not a silent U+FFFD.
func TestJSONEncoderInvalidUTF8(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := schemaOf("n BIGINT", "s VARCHAR")
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"ok", "bad\xff"}, nil)
	batch := b.NewRecordBatch()
	defer batch.Release()
	var out bytes.Buffer
	enc, _ := NewEncoder("json", schema, &out, nil)
	err := enc.Encode(batch)
	if err == nil || !strings.HasPrefix(err.Error(), "column s: a value is not valid UTF-8 and cannot be written as JSON") {
		t.Fatalf("error %v", err)
	}
	enc.Flush()
	if want := `{"n":1,"s":"ok"}` + "\n"; out.String() != want {
		t.Errorf("wrote %q, want the rows before the bad one, %q", out.String(), want)
	}
}

// TestTextEncoderNoNulls writes a column without NULLs (the lines' bytes
// copied as they are), whole and as a slice, across the flush size.
func TestTextEncoderNoNulls(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := schemaOf("line VARCHAR")
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	var want strings.Builder
	for i := range 3000 {
		line := strings.Repeat(string(rune('a'+i%26)), i%61)
		b.Field(0).(*array.StringBuilder).Append(line)
		if i >= 7 && i < 2900 {
			want.WriteString(line + "\n")
		}
	}
	batch := b.NewRecordBatch()
	defer batch.Release()
	slice := batch.NewSlice(7, 2900)
	defer slice.Release()
	var out bytes.Buffer
	enc, err := NewEncoder("text", schema, &out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode(slice); err != nil {
		t.Fatal(err)
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	if out.String() != want.String() {
		t.Errorf("got %d bytes, want %d", out.Len(), want.Len())
	}
}
