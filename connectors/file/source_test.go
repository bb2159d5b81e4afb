package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/vector"
)

var clicks = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "user_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "url", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

var lines = arrow.NewSchema([]arrow.Field{{Name: "line", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)

// render renders a batch's rows as "v1|v2", NULL as NULL.
func render(b arrow.RecordBatch) []string {
	var rows []string
	for r := 0; r < int(b.NumRows()); r++ {
		var parts []string
		for c := 0; c < int(b.NumCols()); c++ {
			col := b.Column(c)
			switch a := col.(type) {
			case *array.Int64:
				parts = append(parts, strconv.FormatInt(a.Value(r), 10))
			case *array.String:
				parts = append(parts, a.Value(r))
			case *array.Timestamp:
				parts = append(parts, format.FormatTimestamp(int64(a.Value(r))))
			case *array.Int8: // a changelog's op column
				parts = append(parts, vector.RowKind(a.Value(r)).String())
			}
			if col.IsNull(r) {
				parts[len(parts)-1] = "NULL"
			}
		}
		rows = append(rows, strings.Join(parts, "|"))
	}
	return rows
}

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readResult is everything a source produced.
type readResult struct {
	rows    []string
	bad     []connectors.BadRow
	offsets []int64 // Offset() after each batch
}

// readAll reads a source to its end with batches of at most maxRows rows.
func readAll(t testing.TB, spec connectors.SourceSpec, maxRows int) readResult {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var res readResult
	spec.Alloc = mem
	if spec.BadRow == nil {
		spec.BadRow = func(r connectors.BadRow) error { res.bad = append(res.bad, r); return nil }
	}
	src, err := NewSource(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if !src.(connectors.Bounded).Bounded() {
		t.Fatal("not bounded")
	}
	for {
		b, err := src.Next(context.Background(), maxRows)
		if errors.Is(err, connectors.ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if b.NumRows() < 1 || b.NumRows() > int64(maxRows) {
			t.Fatalf("batch of %d rows, maxRows %d", b.NumRows(), maxRows)
		}
		if b.Schema() != spec.Schema {
			t.Fatal("batch schema is not the table's")
		}
		res.rows = append(res.rows, render(b)...)
		res.offsets = append(res.offsets, src.(*Source).Offset())
		b.Release()
	}
	// End of input is sticky.
	for range 2 {
		if b, err := src.Next(context.Background(), maxRows); b != nil || !errors.Is(err, connectors.ErrEndOfInput) {
			t.Fatalf("after the end: %v, %v", b, err)
		}
	}
	return res
}

func TestSourceCSV(t *testing.T) {
	content := "ts,user_id,url\n" +
		"2024-01-01 00:00:05,1,/a\n" +
		"2024-01-01 00:00:06,x,/b\n" + // bad
		"2024-01-01 00:00:07,3,\"/c\nstill c\"\n" +
		"2024-01-01 00:00:08,4\n" + // short
		"2024-01-01 00:00:09,5,\n" +
		",6,/f\n" +
		"2024-01-01 00:00:10,7,/g" // no final newline
	path := writeFile(t, "clicks.csv", content)
	want := []string{
		"2024-01-01T00:00:05.000Z|1|/a",
		"2024-01-01T00:00:07.000Z|3|/c\nstill c",
		"2024-01-01T00:00:09.000Z|5|NULL",
		"NULL|6|/f",
		"2024-01-01T00:00:10.000Z|7|/g",
	}
	for _, maxRows := range []int{1, 3, 1024} {
		res := readAll(t, connectors.SourceSpec{Table: "clicks", Schema: clicks, Options: map[string]string{"path": path}}, maxRows)
		if strings.Join(res.rows, "\n") != strings.Join(want, "\n") {
			t.Fatalf("maxRows %d: rows\n%s", maxRows, strings.Join(res.rows, "\n"))
		}
		got := fmt.Sprint(res.bad)
		wantBad := fmt.Sprintf("[{clicks %[1]s:3 2024-01-01 00:00:06,x,/b column user_id: invalid BIGINT \"x\"} "+
			"{clicks %[1]s:6 2024-01-01 00:00:08,4 expected 3 fields, got 2}]", path)
		if got != wantBad {
			t.Fatalf("bad rows\n%s\nwant\n%s", got, wantBad)
		}
		if last := res.offsets[len(res.offsets)-1]; last != int64(len(content)) {
			t.Fatalf("final offset %d, want %d", last, len(content))
		}
	}
	// With one row per batch, the offset after each is the end of its record.
	res := readAll(t, connectors.SourceSpec{Table: "clicks", Schema: clicks, Options: map[string]string{"path": path}}, 1)
	var wantOff []int64
	for _, rec := range []string{"/a\n", "still c\"\n", ",5,\n", "/f\n", "/g"} {
		wantOff = append(wantOff, int64(strings.Index(content, rec)+len(rec)))
	}
	if fmt.Sprint(res.offsets) != fmt.Sprint(wantOff) {
		t.Fatalf("offsets %v, want %v", res.offsets, wantOff)
	}
}

func TestSourceJSONAndText(t *testing.T) {
	path := writeFile(t, "clicks.ndjson", `{"ts": "2024-01-01T00:00:05Z", "user_id": 1, "url": "/a"}`+"\n\n"+`{"user_id": "x"}`+"\n"+`{"URL": "/c"}`)
	res := readAll(t, connectors.SourceSpec{Table: "clicks", Schema: clicks, Options: map[string]string{"path": path}}, 2)
	if fmt.Sprint(res.rows) != "[2024-01-01T00:00:05.000Z|1|/a NULL|NULL|/c]" || len(res.bad) != 1 || res.bad[0].Position != path+":3" {
		t.Fatalf("%q %v", res.rows, res.bad)
	}
	path = writeFile(t, "words.log", "a b\r\n\nc")
	res = readAll(t, connectors.SourceSpec{Table: "t", Schema: lines, Options: map[string]string{"path": path}}, 2)
	if fmt.Sprintf("%q", res.rows) != `["a b" "" "c"]` {
		t.Fatalf("%q", res.rows)
	}
	path = writeFile(t, "empty.dat", "")
	res = readAll(t, connectors.SourceSpec{Table: "t", Schema: lines, Options: map[string]string{"path": path, "format": "text"}}, 2)
	if len(res.rows) != 0 {
		t.Fatalf("%q", res.rows)
	}
}

// TestSourceLarge reads files bigger than one read chunk, with records
// straddling the chunk boundaries, at several batch sizes.
func TestSourceLarge(t *testing.T) {
	// Text: lines of varying length; 10 MiB.
	var text bytes.Buffer
	var want []string
	for i := 0; text.Len() < 10<<20; i++ {
		l := fmt.Sprintf("line %d %s", i, strings.Repeat("x", i%997))
		text.WriteString(l + "\n")
		if i%5 == 0 {
			want = append(want, l)
		}
	}
	// A record straddles the first chunk boundary (not a line end).
	if text.Bytes()[chunkSize-1] == '\n' {
		t.Fatal("test data ends a line at the chunk boundary")
	}
	path := writeFile(t, "big.txt", text.String())
	for _, maxRows := range []int{1, 3, 1024} {
		res := readAll(t, connectors.SourceSpec{Table: "big", Schema: lines, Options: map[string]string{"path": path}}, maxRows)
		var every []string
		for i := 0; i < len(res.rows); i += 5 {
			every = append(every, res.rows[i])
		}
		if len(every) != len(want) || strings.Join(every, "\n") != strings.Join(want, "\n") {
			t.Fatalf("maxRows %d: %d rows", maxRows, len(res.rows))
		}
	}

	// CSV: a quoted field with newlines spans the first chunk boundary.
	var csv bytes.Buffer
	csv.WriteString("ts,user_id,url\n")
	n := 0
	for csv.Len() < chunkSize-100 {
		fmt.Fprintf(&csv, "2024-01-01 00:00:00,%d,/p%d\n", n, n)
		n++
	}
	long := strings.Repeat("line\n", 100)
	fmt.Fprintf(&csv, "2024-01-01 00:00:00,%d,\"%s\"\n", n, long)
	n++
	for csv.Len() < 2*chunkSize+1000 {
		fmt.Fprintf(&csv, "2024-01-01 00:00:00,%d,/p%d\n", n, n)
		n++
	}
	path = writeFile(t, "big.csv", csv.String())
	for _, maxRows := range []int{3, 4096} {
		res := readAll(t, connectors.SourceSpec{Table: "big", Schema: clicks, Options: map[string]string{"path": path}}, maxRows)
		if len(res.rows) != n || len(res.bad) != 0 {
			t.Fatalf("maxRows %d: %d rows, %d bad, want %d", maxRows, len(res.rows), len(res.bad), n)
		}
		for i, r := range res.rows {
			url := fmt.Sprintf("/p%d", i)
			if strings.Contains(r, "line\n") {
				url = long
			}
			if r != fmt.Sprintf("2024-01-01T00:00:00.000Z|%d|%s", i, url) {
				t.Fatalf("row %d = %q", i, r)
			}
		}
	}
}

// TestSourceUnclosedQuote checks that an unterminated quote is one bad
// record, reported at the line it starts on.
func TestSourceUnclosedQuote(t *testing.T) {
	path := writeFile(t, "q.csv", "ts,user_id,url\n,1,/a\n,2,\"oops\n,3,/c\n")
	res := readAll(t, connectors.SourceSpec{Table: "q", Schema: clicks, Options: map[string]string{"path": path}}, 10)
	if fmt.Sprint(res.rows) != "[NULL|1|/a]" || len(res.bad) != 1 || res.bad[0].Position != path+":3" ||
		res.bad[0].Err.Error() != "unterminated quoted field" || res.bad[0].Record != ",2,\"oops\n,3,/c" {
		t.Fatalf("%q %+v", res.rows, res.bad)
	}
}

func TestSourceBadRowHandling(t *testing.T) {
	long := strings.Repeat("é", 150) // 300 bytes; the cut at 200 would split one
	path := writeFile(t, "b.csv", "user_id,url\n1,a\nxy,"+long+"\n3,c\n")
	var got []connectors.BadRow
	fail := errors.New("on_error = fail")
	spec := connectors.SourceSpec{Table: "b", Schema: clicks, Options: map[string]string{"path": path}, Alloc: memory.NewGoAllocator(),
		BadRow: func(r connectors.BadRow) error { got = append(got, r); return fail }}
	src, err := NewSource(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	b, err := src.Next(context.Background(), 100)
	if b != nil || err != fail {
		t.Fatalf("Next = %v, %v; want the handler's error", b, err)
	}
	if _, err := src.Next(context.Background(), 100); err != fail {
		t.Fatalf("second Next: %v", err)
	}
	if len(got) != 1 || len(got[0].Record) != 199 || got[0].Record != ("xy," + long)[:199] || got[0].Position != path+":3" {
		t.Fatalf("%d %q %q", len(got[0].Record), got[0].Record, got[0].Position)
	}
}

func TestSourceErrors(t *testing.T) {
	t.Chdir(t.TempDir()) // paths are relative to the working directory
	os.WriteFile("data.bin", nil, 0o644)
	os.Mkdir("d.csv", 0o755)
	for _, tc := range []struct {
		schema *arrow.Schema
		opts   map[string]string
		want   string
	}{
		{clicks, map[string]string{}, "table clicks: connector 'file' needs option path (the file to read)"},
		{clicks, map[string]string{"path": "data/clicks.csv"}, "table clicks: open data/clicks.csv: no such file or directory"},
		{clicks, map[string]string{"path": "data.bin"}, `table clicks: cannot tell the format of "data.bin" from its name; set option format to 'csv', 'json' or 'text'`},
		{clicks, map[string]string{"path": "data.bin", "format": "xml"}, `table clicks: unknown format "xml" (have csv, json, text, debezium-json)`},
		{clicks, map[string]string{"path": "data.bin", "format": "text"}, "table clicks: format 'text' needs a table of exactly one VARCHAR column"},
		{clicks, map[string]string{"path": "data.bin", "format": "csv", "header": "1"}, `table clicks: option header: want 'true' or 'false', got "1"`},
		{clicks, map[string]string{"path": "d.csv"}, "table clicks: d.csv is a directory, not a file"},
	} {
		_, err := NewSource(connectors.SourceSpec{Table: "clicks", Schema: tc.schema, Options: tc.opts, BadRow: func(connectors.BadRow) error { return nil }})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v: error %v\nwant %s", tc.opts, err, tc.want)
		}
	}

	// A header that names no column is fatal, with the table and path.
	os.WriteFile("semi.csv", []byte("ts;user_id;url\n"), 0o644)
	src, err := NewSource(connectors.SourceSpec{Table: "clicks", Schema: clicks, Options: map[string]string{"path": "semi.csv"}, BadRow: func(connectors.BadRow) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Next(context.Background(), 10)
	if err == nil || !strings.HasPrefix(err.Error(), "table clicks: semi.csv: line 1: CSV header (1 fields) names none of the columns ts, user_id, url") {
		t.Fatal(err)
	}
	src.Close()

	// A cancelled context stops Next.
	os.WriteFile("ok.csv", []byte("user_id\n1\n"), 0o644)
	src, _ = NewSource(connectors.SourceSpec{Table: "clicks", Schema: clicks, Options: map[string]string{"path": "ok.csv"}, BadRow: func(connectors.BadRow) error { return nil }})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Next(ctx, 10); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	src.Close()
	if _, err := src.Next(context.Background(), 10); err == nil || err.Error() != "table clicks: source is closed" {
		t.Fatal(err)
	}
}
