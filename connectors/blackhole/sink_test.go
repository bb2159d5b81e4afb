package blackhole

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/vector"
)

// batch builds a batch of one BIGINT column n holding vals, and an op
// column holding ops when ops is not nil.
func batch(t *testing.T, mem memory.Allocator, vals []int64, ops []vector.RowKind) arrow.RecordBatch {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
	if ops != nil {
		schema = vector.WithOpColumn(schema)
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues(vals, nil)
	if ops != nil {
		ob := b.Field(1).(*array.Int8Builder)
		for _, k := range ops {
			ob.Append(int8(k))
		}
	}
	return b.NewRecordBatch()
}

func TestSinkCountsAppendOnly(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	first := batch(t, mem, []int64{1, 2, 3}, nil)
	s, err := NewSink(connectors.SinkSpec{Table: "hole", Schema: first.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []arrow.RecordBatch{first, batch(t, mem, nil, nil), batch(t, mem, []int64{4, 5}, nil)} {
		if err := s.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Commit(1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got := s.(*Sink).Counts()
	if want := (Counts{Rows: 5}); got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	if e := s.(*Sink).Epoch(); e != 1 {
		t.Errorf("epoch %d, want 1", e)
	}
}

func TestSinkCountsChangelog(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	first := batch(t, mem, []int64{1, 2}, []vector.RowKind{vector.Insert, vector.Insert})
	s, err := NewSink(connectors.SinkSpec{Table: "hole", Schema: first.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	second := batch(t, mem, []int64{1, 3, 2, 2}, []vector.RowKind{vector.UpdateBefore, vector.UpdateAfter, vector.Delete, vector.Insert})
	for _, b := range []arrow.RecordBatch{first, second} {
		if err := s.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	got := s.(*Sink).Counts()
	want := Counts{Rows: 6, Changelog: true, Inserts: 3, UpdatesBefore: 1, UpdatesAfter: 1, Deletes: 1}
	if got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	s.Close()
}

// A row kind that is none of the four is an error, not a panic.
func TestSinkBadRowKind(t *testing.T) {
	b := batch(t, memory.DefaultAllocator, []int64{1}, []vector.RowKind{7})
	s, err := NewSink(connectors.SinkSpec{Table: "hole", Schema: b.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(b); err == nil || !strings.Contains(err.Error(), "table hole: unknown row kind 7") {
		t.Errorf("got %v", err)
	}
}

// The blackhole takes a changelog, and no option but connector.
func TestConfig(t *testing.T) {
	c := Config()
	if c.Changelog == nil || c.Changelog(map[string]string{"connector": "blackhole"}) != nil {
		t.Error("the blackhole sink must accept a changelog")
	}
	r := connectors.NewRegistry()
	r.RegisterSink("blackhole", NewSink, Config())
	schema := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
	if _, err := r.CheckOptions(schema, map[string]string{"connector": "blackhole"}); err != nil {
		t.Fatal(err)
	}
	_, err := r.CheckOptions(schema, map[string]string{"connector": "blackhole", "path": "x"})
	if err == nil || err.Error() != "unknown option 'path' for connector 'blackhole' (have connector)" {
		t.Errorf("got %v", err)
	}
}
