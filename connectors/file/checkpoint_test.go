package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
)

// partial is what one source produced before or after a seek.
type partial struct {
	rows []string
	bad  []string
	cut  int // if > 0, bad records are cut to this many bytes
}

// openSource opens a source of spec, recording bad rows into p.
func openSource(t *testing.T, spec connectors.SourceSpec, mem memory.Allocator, p *partial) *Source {
	t.Helper()
	spec.Alloc = mem
	spec.BadRow = func(r connectors.BadRow) error {
		if p.cut > 0 && len(r.Record) > p.cut {
			r.Record = r.Record[:p.cut]
		}
		p.bad = append(p.bad, fmt.Sprintf("%s %q %v", r.Position, r.Record, r.Err))
		return nil
	}
	src, err := NewSource(spec)
	if err != nil {
		t.Fatal(err)
	}
	return src.(*Source)
}

// readBatches reads up to n batches (n < 0: all) and reports whether the
// input ended.
func readBatches(t *testing.T, src *Source, maxRows, n int, p *partial) bool {
	t.Helper()
	for i := 0; n < 0 || i < n; i++ {
		b, err := src.Next(context.Background(), maxRows)
		if errors.Is(err, connectors.ErrEndOfInput) {
			return true
		}
		if err != nil {
			t.Fatal(err)
		}
		p.rows = append(p.rows, render(b)...)
		b.Release()
	}
	return false
}

// seekCases are files in each format with the things that make positions
// hard: a byte order mark, a header whose columns are out of order, blank
// lines, quoted newlines, CRLF, bad rows, records longer than
// max_record_bytes = 64 and no final newline.
var seekCases = []struct {
	name, file, content string
	schema              *arrow.Schema
	contains            string
}{
	{"csv", "c.csv", "\xEF\xBB\xBFurl,extra,ts,user_id\n" +
		"/a,x,2024-01-01 00:00:05,1\n\n" +
		"/b,x,2024-01-01 00:00:06,oops\n" +
		"\"/c\nstill c\",x,,3\r\n" +
		"/d,x,,4\n" +
		"/" + strings.Repeat("long", 30) + ",x,,5\n" +
		"/e,\"" + strings.Repeat("q\n", 40) + "\",,6\n" +
		"/f,x,,7\n" +
		"/g,x,\n" +
		"/h,x,,8\n\n\n" +
		"/i,x,2024-01-01 00:00:09,9", clicks, ""},
	{"json", "j.jsonl", "\xEF\xBB\xBF" + `{"user_id":1,"url":"/a"}` + "\n\n" +
		`{"user_id":"x"}` + "\r\n" +
		`{"URL":"/c","ts":"2024-01-01T00:00:05Z"}` + "\n" +
		`{"url":"/` + strings.Repeat("long", 30) + `"}` + "\n" +
		`{"user_id":4}` + "\n" +
		"not json\n" +
		`{"user_id":5,"url":"é"}` + "\n" +
		`{"user_id":6}`, clicks, ""},
	{"text", "t.txt", "\xEF\xBB\xBFa b\r\n\nc\n" + strings.Repeat("long", 30) + "\nd\ne f\n\n\ng\n" +
		strings.Repeat("x", 70) + "\nh", lines, ""},
	{"text-contains", "tc.txt", "apple\nbanana\ncherry\napple pie\n" + strings.Repeat("a", 100) + "\nbread\npineapple\nkiwi\napplesauce",
		lines, "apple"},
}

// TestSourceSeek reads k batches, saves the position, opens a new source,
// seeks and reads the rest: together that must be exactly a full read, for
// every k, batch size and format.
func TestSourceSeek(t *testing.T) {
	for _, tc := range seekCases {
		path := writeFile(t, tc.file, tc.content)
		for _, maxRec := range []string{"", "64"} {
			opts := map[string]string{"path": path}
			if maxRec != "" {
				opts["max_record_bytes"] = maxRec
			}
			spec := connectors.SourceSpec{Table: "t", Schema: tc.schema, Options: opts, Contains: tc.contains}
			for _, maxRows := range []int{1, 3, 1024} {
				name := fmt.Sprintf("%s/max_record_bytes=%s/maxRows=%d", tc.name, maxRec, maxRows)
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				var full partial
				src := openSource(t, spec, mem, &full)
				nb := 0
				for !readBatches(t, src, maxRows, 1, &full) {
					nb++
				}
				endPos, err := src.Position()
				if err != nil {
					t.Fatal(err)
				}
				src.Close()
				if len(full.rows) == 0 {
					t.Fatalf("%s: no rows", name)
				}
				if maxRec != "" && len(full.bad) == 0 && tc.contains == "" {
					t.Fatalf("%s: no bad rows", name)
				}
				var p position
				if err := json.Unmarshal(endPos, &p); err != nil || p.Offset != int64(len(tc.content)) {
					t.Fatalf("%s: end position %s", name, endPos)
				}
				for k := 0; k <= nb+1; k++ {
					var got partial
					src := openSource(t, spec, mem, &got)
					readBatches(t, src, maxRows, k, &got)
					pos, err := src.Position()
					if err != nil {
						t.Fatal(err)
					}
					if err := json.Unmarshal(pos, &p); err != nil || p.Offset != src.Offset() {
						t.Fatalf("%s: position %s, offset %d", name, pos, src.Offset())
					}
					src.Close()
					src = openSource(t, spec, mem, &got)
					if err := src.Seek(pos); err != nil {
						t.Fatalf("%s: Seek(%s): %v", name, pos, err)
					}
					if again, _ := src.Position(); string(again) != string(pos) {
						t.Fatalf("%s: Position after Seek %s, want %s", name, again, pos)
					}
					readBatches(t, src, maxRows, -1, &got)
					src.Close()
					if fmt.Sprintf("%q", got.rows) != fmt.Sprintf("%q", full.rows) {
						t.Fatalf("%s: k=%d pos %s: rows\n%q\nwant\n%q", name, k, pos, got.rows, full.rows)
					}
					if fmt.Sprint(got.bad) != fmt.Sprint(full.bad) {
						t.Fatalf("%s: k=%d pos %s: bad rows\n%s\nwant\n%s", name, k, pos,
							strings.Join(got.bad, "\n"), strings.Join(full.bad, "\n"))
					}
				}
				mem.AssertSize(t, 0)
			}
		}
	}
}

func TestSourceSeekErrors(t *testing.T) {
	path := writeFile(t, "s.csv", "user_id\n1\n2\n")
	spec := connectors.SourceSpec{Table: "t", Schema: clicks, Options: map[string]string{"path": path}}
	mem := memory.NewGoAllocator()
	var p partial
	for _, tc := range []struct{ pos, want string }{
		{`garbage`, `table t: invalid file source position "garbage"`},
		{`{"offset":-1}`, `table t: invalid file source position "{\"offset\":-1}"`},
		{`{"offset":100,"line":3}`, "table t: " + path + " is 12 bytes, shorter than the saved position 100; it changed since the checkpoint"},
		{`{"offset":3,"line":1}`, "table t: " + path + ": the saved position 3 is inside the CSV header; it changed since the checkpoint"},
	} {
		src := openSource(t, spec, mem, &p)
		if err := src.Seek([]byte(tc.pos)); err == nil || err.Error() != tc.want {
			t.Errorf("Seek(%s) = %v\nwant %s", tc.pos, err, tc.want)
		}
		src.Close()
	}
	src := openSource(t, spec, mem, &p)
	defer src.Close()
	readBatches(t, src, 1, 1, &p)
	if err := src.Seek([]byte(`{"offset":0}`)); err == nil || err.Error() != "table t: Seek must come before the first Next" {
		t.Error(err)
	}
	// A header that names no column is fatal on Seek too.
	path = writeFile(t, "semi.csv", "ts;user_id;url\n1;2;3\n")
	src = openSource(t, connectors.SourceSpec{Table: "t", Schema: clicks, Options: map[string]string{"path": path}}, mem, &p)
	defer src.Close()
	if err := src.Seek([]byte(`{"offset":15,"line":2}`)); err == nil || !strings.HasPrefix(err.Error(), "table t: "+path+": line 1: CSV header (1 fields) names none") {
		t.Error(err)
	}
	if _, err := src.Next(context.Background(), 1); err == nil {
		t.Error("Next after a failed Seek")
	}
}

// TestSourceMaxRecordBytes checks that an over-long record is a bad row,
// skipped without being held whole, and that the rows around it survive.
func TestSourceMaxRecordBytes(t *testing.T) {
	huge := strings.Repeat("z", 5<<20)
	for _, tc := range []struct {
		name, file, content string
		schema              *arrow.Schema
		want, bad           string
	}{
		{"text", "h.txt", "a\nb\n" + huge + "\nc\n" + huge, lines, `["a" "b" "c"]`,
			`[%[1]s:3 "zzzz" record longer than 1024 bytes (max_record_bytes) %[1]s:5 "zzzz" record longer than 1024 bytes (max_record_bytes)]`},
		{"json", "h.jsonl", `{"user_id":1}` + "\n\n" + `{"url":"` + huge + `"}` + "\n" + `{"user_id":2}` + "\n", clicks, `["NULL|1|NULL" "NULL|2|NULL"]`,
			`[%[1]s:3 "{\"ur" record longer than 1024 bytes (max_record_bytes)]`},
		// A quoted field with newlines is one record, however long; an
		// unclosed quote runs to the end of the file.
		{"csv", "h.csv", "user_id,url\n1,a\n2,\"" + strings.Repeat("q\n", 1000) + "\"\n3,c\n4," + huge + "\n5,e\n6,\"" + huge + "\n7,g\n", clicks,
			`["NULL|1|a" "NULL|3|c" "NULL|5|e"]`,
			`[%[1]s:3 "2,\"q" record longer than 1024 bytes (max_record_bytes; an unclosed quote?) ` +
				`%[1]s:1005 "4,zz" record longer than 1024 bytes (max_record_bytes) ` +
				`%[1]s:1007 "6,\"z" record longer than 1024 bytes (max_record_bytes; an unclosed quote?)]`},
	} {
		path := writeFile(t, tc.file, tc.content)
		for _, maxRows := range []int{1, 1024} {
			p := partial{cut: 4}
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			src := openSource(t, connectors.SourceSpec{Table: "t", Schema: tc.schema, Options: map[string]string{"path": path, "max_record_bytes": "1KiB"}}, mem, &p)
			readBatches(t, src, maxRows, -1, &p)
			if len(src.buf) > 1026 {
				t.Errorf("%s: buffer grew to %d bytes", tc.name, len(src.buf))
			}
			src.Close()
			mem.AssertSize(t, 0)
			if got := fmt.Sprintf("%q", p.rows); got != tc.want {
				t.Errorf("%s: rows %s\nwant %s", tc.name, got, tc.want)
			}
			if got, want := fmt.Sprint(p.bad), fmt.Sprintf(tc.bad, path); got != want {
				t.Errorf("%s: bad %s\nwant %s", tc.name, got, want)
			}
		}
	}
	// Records up to the limit are read whatever the line terminator.
	path := writeFile(t, "ok.txt", strings.Repeat("y", 100)+"\r\n"+strings.Repeat("y", 100)+"\n"+strings.Repeat("y", 100))
	var p partial
	src := openSource(t, connectors.SourceSpec{Table: "t", Schema: lines, Options: map[string]string{"path": path, "max_record_bytes": "100"}}, memory.NewGoAllocator(), &p)
	readBatches(t, src, 1, -1, &p)
	src.Close()
	if len(p.rows) != 3 || len(p.bad) != 0 {
		t.Errorf("%d rows, bad %v", len(p.rows), p.bad)
	}
	// A CSV header longer than the limit is fatal.
	path = writeFile(t, "hdr.csv", "user_id,"+strings.Repeat("h", 200)+"\n1,2\n")
	src = openSource(t, connectors.SourceSpec{Table: "t", Schema: clicks, Options: map[string]string{"path": path, "max_record_bytes": "100"}}, memory.NewGoAllocator(), &p)
	if _, err := src.Next(context.Background(), 10); err == nil || err.Error() != "table t: "+path+": the CSV header is longer than 100 bytes (max_record_bytes)" {
		t.Error(err)
	}
	src.Close()
	for _, v := range []string{"0", "-1", "2GiB", "lots"} {
		_, err := NewSource(connectors.SourceSpec{Table: "t", Schema: lines, Options: map[string]string{"path": path, "format": "text", "max_record_bytes": v}})
		if err == nil || !strings.HasPrefix(err.Error(), "table t: option max_record_bytes: want a size") {
			t.Errorf("%s: %v", v, err)
		}
	}
}

// sinkBatch makes a batch of clicks rows with the given user ids and urls.
func sinkBatch(mem memory.Allocator, ids ...int64) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, clicks)
	defer b.Release()
	for _, id := range ids {
		b.Field(0).AppendNull()
		b.Field(1).(*array.Int64Builder).Append(id)
		b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("/u%d", id))
	}
	return b.NewRecordBatch()
}

// sinkLines is what a sink of format writes for the ids.
func sinkLines(format string, ids ...int64) string {
	var b strings.Builder
	for _, id := range ids {
		if format == "csv" {
			fmt.Fprintf(&b, ",%d,/u%d\n", id, id)
		} else {
			fmt.Fprintf(&b, `{"ts":null,"user_id":%d,"url":"/u%d"}`+"\n", id, id)
		}
	}
	return b.String()
}

func newTestSink(t *testing.T, path string) *Sink {
	t.Helper()
	s, err := NewSink(connectors.SinkSpec{Table: "out", Schema: clicks, Options: map[string]string{"path": path}})
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Sink)
}

// crash drops a sink as a killed process would: nothing is flushed.
func crash(s *Sink) {
	if s.pend != nil {
		s.pend.Close()
	}
	if s.final != nil {
		s.final.Close()
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func checkFile(t *testing.T, path, want string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if string(data) != want {
		t.Fatalf("%s:\n%s\nwant\n%s", filepath.Base(path), data, want)
	}
}

// TestSinkCheckpointRestore writes epochs, checkpoints, writes more,
// crashes and restores: the final file holds exactly the checkpointed
// output, then the checkpointed output and what came after the restore.
func TestSinkCheckpointRestore(t *testing.T) {
	for _, fmtName := range []string{"json", "csv"} {
		header := ""
		if fmtName == "csv" {
			header = "ts,user_id,url\n"
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		path := filepath.Join(t.TempDir(), "out."+fmtName)
		must(t, os.WriteFile(path, []byte("an earlier run's output\n"), 0o644))
		s := newTestSink(t, path)
		must(t, s.Write(sinkBatch(mem, 1, 2)))
		must(t, s.Commit(1))
		must(t, s.Write(sinkBatch(mem, 3)))
		must(t, s.Commit(2))
		// Before the first checkpoint the final file is left alone.
		checkFile(t, path, "an earlier run's output\n")
		checkFile(t, path+".pending", header+sinkLines(fmtName, 1, 2, 3))
		st1, err := s.Checkpoint()
		must(t, err)
		want1 := header + sinkLines(fmtName, 1, 2, 3)
		if string(st1) != fmt.Sprintf(`{"length":%d}`, len(want1)) {
			t.Fatalf("state %s", st1)
		}
		checkFile(t, path, want1)
		checkFile(t, path+".pending", "")
		// More output reaches the pending file only.
		must(t, s.Write(sinkBatch(mem, 4)))
		must(t, s.Commit(3))
		checkFile(t, path, want1)
		st2, err := s.Checkpoint()
		must(t, err)
		want2 := want1 + sinkLines(fmtName, 4)
		checkFile(t, path, want2)
		must(t, s.Write(sinkBatch(mem, 5)))
		must(t, s.Commit(4))
		crash(s)

		// Restart from the second checkpoint: 5 is gone.
		s = newTestSink(t, path)
		checkFile(t, path, want2) // NewSink alone changes nothing
		must(t, s.Restore(st2))
		checkFile(t, path, want2)
		checkFile(t, path+".pending", "")
		must(t, s.Write(sinkBatch(mem, 6)))
		must(t, s.Commit(1))
		must(t, s.Close())
		checkFile(t, path, want2+sinkLines(fmtName, 6)) // no second header
		if _, err := os.Stat(path + ".pending"); !os.IsNotExist(err) {
			t.Fatal("pending file left after Close")
		}

		// A checkpoint that appended but whose state was never saved
		// (a crash in the middle of Checkpoint): restoring the one before
		// cuts its output away.
		s = newTestSink(t, path)
		must(t, s.Restore(st1))
		checkFile(t, path, want1)
		must(t, s.Write(sinkBatch(mem, 7)))
		_, err = s.Checkpoint()
		must(t, err)
		checkFile(t, path, want1+sinkLines(fmtName, 7))
		crash(s)
		s = newTestSink(t, path)
		must(t, s.Restore(st1))
		checkFile(t, path, want1)
		must(t, s.Write(sinkBatch(mem, 8)))
		st3, err := s.Checkpoint()
		must(t, err)
		must(t, s.Write(sinkBatch(mem, 9)))
		must(t, s.Close())
		checkFile(t, path, want1+sinkLines(fmtName, 8, 9))

		// Restoring an empty state starts over, with a header.
		s = newTestSink(t, path)
		must(t, s.Restore([]byte(`{"length":0}`)))
		checkFile(t, path, "")
		must(t, s.Write(sinkBatch(mem, 10)))
		must(t, s.Close())
		checkFile(t, path, header+sinkLines(fmtName, 10))

		// Errors: a file shorter than the state, bad state, Restore late.
		s = newTestSink(t, path)
		if err := s.Restore(st3); err == nil || !strings.Contains(err.Error(), "shorter than the checkpointed") {
			t.Fatal(err)
		}
		if err := s.Restore([]byte("x")); err == nil || err.Error() != `table out: invalid file sink state "x"` {
			t.Fatal(err)
		}
		must(t, s.Write(sinkBatch(mem, 11)))
		if err := s.Restore(st1); err == nil || err.Error() != "table out: Restore must come once, before the first Write and Checkpoint" {
			t.Fatal(err)
		}
		must(t, s.Close())
		checkFile(t, path, header+sinkLines(fmtName, 11))
		mem.AssertSize(t, 0)
	}
}

// TestSinkEmptyCheckpoints checks checkpoints with nothing new to write.
func TestSinkEmptyCheckpoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	s := newTestSink(t, path)
	for range 3 {
		st, err := s.Checkpoint()
		must(t, err)
		if string(st) != `{"length":0}` {
			t.Fatalf("state %s", st)
		}
	}
	checkFile(t, path, "")
	must(t, s.Write(sinkBatch(memory.NewGoAllocator(), 1)))
	st, err := s.Checkpoint()
	must(t, err)
	if want := sinkLines("json", 1); string(st) != fmt.Sprintf(`{"length":%d}`, len(want)) {
		t.Fatalf("state %s", st)
	}
	must(t, s.Close())
	checkFile(t, path, sinkLines("json", 1))
}

// TestSinkWriteErrors checks that a full disk and an unwritable directory
// are errors naming the table and the file.
func TestSinkWriteErrors(t *testing.T) {
	dir := t.TempDir()
	// A path whose parent is a regular file cannot be created, even by root.
	must(t, os.WriteFile(filepath.Join(dir, "file"), nil, 0o644))
	_, err := NewSink(connectors.SinkSpec{Table: "out", Schema: clicks, Options: map[string]string{"path": filepath.Join(dir, "file", "out.jsonl")}})
	if want := "table out: open " + filepath.Join(dir, "file", "out.jsonl.pending") + ": not a directory"; err == nil || err.Error() != want {
		t.Errorf("%v\nwant %s", err, want)
	}

	// A full disk: the pending file is swapped for /dev/full.
	if full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0); err == nil {
		path := filepath.Join(dir, "out.jsonl")
		s := newTestSink(t, path)
		s.pend.Close()
		s.pend = full
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		must(t, s.Write(sinkBatch(mem, 1))) // buffered
		want := "table out: write " + path + ".pending: no space left on device"
		if err := s.Commit(1); err == nil || err.Error() != want {
			t.Errorf("Commit: %v\nwant %s", err, want)
		}
		if err := s.Write(sinkBatch(mem, 2)); err == nil || err.Error() != want {
			t.Errorf("Write after the failure: %v", err)
		}
		if _, err := s.Checkpoint(); err == nil || err.Error() != want {
			t.Errorf("Checkpoint after the failure: %v", err)
		}
		if err := s.Close(); err == nil || err.Error() != want {
			t.Errorf("Close after the failure: %v", err)
		}
		mem.AssertSize(t, 0)
	} else {
		t.Log("no /dev/full:", err)
	}

	// A full disk while appending to the final file: the final file is
	// swapped for /dev/full after the first checkpoint.
	if full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0); err == nil {
		path := filepath.Join(dir, "out2.jsonl")
		s := newTestSink(t, path)
		must(t, s.Write(sinkBatch(memory.NewGoAllocator(), 0)))
		_, err := s.Checkpoint()
		must(t, err)
		s.final.Close()
		s.final = full
		must(t, s.Write(sinkBatch(memory.NewGoAllocator(), 1)))
		want := "table out: append to " + path + ": no space left on device"
		if _, err := s.Checkpoint(); err == nil || err.Error() != want {
			t.Errorf("Checkpoint: %v\nwant %s", err, want)
		}
		s.Close()
		checkFile(t, path+".pending", sinkLines("json", 1)) // kept after a failure
	}

	// A final path that is a directory cannot be replaced.
	path := filepath.Join(dir, "isdir")
	must(t, os.Mkdir(path, 0o755))
	s := newTestSink(t, path)
	if err := s.Close(); err == nil || err.Error() != "table out: rename "+path+".pending to "+path+": file exists" {
		t.Errorf("Close: %v", err)
	}

	t.Run("read-only directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("running as root: a read-only directory is still writable")
		}
		ro := filepath.Join(dir, "ro")
		must(t, os.Mkdir(ro, 0o755))
		s := newTestSink(t, filepath.Join(ro, "out.jsonl"))
		must(t, s.Write(sinkBatch(memory.NewGoAllocator(), 1)))
		must(t, os.Chmod(ro, 0o555))
		defer os.Chmod(ro, 0o755)
		_, err := s.Checkpoint()
		if want := "table out: rename " + filepath.Join(ro, "out.jsonl.pending") + " to " + filepath.Join(ro, "out.jsonl") + ": permission denied"; err == nil || err.Error() != want {
			t.Errorf("Checkpoint: %v\nwant %s", err, want)
		}
		s.Close()
		_, err = NewSink(connectors.SinkSpec{Table: "out", Schema: clicks, Options: map[string]string{"path": filepath.Join(ro, "new.jsonl")}})
		if want := "table out: open " + filepath.Join(ro, "new.jsonl.pending") + ": permission denied"; err == nil || err.Error() != want {
			t.Errorf("NewSink: %v\nwant %s", err, want)
		}
	})
}
