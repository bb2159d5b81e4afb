package main

import (
	"strings"
	"testing"

	"github.com/weirdb/weir/planner"
)

// TestRegistryOptionDocs: every connector Weir ships declares its options,
// each with a one-line doc, and enums list their values.
func TestRegistryOptionDocs(t *testing.T) {
	docs := planner.ConnectorDocs(registry())
	if len(docs) != 11 {
		t.Fatalf("%d connectors, want 11 (file source and sink, socket, directory, datagen, nexmark, blackhole, dashboard, kafka source and sink, postgres)", len(docs))
	}
	for _, c := range docs {
		if c.Spec.Summary == "" || len(c.Spec.Options) == 0 {
			t.Errorf("%s %s: no summary or no declared options", c.Name, c.Kind)
		}
		seen := map[string]bool{}
		for _, o := range c.Spec.Options {
			switch {
			case seen[o.Name]:
				t.Errorf("%s %s: option %s declared twice", c.Name, c.Kind, o.Name)
			case o.Name != strings.ToLower(o.Name) || strings.Contains(o.Name, "-"):
				t.Errorf("%s %s: option %s: names are lower-case with '_'", c.Name, c.Kind, o.Name)
			case o.Doc == "" || strings.Contains(o.Doc, "\n"):
				t.Errorf("%s %s: option %s has no one-line doc", c.Name, c.Kind, o.Name)
			case o.Type.String() == "enum" && len(o.Values) == 0:
				t.Errorf("%s %s: enum option %s lists no values", c.Name, c.Kind, o.Name)
			}
			seen[o.Name] = true
		}
		if c.Kind == "source" && !seen["on_error"] {
			t.Errorf("%s source: lacks the shared option on_error", c.Name)
		}
	}
}

func TestConnectorsCommand(t *testing.T) {
	out, errOut, code := runWeir(t, t.TempDir(), "connectors")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, s := range []string{"datagen (source): makes up rows", "file (sink): writes JSON lines or CSV", "blackhole (sink): discards every row", "dashboard (sink): shows a query's results as a live chart", "kafka (sink): writes records to a Kafka topic"} {
		if !strings.Contains(out, s) {
			t.Errorf("weir connectors lacks %q:\n%s", s, out)
		}
	}
	// Table rows, cell by cell.
	rows := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		var cells []string
		for _, c := range strings.Split(strings.Trim(line, "│"), "│") {
			cells = append(cells, strings.TrimSpace(c))
		}
		rows[strings.Join(cells, " | ")] = true
	}
	for _, r := range []string{
		"option | type | default | doc",
		"port | int | required | the server's TCP port, 1 to 65535",
		"max_record_bytes | size | 1MiB | the longest record accepted; a longer one is a bad row, skipped and never buffered whole",
		"rolling | enum(none|batch) | none | none: all output in one file; batch: a new file for each micro-batch, named from path and suffix",
		"fields.<column>.kind | enum(random|sequence) | random | random, or sequence (BIGINT only)",
		"nexmark.table.type | enum(person|auction|bid) | required | the kind of event the table holds: person, auction or bid",
	} {
		if !rows[r] {
			t.Errorf("weir connectors lacks the row %q:\n%s", r, out)
		}
	}
	if n := strings.Count(out, " (source): ") + strings.Count(out, " (sink): "); n != 11 {
		t.Errorf("%d sections, want 11", n)
	}
}

// TestUnknownOptionE2E: a misspelled WITH option stops the script at
// CREATE TABLE, pointing at the option, before any query runs.
func TestUnknownOptionE2E(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "clicks.csv", clicksCSV)
	writeFile(t, dir, "q.sql", "CREATE TABLE clicks (user_id BIGINT)\n  WITH (connector = 'file', path = 'clicks.csv', on_eror = 'fail');\nSELECT user_id FROM clicks;\n")
	out, errOut, code := runWeir(t, dir, "run", "q.sql", "--format", "csv")
	want := "weir: line 2, column 50: table clicks: unknown option 'on_eror' for connector 'file' (did you mean 'on_error'?)\n" +
		"  WITH (connector = 'file', path = 'clicks.csv', on_eror = 'fail');\n" +
		"                                                 ^^^^^^^\n"
	if code != 1 || out != "" || errOut != want {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant stderr:\n%s", code, out, errOut, want)
	}
}
