package postgres

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/postgres/pgtest"
	"github.com/weirdb/weir/vector"
)

// TestAppendInserts: an append-only result without a key is inserted, one
// transaction per Commit; Close writes what came after the last Commit.
func TestAppendInserts(t *testing.T) {
	dsn := pgtest.Start(t)
	conn := connect(t, dsn)
	s := mustSink(t, dsn, "counts", wordSchema, nil, "")
	if g := s.Guarantee(); g != "at least once" {
		t.Errorf("Guarantee() = %q", g)
	}
	if err := s.Write(batch(t, wordSchema, []any{"a", 1}, []any{"b", 2})); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(batch(t, wordSchema, []any{"a", 3})); err != nil {
		t.Fatal(err)
	}
	wantRows(t, conn, "SELECT word, n FROM counts") // nothing before the commit
	if err := s.Commit(1); err != nil {
		t.Fatal(err)
	}
	wantRows(t, conn, "SELECT word, n FROM counts", "a|1", "a|3", "b|2")
	if err := s.Write(batch(t, wordSchema, []any{nil, 4}, []any{"c", nil})); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wantRows(t, conn, "SELECT word, n FROM counts", "a|1", "a|3", "b|2", "NULL|4", "c|NULL")
}

// TestUpsertChangelog: an updating result is upserted (+I, +U) and deleted
// (-D, and -U unless its +U has the same key) by key; several changes to
// one key in a transaction end in the last.
func TestUpsertChangelog(t *testing.T) {
	dsn := pgtest.Start(t)
	conn := connect(t, dsn)
	cl := vector.WithOpColumn(wordSchema)
	s := mustSink(t, dsn, "counts", cl, []string{"word"}, "")
	defer s.Close()
	steps := []struct {
		rows [][]any
		want []string
	}{
		{[][]any{{"a", 1, "+I"}, {"b", 1, "+I"}, {"a", 1, "-U"}, {"a", 2, "+U"}, {"c", 7, "+I"}},
			[]string{"a|2", "b|1", "c|7"}},
		{[][]any{{"b", 1, "-D"}, {"a", 2, "-U"}, {"a", 3, "+U"}, {"d", 1, "+I"}, {"d", 1, "-D"}},
			[]string{"a|3", "c|7"}},
		{[][]any{{"b", 5, "+I"}, {"c", 7, "-D"}, {"c", 8, "+I"}},
			[]string{"a|3", "b|5", "c|8"}},
		// A -U whose +U has another key (the sink's key is not the
		// result's) deletes the old row.
		{[][]any{{"b", 5, "-U"}, {"e", 5, "+U"}},
			[]string{"a|3", "c|8", "e|5"}},
	}
	for i, st := range steps {
		if err := s.Write(batch(t, cl, st.rows...)); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(int64(i + 1)); err != nil {
			t.Fatal(err)
		}
		wantRows(t, conn, "SELECT word, n FROM counts", st.want...)
	}
	var pk string
	err := conn.QueryRow(context.Background(), `SELECT string_agg(a.attname, ',') FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = 'counts'::regclass AND i.indisprimary`).Scan(&pk)
	if err != nil || pk != "word" {
		t.Errorf("primary key of the created table: %q (%v), want word", pk, err)
	}
}

// TestUpsertAppendOnlyWithKey: an append-only result with a key (a window
// aggregate) is upserted, so a row written again replaces itself.
func TestUpsertAppendOnlyWithKey(t *testing.T) {
	dsn := pgtest.Start(t)
	conn := connect(t, dsn)
	s := mustSink(t, dsn, "counts", wordSchema, []string{"word"}, "")
	defer s.Close()
	for i := 1; i <= 2; i++ {
		if err := s.Write(batch(t, wordSchema, []any{"a", i}, []any{"b", 10})); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	wantRows(t, conn, "SELECT word, n FROM counts", "a|2", "b|10")
}

// TestTypesRoundTrip: each Weir column type gets its PostgreSQL type in a
// created table, and values (NULLs too) come back as written; timestamps
// are UTC wall-clock times in a TIMESTAMP column.
func TestTypesRoundTrip(t *testing.T) {
	dsn := pgtest.Start(t)
	conn := connect(t, dsn)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: vector.Int64, Nullable: true},
		{Name: "f", Type: vector.Float64, Nullable: true},
		{Name: "s", Type: vector.String, Nullable: true},
		{Name: "b", Type: vector.Boolean, Nullable: true},
		{Name: "ts", Type: vector.Timestamp, Nullable: true},
	}, nil)
	s := mustSink(t, dsn, "public.types", schema, nil, "")
	ts := time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC)
	if err := s.Write(batch(t, schema, []any{-9, 2.5, "é'\"x", true, ts}, []any{nil, nil, nil, nil, nil})); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wantRows(t, conn, `SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position)
FROM information_schema.columns WHERE table_name = 'types'`,
		"i bigint, f double precision, s text, b boolean, ts timestamp without time zone")
	wantRows(t, conn, "SELECT i, f, s, b, ts FROM types",
		`-9|2.5|é'"x|true|2024-01-02 03:04:05.678`, "NULL|NULL|NULL|NULL|NULL")
	wantRows(t, conn, "SELECT count(*) FROM types WHERE ts = '2024-01-02 03:04:05.678'", "1")
}

// TestExistingTable: an existing table is written to when its columns
// match (by name, whatever their order and case); a missing column, a
// missing unique constraint on the key, or a missing table with
// create = 'false' fail at start with one line that says so.
func TestExistingTable(t *testing.T) {
	dsn := pgtest.Start(t)
	conn := connect(t, dsn)
	exec1(t, conn, `CREATE TABLE ok (extra int DEFAULT 0, "N" bigint, "Word" text PRIMARY KEY)`)
	exec1(t, conn, "CREATE TABLE nokey (word text, n bigint)")
	exec1(t, conn, "CREATE TABLE short (word text PRIMARY KEY)")
	s := mustSink(t, dsn, "x", wordSchema, []string{"word"}, "", "table", "ok")
	if err := s.Write(batch(t, wordSchema, []any{"a", 1})); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wantRows(t, conn, `SELECT "Word", "N", extra FROM ok`, "a|1|0")

	for _, c := range []struct {
		table string
		key   []string
		opts  []string
		want  string
	}{
		{"short", nil, nil, `table sink: postgres sink: table "short" has no column n (it has word): add it, or write to another table`},
		{"nokey", []string{"word"}, nil, `table sink: postgres sink: table "nokey" has no PRIMARY KEY or UNIQUE constraint on exactly the key (word), which upserts need: add one, or write to another table`},
		{"missing", nil, []string{"create", "false"}, `table sink: postgres sink: table "missing" does not exist in the database, and option create is 'false'`},
		{"a.b.c", nil, nil, `table sink: option table: want 'table' or 'schema.table', got 'a.b.c'`},
		{"nosuchschema.t", nil, nil, `table sink: postgres sink: creating table "nosuchschema"."t": ERROR: schema "nosuchschema" does not exist (SQLSTATE 3F000)`},
	} {
		_, err := newSink(t, dsn, "sink", wordSchema, c.key, "", append([]string{"table", c.table}, c.opts...)...)
		if err == nil || err.Error() != c.want {
			t.Errorf("table %s:\n got %v\nwant %s", c.table, err, c.want)
		}
	}
}

// TestStartErrors: a bad DSN, an unreachable server, a missing privilege
// and an updating result without a key fail in NewSink with one line that
// names the sink table and never shows the password.
func TestStartErrors(t *testing.T) {
	dsn := pgtest.Start(t)
	conn := connect(t, dsn)
	exec1(t, conn, "CREATE TABLE owned (word text, n bigint)")
	// Roles belong to the whole server: one of this test's own.
	exec1(t, conn, "DROP ROLE IF EXISTS weir_reader")
	exec1(t, conn, "CREATE ROLE weir_reader LOGIN")
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP OWNED BY weir_reader")
		conn.Exec(context.Background(), "DROP ROLE IF EXISTS weir_reader")
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User("weir_reader")
	limited := u.String()

	_, err = newSink(t, "postgres://weir:sekrit@127.0.0.1:1/db?connect_timeout=2", "sink", wordSchema, nil, "")
	if err == nil || !strings.HasPrefix(err.Error(), "table sink: postgres sink: cannot connect to PostgreSQL (option dsn): ") ||
		strings.Contains(err.Error(), "sekrit") || strings.Contains(err.Error(), "\n") {
		t.Errorf("unreachable server: %v", err)
	}
	_, err = newSink(t, "postgres://weir:sekrit@127.0.0.1:notaport/db", "sink", wordSchema, nil, "")
	if err == nil || !strings.HasPrefix(err.Error(), "table sink: postgres sink: option dsn: ") || strings.Contains(err.Error(), "sekrit") {
		t.Errorf("bad DSN: %v", err)
	}
	nodb := strings.Replace(dsn, "/weir_test_", "/nosuch_", 1)
	_, err = newSink(t, nodb, "sink", wordSchema, nil, "")
	if err == nil || !strings.HasPrefix(err.Error(), "table sink: postgres sink: cannot connect to PostgreSQL (option dsn): ") ||
		!strings.Contains(err.Error(), `database "nosuch_`) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("no such database: %v", err)
	}
	_, err = newSink(t, limited, "sink", wordSchema, nil, "", "table", "owned")
	if want := `table sink: postgres sink: the role weir_reader has no INSERT privilege on table "owned": GRANT INSERT ON "owned" TO weir_reader`; err == nil || err.Error() != want {
		t.Errorf("no privilege:\n got %v\nwant %s", err, want)
	}
	_, err = newSink(t, dsn, "sink", vector.WithOpColumn(wordSchema), nil, "")
	if want := "table sink: postgres sink: the query's result is updating, and the postgres sink upserts and deletes it by key: declare PRIMARY KEY (...) NOT ENFORCED on the sink table"; err == nil || err.Error() != want {
		t.Errorf("changelog without a key:\n got %v\nwant %s", err, want)
	}
	_, err = newSink(t, dsn, "sink", wordSchema, []string{"nope"}, "")
	if want := "table sink: postgres sink: key column nope is not a column of the query's result (word, n)"; err == nil || err.Error() != want {
		t.Errorf("bad key:\n got %v\nwant %s", err, want)
	}
}

// TestOptions: the option declarations refuse bad values when the table
// is created, and misspelt options are errors.
func TestOptions(t *testing.T) {
	r := connectors.NewRegistry()
	r.RegisterSink("postgres", NewSink, Config())
	for _, c := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"dsn": "x", "table": `"a.b`}, `option table: unclosed quote in '"a.b'`},
		{map[string]string{"dsn": "x", "create": "maybe"}, "option create: want 'true' or 'false', got 'maybe'"},
		{map[string]string{"dsn": "x", "tabel": "t"}, "unknown option 'tabel' for connector 'postgres' (did you mean 'table'?)"},
		{map[string]string{"dsn": "x", "table": `s."Odd.Name"`, "create": "false"}, ""},
	} {
		c.opts["connector"] = "postgres"
		_, err := r.CheckOptions(wordSchema, c.opts)
		if got := errText(err); got != c.want {
			t.Errorf("%v:\n got %s\nwant %s", c.opts, got, c.want)
		}
	}
	for in, want := range map[string]string{`S."Odd.Name"`: `"s"."Odd.Name"`, "Counts": `"counts"`, `"A""b"`: `"A""b"`} {
		id, err := parseTableName(in)
		if err != nil || id.Sanitize() != want {
			t.Errorf("parseTableName(%s) = %v, %v; want %s", in, id.Sanitize(), err, want)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestRetryAfterLostConnection: a connection the server dropped is opened
// again, with a logged line, and the micro-batch is written once.
func TestRetryAfterLostConnection(t *testing.T) {
	dsn := pgtest.Start(t)
	conn := connect(t, dsn)
	s := mustSink(t, dsn, "counts", wordSchema, nil, "")
	defer s.Close()
	log := logTo(s)
	firstRetry = time.Millisecond
	defer func() { firstRetry = 500 * time.Millisecond }()
	if err := s.Write(batch(t, wordSchema, []any{"a", 1})); err != nil {
		t.Fatal(err)
	}
	exec1(t, conn, "SELECT pg_terminate_backend($1)", s.conn.PgConn().PID())
	if err := s.Commit(1); err != nil {
		t.Fatal(err)
	}
	wantRows(t, conn, "SELECT word, n FROM counts", "a|1")
	if !strings.Contains(log.String(), "table counts: postgres sink: writing micro-batch 1 failed (") ||
		!strings.Contains(log.String(), "retry 1 of 4 in 1ms") {
		t.Errorf("log:\n%s", log)
	}
}

// TestRetryGivesUp: a server that stays unreachable fails the query after
// the last attempt, with a line that says how many were made; each retry
// was logged.
func TestRetryGivesUp(t *testing.T) {
	dsn := pgtest.Start(t)
	s := mustSink(t, dsn, "counts", wordSchema, nil, "")
	defer s.Close()
	log := logTo(s)
	firstRetry = time.Millisecond
	defer func() { firstRetry = 500 * time.Millisecond }()
	s.conn.Close(context.Background())
	s.conn = nil
	s.cfg.Port = 1 // nothing listens there
	if err := s.Write(batch(t, wordSchema, []any{"a", 1})); err != nil {
		t.Fatal(err)
	}
	err := s.Commit(1)
	if err == nil || !strings.HasPrefix(err.Error(), "table counts: postgres sink: writing micro-batch 1: PostgreSQL unreachable after 5 attempts: failed to connect") {
		t.Errorf("Commit: %v", err)
	}
	if n := strings.Count(log.String(), "level=WARN"); n != 4 {
		t.Errorf("%d retries logged, want 4:\n%s", n, log)
	}
	if err2 := s.Commit(2); err2 != err {
		t.Errorf("the next Commit: %v, want the first error again", err2)
	}
}
