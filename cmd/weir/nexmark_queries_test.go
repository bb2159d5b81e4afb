package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
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
// run: its CREATE TABLE statements replaced by Weir's tables (tables, a
// side-input file for q13), its INSERT INTO dropped so the rows go to
// stdout, and q14's Java UDF defined in SQL.
func nexmarkScript(t *testing.T, query, tables string) string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(query, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	var out []string
	for _, st := range strings.Split(strings.Join(lines, "\n"), ";") {
		st = strings.TrimSpace(st)
		upper := strings.ToUpper(st)
		switch {
		case st == "":
		case strings.HasPrefix(upper, "CREATE TABLE SIDE_INPUT"):
			out = append(out, "CREATE TABLE side_input (`key` BIGINT, `value` VARCHAR) WITH (connector = 'file', path = 'side_input.csv', format = 'csv')")
		case strings.HasPrefix(upper, "CREATE TABLE"):
		case strings.HasPrefix(upper, "CREATE FUNCTION COUNT_CHAR"):
			out = append(out, "CREATE FUNCTION count_char(s VARCHAR, c VARCHAR) RETURNS BIGINT AS 'LENGTH(s) - LENGTH(REPLACE(s, c, ''''))'")
		case strings.HasPrefix(upper, "INSERT INTO"):
			out = append(out, regexp.MustCompile(`(?is)^INSERT\s+INTO\s+\S+\s*`).ReplaceAllString(st, ""))
		default:
			out = append(out, st)
		}
	}
	return tables + strings.Join(out, ";\n") + ";\n"
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
	var side strings.Builder
	side.WriteString("key,value\n")
	for k := 0; k < 10000; k++ {
		fmt.Fprintf(&side, "%d,v%d\n", k, k*7%100)
	}
	writeFile(t, dir, "side_input.csv", side.String())
	gen, files := nexmarkDDL("3000"), nexmarkFileDDL()
	nonEmpty := 0
	for i := 0; i <= 23; i++ {
		if i == 6 {
			continue
		}
		q, err := os.ReadFile(filepath.Join("..", "..", "testdata", "nexmark", fmt.Sprintf("q%d.sql", i)))
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("q%d", i)
		writeFile(t, dir, name+"_gen.sql", nexmarkScript(t, string(q), gen))
		writeFile(t, dir, name+"_file.sql", nexmarkScript(t, string(q), files))
		a, errA, codeA := runWeir(t, dir, "run", "--format", "jsonl", name+"_gen.sql")
		b, errB, codeB := runWeir(t, dir, "run", "--format", "jsonl", name+"_file.sql")
		if codeA != 0 || codeB != 0 {
			t.Errorf("%s: exit %d on the connector, %d on files\n%s%s", name, codeA, codeB, errA, errB)
			continue
		}
		if i == 12 {
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
