package file

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
)

// TestSinkRoundTrip copies a CSV file through a sink in each format and
// reads the result back with a source.
func TestSinkRoundTrip(t *testing.T) {
	in := writeFile(t, "in.csv", "ts,user_id,url\n"+
		"2024-01-01 00:00:05.123,1,/a\n"+
		",2,\"quote \"\" and, comma\"\n"+
		"2024-01-01 00:00:07,,\"two\nlines\"\n"+
		"2024-01-01 00:00:08,4,\"\"\n"+
		"2024-01-01 00:00:09,5,\n")
	want := readAll(t, connectors.SourceSpec{Table: "in", Schema: clicks, Options: map[string]string{"path": in}}, 1024).rows
	if len(want) != 5 {
		t.Fatalf("%q", want)
	}
	dir := t.TempDir()
	for _, name := range []string{"out.json", "out.csv", "out.txt"} {
		out := filepath.Join(dir, name)
		opts := map[string]string{"path": out}
		if name == "out.txt" {
			opts["format"] = "csv"
			opts["delimiter"] = "|"
		}
		sink, err := NewSink(connectors.SinkSpec{Table: "out", Schema: clicks, Options: opts})
		if err != nil {
			t.Fatal(err)
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		src, err := NewSource(connectors.SourceSpec{Table: "in", Schema: clicks, Options: map[string]string{"path": in}, Alloc: mem,
			BadRow: func(r connectors.BadRow) error { return r.Err }})
		if err != nil {
			t.Fatal(err)
		}
		for epoch := int64(1); ; epoch++ {
			b, err := src.Next(context.Background(), 2)
			if errors.Is(err, connectors.ErrEndOfInput) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := sink.Write(b); err != nil {
				t.Fatal(err)
			}
			if err := sink.Commit(epoch); err != nil {
				t.Fatal(err)
			}
		}
		src.Close()
		mem.AssertSize(t, 0) // Write released every batch
		// Committed output is in the pending file before Close, and
		// not yet in the final one (no checkpoint was taken).
		if data, _ := os.ReadFile(out + ".pending"); !strings.Contains(string(data), "/a") {
			t.Fatalf("%s.pending after Commit: %q", name, data)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("%s exists before the first checkpoint: %v", name, err)
		}
		if err := sink.Close(); err != nil {
			t.Fatal(err)
		}
		if err := sink.Close(); err != nil {
			t.Fatal("second Close:", err)
		}
		if _, err := os.Stat(out + ".pending"); !os.IsNotExist(err) {
			t.Fatalf("%s.pending after Close: %v", name, err)
		}
		readOpts := map[string]string{"path": out}
		if name == "out.txt" {
			readOpts["format"] = "csv"
			readOpts["delimiter"] = "|"
		}
		got := readAll(t, connectors.SourceSpec{Table: "out", Schema: clicks, Options: readOpts}, 1024)
		if strings.Join(got.rows, "\n") != strings.Join(want, "\n") || len(got.bad) != 0 {
			data, _ := os.ReadFile(out)
			t.Fatalf("%s: rows\n%s\nwant\n%s\nfile:\n%s", name, strings.Join(got.rows, "\n"), strings.Join(want, "\n"), data)
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "out.json"))
	wantJSON := `{"ts":"2024-01-01T00:00:05.123Z","user_id":1,"url":"/a"}
{"ts":null,"user_id":2,"url":"quote \" and, comma"}
{"ts":"2024-01-01T00:00:07.000Z","user_id":null,"url":"two\nlines"}
{"ts":"2024-01-01T00:00:08.000Z","user_id":4,"url":""}
{"ts":"2024-01-01T00:00:09.000Z","user_id":5,"url":null}
`
	if string(data) != wantJSON {
		t.Fatalf("out.json:\n%s", data)
	}
}

func TestSinkErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{}, "table out: connector 'file' needs option path (the file to write)"},
		{map[string]string{"path": filepath.Join(dir, "missing", "x.json")}, "table out: open " + filepath.Join(dir, "missing", "x.json.pending") + ": no such file or directory"},
		{map[string]string{"path": filepath.Join(dir, "x.out"), "format": "parquet"}, `table out: unknown output format "parquet" (have csv, debezium-json, json, text)`},
	} {
		_, err := NewSink(connectors.SinkSpec{Table: "out", Schema: clicks, Options: tc.opts})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v: %v\nwant %s", tc.opts, err, tc.want)
		}
	}
	for _, name := range []string{"x.out", "x.out.pending"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("a sink that failed to open left %s", name)
		}
	}
	// An existing file is truncated; an empty CSV result still has a header.
	out := filepath.Join(dir, "o.csv")
	os.WriteFile(out, []byte("old content\n"), 0o644)
	sink, err := NewSink(connectors.SinkSpec{Table: "out", Schema: clicks, Options: map[string]string{"path": out}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(out); string(data) != "ts,user_id,url\n" {
		t.Fatalf("%q", data)
	}
	if err := sink.Commit(1); err == nil {
		t.Fatal("Commit after Close")
	}
}
