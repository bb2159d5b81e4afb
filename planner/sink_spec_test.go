package planner

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/datagen"
	"github.com/weirdb/weir/sql"
)

// TestSinkSpec: a sink is told the result's key (the table's PRIMARY
// KEY, else the aggregation's keys), the query's name and, with
// checkpoints, a state directory of its own in the query's.
func TestSinkSpec(t *testing.T) {
	var got []connectors.SinkSpec
	reg := connectors.NewRegistry()
	reg.RegisterSource("datagen", datagen.NewSource, datagen.Config())
	reg.RegisterSink("capture", func(spec connectors.SinkSpec) (connectors.Sink, error) {
		got = append(got, spec)
		return nil, nil
	}, connectors.ConfigSpec{Options: connectors.Declare(nil), Changelog: func(map[string]string) error { return nil }})
	s := NewSession(reg)
	s.CheckpointDir = t.TempDir()
	stmts, err := sql.Parse(`
CREATE TABLE words (word VARCHAR, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (connector = 'datagen');
CREATE TABLE words2 (word VARCHAR, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (connector = 'datagen');
CREATE TABLE words3 (word VARCHAR, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (connector = 'datagen');
CREATE TABLE keyed (w VARCHAR, n BIGINT, PRIMARY KEY (w) NOT ENFORCED) WITH (connector = 'capture');
CREATE TABLE windows (s TIMESTAMP(3), e TIMESTAMP(3), w VARCHAR, n BIGINT) WITH (connector = 'capture');
CREATE TABLE plain (w VARCHAR) WITH (connector = 'capture');
INSERT INTO keyed SELECT word, COUNT(*) FROM words GROUP BY word;
INSERT INTO windows SELECT window_start, window_end, word, COUNT(*) FROM words2 GROUP BY word, TUMBLE(ts, INTERVAL '1' MINUTE);
INSERT INTO plain SELECT word FROM words3`)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stmts {
		res, err := s.Execute(st)
		if err != nil {
			t.Fatal(err)
		}
		if res.Query != nil {
			q, err := res.Query.Build(nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range q.Closers {
				c.Close()
			}
		}
	}
	want := []string{"keyed q1 [w]", "windows q2 [s e w]", "plain q3 []"}
	if len(got) != len(want) {
		t.Fatalf("%d sinks opened, want %d", len(got), len(want))
	}
	for i, spec := range got {
		if g := spec.Table + " " + spec.Query + " [" + strings.Join(spec.Key, " ") + "]"; g != want[i] {
			t.Errorf("sink %d: %s, want %s", i, g, want[i])
		}
		if dir := filepath.Join(s.CheckpointDir, spec.Query, "sink"); spec.StateDir != dir || !spec.Checkpointed {
			t.Errorf("sink %s: state dir %q, checkpointed %v; want %q", spec.Table, spec.StateDir, spec.Checkpointed, dir)
		}
	}
}

// TestBuildTask: a task of a query has the query's id, its own state
// directories and sink name, and its tables' options overridden.
func TestBuildTask(t *testing.T) {
	var got []connectors.SinkSpec
	var srcOpts []map[string]string
	reg := connectors.NewRegistry()
	reg.RegisterSource("datagen", func(spec connectors.SourceSpec) (connectors.Source, error) {
		srcOpts = append(srcOpts, spec.Options)
		return datagen.NewSource(spec)
	}, datagen.Config())
	reg.RegisterSink("capture", func(spec connectors.SinkSpec) (connectors.Sink, error) {
		got = append(got, spec)
		return nil, nil
	}, connectors.ConfigSpec{Options: connectors.Declare([]connectors.Option{{Name: "mark", Type: connectors.String}})})
	s := NewSession(reg)
	s.CheckpointDir = t.TempDir()
	stmts, err := sql.Parse(`
CREATE TABLE words (word VARCHAR) WITH (connector = 'datagen', seed = '5');
CREATE TABLE sunk (w VARCHAR) WITH (connector = 'capture', mark = 'a');
INSERT INTO sunk SELECT word FROM words`)
	if err != nil {
		t.Fatal(err)
	}
	var p *Prepared
	for _, st := range stmts {
		res, err := s.Execute(st)
		if err != nil {
			t.Fatal(err)
		}
		if res.Query != nil {
			p = res.Query
		}
	}
	id := p.ReserveID()
	for _, name := range []string{"p0", "p3"} {
		q, err := p.BuildTask(nil, Task{ID: id, Name: name, Options: map[string]map[string]string{
			"words": {"seed": "", "rows_per_second": "7"}, "sunk": {"mark": name}}})
		if err != nil {
			t.Fatal(err)
		}
		if q.ID != id {
			t.Errorf("task %s has id %d, want %d", name, q.ID, id)
		}
		for _, in := range q.Inputs() {
			in.Source.Close()
		}
	}
	if s.nextID != id {
		t.Errorf("building tasks moved the next query id to %d", s.nextID+1)
	}
	for i, name := range []string{"p0", "p3"} {
		spec := got[i]
		if want := "q1-" + name; spec.Query != want || spec.Options["mark"] != name {
			t.Errorf("task %s: sink named %q with mark %q", name, spec.Query, spec.Options["mark"])
		}
		if dir := filepath.Join(s.CheckpointDir, "q1", name, "sink"); spec.StateDir != dir {
			t.Errorf("task %s: sink state in %q, want %q", name, spec.StateDir, dir)
		}
		if o := srcOpts[i]; o["seed"] != "" || o["rows_per_second"] != "7" {
			t.Errorf("task %s: source options %v", name, o)
		}
	}
	if s.Catalog.Lookup("words").Options["seed"] != "5" {
		t.Error("a task changed the table's own options")
	}
}
