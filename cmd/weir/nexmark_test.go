package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weirdb/weir/bench"
)

// nexmarkDDL declares Nexmark's three tables over the nexmark connector
// (bench.NexmarkDDL), with a history of events events.
func nexmarkDDL(events string) string {
	n, err := strconv.ParseInt(events, 10, 64)
	if err != nil {
		panic(err)
	}
	return bench.NexmarkDDL(n)
}

// nexmarkQ0 is Nexmark's q0.sql with its sink table declared as a JSON
// lines file; the INSERT is the repository's text.
const nexmarkQ0 = "CREATE TABLE nexmark_q0 (\n  auction  BIGINT,\n  bidder  BIGINT,\n  price  BIGINT,\n  `dateTime`  TIMESTAMP(3),\n  extra  VARCHAR\n) WITH (connector = 'file', path = 'q0.jsonl', format = 'json');\n\n" +
	"INSERT INTO nexmark_q0\nSELECT auction, bidder, price, `dateTime`, extra FROM bid;"

// nexmarkQ1 is Nexmark's q1.sql with the INSERT INTO dropped: its rows go
// to stdout.
const nexmarkQ1 = "SELECT\n    auction,\n    bidder,\n    0.908 * price as price, -- convert dollar to euro\n    `dateTime`,\n    extra\nFROM bid;"

func jsonLines(t *testing.T, text string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// Nexmark's q0 and q1, as written, run on 10,000 events of the nexmark
// connector: 9,200 bids each, q1's price 0.908 times q0's.
func TestNexmarkQ0Q1(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "q0.sql", nexmarkDDL("10000")+nexmarkQ0)
	writeFile(t, dir, "q1.sql", nexmarkDDL("10000")+nexmarkQ1)
	if out, errOut, code := runWeir(t, dir, "run", "q0.sql"); code != 0 {
		t.Fatalf("q0: exit %d\n%s%s", code, out, errOut)
	}
	data, err := os.ReadFile(filepath.Join(dir, "q0.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	q0 := jsonLines(t, string(data))
	out, errOut, code := runWeir(t, dir, "run", "--format", "jsonl", "q1.sql")
	if code != 0 {
		t.Fatalf("q1: exit %d\n%s", code, errOut)
	}
	q1 := jsonLines(t, out)
	if len(q0) != 9200 || len(q1) != 9200 {
		t.Fatalf("q0 %d rows, q1 %d rows, want 9200 bids each", len(q0), len(q1))
	}
	first := strings.SplitN(string(data), "\n", 2)[0]
	if want := `{"auction":1000,"bidder":1000,"price":14324347,"dateTime":"2015-07-15T00:00:00.000Z","extra":"bwsnuszeybqhsxvdcbsnxtrphxytdzimtunpzmhivowptdpwqrvriauawbzffmzrhis"}`; first != want {
		t.Errorf("q0's first row\n%s\nwant\n%s", first, want)
	}
	last := q0[len(q0)-1]
	if last["dateTime"] != "2015-07-15T00:00:00.999Z" {
		t.Errorf("q0's last bid at %v, want 00:00:00.999 (event 9999)", last["dateTime"])
	}
	for i := range q0 {
		p0, p1 := q0[i]["price"].(float64), q1[i]["price"].(float64)
		if d := p1 - 0.908*p0; d > 1e-6*p0 || d < -1e-6*p0 || q0[i]["auction"] != q1[i]["auction"] || q0[i]["extra"] != q1[i]["extra"] {
			t.Fatalf("row %d: q0 %v, q1 %v", i, q0[i], q1[i])
		}
	}
}

// INSERT INTO a JSON file sink exports a nexmark table to JSON lines that
// the file connector reads back as the same rows.
func TestNexmarkExportJSON(t *testing.T) {
	dir := t.TempDir()
	ddl := nexmarkDDL("2000")
	var export strings.Builder
	export.WriteString(ddl)
	var fileDDL strings.Builder
	for _, kind := range []string{"person", "auction", "bid"} {
		line := ddl[strings.Index(ddl, "CREATE TABLE "+kind+" "):]
		line = line[:strings.IndexByte(line, '\n')+1]
		cols := line[:strings.Index(line, ", WATERMARK")] + ")"
		export.WriteString(strings.Replace(cols, "TABLE "+kind+" ", "TABLE "+kind+"_out ", 1) +
			" WITH (connector = 'file', path = '" + kind + ".jsonl', format = 'json');\n")
		export.WriteString("INSERT INTO " + kind + "_out SELECT * FROM " + kind + ";\n")
		fileDDL.WriteString(cols + " WITH (connector = 'file', path = '" + kind + ".jsonl', format = 'json');\n")
	}
	writeFile(t, dir, "export.sql", export.String())
	if out, errOut, code := runWeir(t, dir, "run", "export.sql"); code != 0 {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	for kind, rows := range map[string]int{"person": 40, "auction": 120, "bid": 1840} {
		writeFile(t, dir, "gen.sql", ddl+"SELECT * FROM "+kind+";")
		writeFile(t, dir, "file.sql", fileDDL.String()+"SELECT * FROM "+kind+";")
		gen, errOut, code := runWeir(t, dir, "run", "--format", "jsonl", "gen.sql")
		if code != 0 {
			t.Fatalf("%s from the generator: exit %d\n%s", kind, code, errOut)
		}
		file, errOut, code := runWeir(t, dir, "run", "--format", "jsonl", "file.sql")
		if code != 0 {
			t.Fatalf("%s from the file: exit %d\n%s", kind, code, errOut)
		}
		if n := strings.Count(gen, "\n"); n != rows {
			t.Errorf("%s: %d rows, want %d", kind, n, rows)
		}
		if gen != file {
			t.Errorf("%s read back from JSON lines differs from the generator's rows", kind)
		}
	}
}

// nexmarkCrashScript counts bids per auction per second over the nexmark
// connector, checkpointed every other micro-batch of 100 rows.
func nexmarkCrashScript() string {
	return "SET batch_size = 100;\nSET checkpoint_batches = 2;\n" + nexmarkDDL("60000") +
		"CREATE TABLE out_t (window_start TIMESTAMP(3), auction BIGINT, n BIGINT, top BIGINT) WITH (connector = 'file', path = 'out.jsonl', format = 'json');\n" +
		"INSERT INTO out_t SELECT window_start, auction, COUNT(*), MAX(price) FROM bid GROUP BY auction, TUMBLE(`dateTime`, INTERVAL '1' SECOND);\n"
}

// A checkpointed query over the nexmark connector, killed with SIGKILL
// and restarted five times, writes exactly the rows of an uninterrupted
// run: the source resumes at the event number its checkpoint saved.
func TestNexmarkCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	ref, crash := t.TempDir(), t.TempDir()
	writeFile(t, ref, "q.sql", nexmarkCrashScript())
	writeFile(t, crash, "q.sql", nexmarkCrashScript())
	if _, errOut, code := runWeir(t, ref, "run", "--parallelism", "2", "q.sql"); code != 0 {
		t.Fatalf("reference run: exit %d: %s", code, errOut)
	}
	want := sortedLines(t, filepath.Join(ref, "out.jsonl"))
	if len(want) < 100 {
		t.Fatalf("reference run wrote only %d rows", len(want))
	}
	killRuns(t, crash, 5, "2", func(int) time.Duration { return 0 })
	got := sortedLines(t, filepath.Join(crash, "out.jsonl"))
	if len(got) != len(want) {
		t.Fatalf("%d rows after the kills, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("row %d after the kills:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}
