package main

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/weirdb/weir/bench"
)

// nexmarkFileDDL declares Nexmark's three tables over JSON-lines files
// person.jsonl, auction.jsonl and bid.jsonl, with nexmarkDDL's columns and
// watermarks.
func nexmarkFileDDL() string {
	ddl := nexmarkDDL("1")
	return regexp.MustCompile(`WITH \(connector = 'nexmark', 'nexmark.table.type' = '(\w+)'[^)]*\);`).
		ReplaceAllString(ddl, "WITH (connector = 'file', path = '$1.jsonl', format = 'json');")
}

// nexmarkExport writes the three tables of a history of events events as
// JSON lines into dir, with INSERT INTO file tables.
func nexmarkExport(t *testing.T, dir, events string) {
	t.Helper()
	ddl := nexmarkDDL(events)
	var b strings.Builder
	b.WriteString(ddl)
	for _, kind := range []string{"person", "auction", "bid"} {
		line := ddl[strings.Index(ddl, "CREATE TABLE "+kind+" "):]
		line = line[:strings.IndexByte(line, '\n')+1]
		cols := line[:strings.Index(line, ", WATERMARK")] + ")"
		b.WriteString(strings.Replace(cols, "TABLE "+kind+" ", "TABLE "+kind+"_out ", 1) +
			" WITH (connector = 'file', path = '" + kind + ".jsonl', format = 'json');\n")
		b.WriteString("INSERT INTO " + kind + "_out SELECT * FROM " + kind + ";\n")
	}
	writeFile(t, dir, "export.sql", b.String())
	if out, errOut, code := runWeir(t, dir, "run", "export.sql"); code != 0 {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
}

// nexmarkScript turns a Nexmark query file into a script a user would
// run (bench.NexmarkScript): its source tables declared by tables, q13's
// side input read from side_input.csv, its INSERT INTO dropped so the rows
// go to stdout.
func nexmarkScript(query, tables string) string {
	return bench.NexmarkScript(query, bench.NexmarkScriptConfig{Tables: tables, SideInput: "side_input.csv"})
}

// nexmarkResult applies the jsonl rows of a query's output (a changelog
// when rows carry _op) and returns the final result as sorted lines.
func nexmarkResult(t *testing.T, out string) []string {
	t.Helper()
	count := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		op := ""
		if strings.HasPrefix(l, `{"_op":"`) {
			op, l = l[8:10], "{"+l[13:]
		}
		switch op {
		case "-U", "-D":
			count[l]--
		default:
			count[l]++
		}
	}
	var rows []string
	for l, n := range count {
		if n < 0 {
			t.Fatalf("the changelog retracts a row it never added: %s", l)
		}
		for ; n > 0; n-- {
			rows = append(rows, l)
		}
	}
	sort.Strings(rows)
	return rows
}

// TestNexmarkQueries runs every Nexmark query (q6 aside: no engine runs it
// in SQL) from its repository text, on the nexmark connector and on
// JSON-lines files of the same history, and checks that both give the same
// final result (changelogs applied); q12 windows over processing time, so
// only its running is checked.
func TestNexmarkQueries(t *testing.T) {
	dir := t.TempDir()
	nexmarkExport(t, dir, "3000")
	writeFile(t, dir, "side_input.csv", bench.NexmarkSideInput())
	gen, files := nexmarkDDL("3000"), nexmarkFileDDL()
	nonEmpty := 0
	for _, name := range bench.NexmarkQueryNames() {
		if name == "q6" {
			continue
		}
		q, err := bench.NexmarkQuery(name)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, name+"_gen.sql", nexmarkScript(q, gen))
		writeFile(t, dir, name+"_file.sql", nexmarkScript(q, files))
		a, errA, codeA := runWeir(t, dir, "run", "--format", "jsonl", name+"_gen.sql")
		b, errB, codeB := runWeir(t, dir, "run", "--format", "jsonl", name+"_file.sql")
		if codeA != 0 || codeB != 0 {
			t.Errorf("%s: exit %d on the connector, %d on files\n%s%s", name, codeA, codeB, errA, errB)
			continue
		}
		if name == "q12" {
			continue
		}
		ra, rb := nexmarkResult(t, a), nexmarkResult(t, b)
		if len(ra) > 0 {
			nonEmpty++
		}
		t.Logf("%s: %d result rows", name, len(ra))
		if strings.Join(ra, "\n") != strings.Join(rb, "\n") {
			t.Errorf("%s: %d result rows on the connector, %d on files, not the same", name, len(ra), len(rb))
		}
	}
	if nonEmpty < 18 {
		t.Errorf("only %d queries gave rows on 3000 events", nonEmpty)
	}
}
