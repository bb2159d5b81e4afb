package planner

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/datagen"
	"github.com/weirdb/weir/connectors/fanout"
	"github.com/weirdb/weir/connectors/file"
	"github.com/weirdb/weir/connectors/socket"
	"github.com/weirdb/weir/sql"
)

func sourcesSession(t *testing.T, ddl string) *Session {
	t.Helper()
	reg := connectors.NewRegistry()
	reg.RegisterSource("datagen", datagen.NewSource, datagen.Config())
	reg.RegisterSource("file", file.NewSource, file.SourceConfig())
	reg.RegisterSource("socket", socket.NewSource, socket.Config())
	s := NewSession(reg)
	stmts, err := sql.Parse(ddl)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stmts {
		if _, err := s.Execute(st); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// specFor is the spec Build gives a reader of table name.
func specFor(s *Session, name string) connectors.SourceSpec {
	tb := s.Catalog.Lookup(name)
	return connectors.SourceSpec{Table: tb.Name, Schema: tb.Schema, Options: tb.Options, Alloc: s.Alloc,
		BadRow: func(connectors.BadRow) error { return nil }, Log: slog.New(slog.DiscardHandler)}
}

func mustOpen(t *testing.T, s *Session, name string) connectors.Source {
	t.Helper()
	src, err := s.openSource(specFor(s, name))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestOpenSourceSharesLiveTables: readers of a live table share one hub,
// which the session forgets when the last reader closes; the next reader
// opens the table anew.
func TestOpenSourceSharesLiveTables(t *testing.T) {
	s := sourcesSession(t, `CREATE TABLE g (k BIGINT) WITH (connector = 'datagen');`)
	a, b := mustOpen(t, s, "g"), mustOpen(t, s, "g")
	_, aShared := a.(*fanout.Subscriber)
	_, bShared := b.(*fanout.Subscriber)
	if !aShared || !bShared || len(s.sources.hubs) != 1 {
		t.Fatalf("live table not shared: %T, %T, %d hubs", a, b, len(s.sources.hubs))
	}
	hub := s.sources.hubs[s.Catalog.Lookup("g")]
	if n := hub.Subscribers(); n != 2 {
		t.Fatalf("hub has %d readers, want 2", n)
	}
	a.Close()
	if len(s.sources.hubs) != 1 {
		t.Fatal("hub forgotten while a reader is left")
	}
	b.Close()
	if len(s.sources.hubs) != 0 {
		t.Fatal("hub kept after its last reader closed")
	}
	c := mustOpen(t, s, "g")
	if s.sources.hubs[s.Catalog.Lookup("g")] == hub {
		t.Error("a closed hub was reused")
	}
	c.Close()
}

// readAll reads a live bounded source to its end.
func readAll(t *testing.T, src connectors.Source) []int64 {
	t.Helper()
	if err := src.(connectors.Starter).Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var out []int64
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, err := src.Next(context.Background(), 100)
		switch {
		case errors.Is(err, connectors.ErrEndOfInput):
			return out
		case errors.Is(err, connectors.ErrNoData):
			time.Sleep(5 * time.Millisecond) // the generator's pace
			continue
		case err != nil:
			t.Fatal(err)
		}
		out = append(out, b.Column(0).(*array.Int64).Int64Values()...)
		b.Release()
	}
	t.Fatal("no end of input")
	return nil
}

// TestOpenSourceBoundedDatagenSameRows: each reader of a bounded datagen
// table without a seed opens its own generator, with the seed fixed for
// the table, so both read the same rows.
func TestOpenSourceBoundedDatagenSameRows(t *testing.T) {
	s := sourcesSession(t, `CREATE TABLE g (k BIGINT) WITH (connector = 'datagen', number_of_rows = '300', rows_per_second = '100000');`)
	a, b := mustOpen(t, s, "g"), mustOpen(t, s, "g")
	defer a.Close()
	defer b.Close()
	if _, ok := a.(*fanout.Subscriber); ok {
		t.Fatal("bounded table shared")
	}
	ra, rb := readAll(t, a), readAll(t, b)
	if len(ra) != 300 || !reflect.DeepEqual(ra, rb) {
		t.Errorf("readers got %d and %d rows, equal: %v", len(ra), len(rb), reflect.DeepEqual(ra, rb))
	}
	if _, ok := s.Catalog.Lookup("g").Options["seed"]; ok {
		t.Error("the table's own options were changed")
	}
}

// TestOpenSourceCheckpointedLiveTableOnce: with checkpoints a live table
// is not shared, and a second reader is refused with one clear error; a
// file table may be read by several queries.
func TestOpenSourceCheckpointedLiveTableOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.txt")
	if err := os.WriteFile(path, []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := sourcesSession(t, `CREATE TABLE sock (line VARCHAR) WITH (connector = 'socket', host = '127.0.0.1', port = '1', format = 'text');
CREATE TABLE f (line VARCHAR) WITH (connector = 'file', path = '`+path+`', format = 'text');`)
	s.CheckpointDir = t.TempDir()
	spec := specFor(s, "sock")
	spec.StateDir = t.TempDir()
	a, err := s.openSource(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, ok := a.(*fanout.Subscriber); ok {
		t.Fatal("a checkpointed live table was shared")
	}
	want := "table sock is read by query 1 twice; with --checkpoint-dir each live table can be read by one query for now"
	if _, err := s.openSource(spec); err == nil || err.Error() != want {
		t.Errorf("second reader in one query: %v, want %q", err, want)
	}
	s.nextID++ // the next query
	want = "table sock is read by queries 1 and 2; with --checkpoint-dir each live table can be read by one query for now"
	if _, err := s.openSource(spec); err == nil || err.Error() != want {
		t.Errorf("second query: %v, want %q", err, want)
	}
	for i := range 2 {
		src, err := s.openSource(specFor(s, "f"))
		if err != nil {
			t.Fatalf("file table, reader %d: %v", i+1, err)
		}
		src.Close()
	}
}
