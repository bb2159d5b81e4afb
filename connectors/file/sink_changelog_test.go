package file

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/vector"
)

// counts is the schema of an updating word count.
var counts = vector.WithOpColumn(arrow.NewSchema([]arrow.Field{
	{Name: "word", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil))

// countBatch builds a batch of counts from words, numbers and kinds.
func countBatch(words []string, ns []int64, kinds ...vector.RowKind) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, counts)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues(words, nil)
	b.Field(1).(*array.Int64Builder).AppendValues(ns, nil)
	for _, k := range kinds {
		b.Field(2).(*array.Int8Builder).Append(int8(k))
	}
	return b.NewRecordBatch()
}

func TestSinkRefusesUpdatingResult(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	for _, tc := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"path": path}, "table out: the file sink writes an updating result only as a changelog: " +
			"set changelog = 'true' (JSON lines with an _op key) or format = 'debezium-json'"},
		{map[string]string{"path": path, "format": "csv"}, "table out: the file sink writes an updating result only as a changelog: " +
			"set changelog = 'true' (JSON lines with an _op key) or format = 'debezium-json'"},
		{map[string]string{"path": path, "format": "csv", "changelog": "true"},
			"table out: option changelog = 'true' needs format = 'json', not 'csv' (or write format = 'debezium-json')"},
		{map[string]string{"path": filepath.Join(dir, "out.txt"), "changelog": "true"},
			"table out: option changelog = 'true' needs format = 'json', not 'text' (or write format = 'debezium-json')"},
	} {
		_, err := NewSink(connectors.SinkSpec{Table: "out", Schema: counts, Options: tc.opts})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v: %v\nwant %s", tc.opts, err, tc.want)
		}
	}
	if _, err := os.Stat(path + pendingSuffix); !os.IsNotExist(err) {
		t.Error("a refused sink left its pending file")
	}
	// The spec's check refuses changelog with csv when the table is created.
	if err := SinkConfig().Check(nil, map[string]string{"path": "x.csv", "changelog": "true"}); err == nil {
		t.Error("CREATE TABLE check accepted changelog = 'true' with csv")
	}
	if err := SinkConfig().Changelog(map[string]string{"path": "x.json", "changelog": "true"}); err != nil {
		t.Error(err)
	}
}

// TestSinkChangelogCheckpoint writes a changelog through checkpoints, a
// crash and a restore, in both changelog formats, and with rolling files.
func TestSinkChangelogCheckpoint(t *testing.T) {
	for _, tc := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"changelog": "true"}, `{"_op":"+I","word":"a","n":1}
{"_op":"-U","word":"a","n":1}
{"_op":"+U","word":"a","n":2}
{"_op":"-D","word":"a","n":2}
`},
		{map[string]string{"format": "debezium-json"}, `{"before":null,"after":{"word":"a","n":1},"op":"c"}
{"before":{"word":"a","n":1},"after":{"word":"a","n":2},"op":"u"}
{"before":{"word":"a","n":2},"after":null,"op":"d"}
`},
	} {
		path := filepath.Join(t.TempDir(), "out.json")
		tc.opts["path"] = path
		spec := connectors.SinkSpec{Table: "out", Schema: counts, Options: tc.opts, Checkpointed: true}
		sink, err := NewSink(spec)
		if err != nil {
			t.Fatal(err)
		}
		s := sink.(*Sink)
		must(t, s.Write(countBatch([]string{"a"}, []int64{1}, vector.Insert)))
		must(t, s.Commit(1))
		state, err := s.Checkpoint()
		must(t, err)
		// This batch's output is lost in a crash before the next checkpoint.
		must(t, s.Write(countBatch([]string{"a", "a"}, []int64{1, 2}, vector.UpdateBefore, vector.UpdateAfter)))
		must(t, s.Commit(2))
		s.pend.Close()
		s.final.Close()

		sink, err = NewSink(spec)
		must(t, err)
		s = sink.(*Sink)
		must(t, s.Restore(state))
		must(t, s.Write(countBatch([]string{"a", "a"}, []int64{1, 2}, vector.UpdateBefore, vector.UpdateAfter)))
		must(t, s.Commit(2))
		must(t, s.Write(countBatch([]string{"a"}, []int64{2}, vector.Delete)))
		must(t, s.Commit(3))
		must(t, s.Close())
		if data, _ := os.ReadFile(path); string(data) != tc.want {
			t.Errorf("%v:\ngot  %s\nwant %s", tc.opts["format"], data, tc.want)
		}

		// The rolling sink writes the same records, a file per batch.
		dir := t.TempDir()
		tc.opts["path"] = filepath.Join(dir, "part")
		tc.opts["rolling"] = "batch"
		sink, err = NewSink(connectors.SinkSpec{Table: "out", Schema: counts, Options: tc.opts})
		must(t, err)
		for i, b := range []arrow.RecordBatch{
			countBatch([]string{"a"}, []int64{1}, vector.Insert),
			countBatch([]string{"a", "a"}, []int64{1, 2}, vector.UpdateBefore, vector.UpdateAfter),
			countBatch([]string{"a"}, []int64{2}, vector.Delete),
		} {
			must(t, sink.Write(b))
			must(t, sink.Commit(int64(i+1)))
		}
		must(t, sink.Close())
		files, _ := filepath.Glob(filepath.Join(dir, "part-*"))
		var all strings.Builder
		for _, f := range files {
			data, _ := os.ReadFile(f)
			all.Write(data)
		}
		if all.String() != tc.want {
			t.Errorf("rolling %v:\ngot  %s\nwant %s", tc.opts["format"], all.String(), tc.want)
		}
	}
}
