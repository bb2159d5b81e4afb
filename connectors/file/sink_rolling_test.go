package file

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
)

var lineSchema = arrow.NewSchema([]arrow.Field{{Name: "line", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)

func lineBatch(mem memory.Allocator, lines ...string) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, lineSchema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues(lines, nil)
	return b.NewRecordBatch()
}

func newRolling(t *testing.T, prefix string, ckpt bool, opts map[string]string) *RollingSink {
	t.Helper()
	o := map[string]string{"path": prefix, "format": "text", "rolling": "batch"}
	for k, v := range opts {
		o[k] = v
	}
	s, err := NewSink(connectors.SinkSpec{Table: "out", Schema: lineSchema, Options: o, Checkpointed: ckpt})
	if err != nil {
		t.Fatal(err)
	}
	return s.(*RollingSink)
}

// listDir returns "name: content" for every file in dir, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.Name()+": "+strings.ReplaceAll(string(data), "\n", "|"))
	}
	sort.Strings(out)
	return out
}

func checkDir(t *testing.T, dir string, want ...string) {
	t.Helper()
	if got := listDir(t, dir); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("files:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// batchAt writes the lines (if any) as one batch at time ms and commits it.
func batchAt(t *testing.T, s *RollingSink, mem memory.Allocator, epoch, ms int64, lines ...string) {
	t.Helper()
	if len(lines) > 0 {
		must(t, s.Write(lineBatch(mem, lines...)))
	}
	s.BatchTime(time.UnixMilli(ms))
	must(t, s.Commit(epoch))
}

// TestRollingSink: without checkpoints every batch with rows becomes its
// own file <prefix>-<ms>.<suffix> at Commit; an empty batch makes none.
func TestRollingSink(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	s := newRolling(t, filepath.Join(dir, "words"), false, nil)
	batchAt(t, s, mem, 1, 1000, "a", "b")
	checkDir(t, dir, "words-1000.txt: a|b|")
	batchAt(t, s, mem, 2, 2000)           // no rows: no file
	must(t, s.Write(lineBatch(mem)))      // an empty batch is no rows either
	batchAt(t, s, mem, 3, 3000, "c")      // two Writes, one file
	must(t, s.Write(lineBatch(mem, "d"))) // written (buffered), not committed:
	checkDir(t, dir, ".words.inprogress.tmp: ", "words-1000.txt: a|b|", "words-3000.txt: c|")
	s.BatchTime(time.UnixMilli(3000)) // the same millisecond again
	must(t, s.Commit(4))
	must(t, s.Close())
	checkDir(t, dir, "words-1000.txt: a|b|", "words-3000.txt: c|", "words-3001.txt: d|")
	if err := s.Commit(5); err == nil {
		t.Fatal("Commit after Close")
	}

	// Suffixes: another one, none, and the default of each format.
	for _, tc := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"suffix": ".log"}, "p-5.log: x|"},
		{map[string]string{"suffix": "out"}, "p-5.out: x|"},
		{map[string]string{"suffix": ""}, "p-5: x|"},
		{map[string]string{"format": "json"}, `p-5.json: {"line":"x"}|`},
		{map[string]string{"format": "csv"}, "p-5.csv: line|x|"},
	} {
		dir := t.TempDir()
		s := newRolling(t, filepath.Join(dir, "p"), false, tc.opts)
		batchAt(t, s, mem, 1, 5, "x")
		must(t, s.Close())
		checkDir(t, dir, tc.want)
	}
}

// TestRollingSinkCheckpointRestore: with checkpoints, files become visible
// only when a checkpoint is taken; after a crash Restore deletes what the
// last completed checkpoint does not cover, so the output equals one run.
func TestRollingSinkCheckpointRestore(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "w")
	run := func(s *RollingSink, from int) {
		for i := from; i <= 4; i++ {
			batchAt(t, s, mem, int64(i), int64(i)*1000, strings.Repeat("x", i))
		}
	}
	// One uninterrupted run.
	clean := t.TempDir()
	s := newRolling(t, filepath.Join(clean, "w"), true, nil)
	run(s, 1)
	must(t, s.Close())
	want := listDir(t, clean)
	if len(want) != 4 {
		t.Fatalf("one run: %q", want)
	}

	s = newRolling(t, prefix, true, nil)
	batchAt(t, s, mem, 1, 1000, "x")
	batchAt(t, s, mem, 2, 2000, "xx")
	checkDir(t, dir, ".w-1000.txt.tmp: x|", ".w-2000.txt.tmp: xx|") // committed, not published
	st, err := s.Checkpoint()
	must(t, err)
	if string(st) != `{"last":2000}` {
		t.Fatalf("state %s", st)
	}
	checkDir(t, dir, "w-1000.txt: x|", "w-2000.txt: xx|")
	// Batch 3 is published by a checkpoint that never completes (its
	// state is lost), batch 4 is pending, a fifth is half written: crash.
	batchAt(t, s, mem, 3, 3000, "xxx")
	_, err = s.Checkpoint()
	must(t, err)
	batchAt(t, s, mem, 4, 4000, "xxxx")
	must(t, s.Write(lineBatch(mem, "half")))
	s.cur.Close()

	// Recover from the completed checkpoint; the batches after it run
	// again, at other times.
	s = newRolling(t, prefix, true, nil)
	must(t, s.Restore(st))
	checkDir(t, dir, "w-1000.txt: x|", "w-2000.txt: xx|")
	run(s, 3)
	must(t, s.Close())
	checkDir(t, dir, want...)

	// Restore errors.
	s = newRolling(t, prefix, true, nil)
	if err := s.Restore([]byte("x")); err == nil || err.Error() != `table out: invalid file sink state "x"` {
		t.Errorf("bad state: %v", err)
	}
	batchAt(t, s, mem, 1, 9000, "late")
	if err := s.Restore(st); err == nil || err.Error() != "table out: Restore must come once, before the first Write" {
		t.Errorf("late Restore: %v", err)
	}
	must(t, s.Close())
}

func TestRollingSinkErrors(t *testing.T) {
	dir := t.TempDir()
	two := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}, {Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	for _, tc := range []struct {
		schema *arrow.Schema
		opts   map[string]string
		want   string
	}{
		{lineSchema, map[string]string{"path": filepath.Join(dir, "p"), "rolling": "hourly"},
			`table out: option rolling: want 'none' or 'batch', got "hourly"`},
		{two, map[string]string{"path": filepath.Join(dir, "p"), "format": "text", "rolling": "batch"},
			"table out: format 'text' writes exactly one VARCHAR column, but the query outputs (n BIGINT, s VARCHAR)"},
		{two, map[string]string{"path": filepath.Join(dir, "p.txt")},
			"table out: format 'text' writes exactly one VARCHAR column, but the query outputs (n BIGINT, s VARCHAR)"},
		{lineSchema, map[string]string{"path": filepath.Join(dir, "missing", "p"), "rolling": "batch"},
			"table out: option path: directory " + filepath.Join(dir, "missing") + " does not exist"},
		{lineSchema, map[string]string{"path": dir + "/", "rolling": "batch"},
			"table out: option path: with rolling = 'batch' the path is a file name prefix (such as 'out/counts'), not a directory"},
	} {
		_, err := NewSink(connectors.SinkSpec{Table: "out", Schema: tc.schema, Options: tc.opts})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v: %v\nwant %s", tc.opts, err, tc.want)
		}
	}
	checkDir(t, dir)
}
