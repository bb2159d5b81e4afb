package postgres

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/postgres/pgtest"
	"github.com/weirdb/weir/vector"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// wordSchema is (word VARCHAR, n BIGINT).
var wordSchema = arrow.NewSchema([]arrow.Field{
	{Name: "word", Type: vector.String, Nullable: true},
	{Name: "n", Type: vector.Int64, Nullable: true},
}, nil)

// batch builds a batch of schema from rows; a changelog schema's rows
// end with their kind ("+I", "-U", "+U", "-D").
func batch(t testing.TB, schema *arrow.Schema, rows ...[]any) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, row := range rows {
		for i, v := range row {
			fb := b.Field(i)
			if v == nil {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.Int64Builder:
				fb.Append(int64(v.(int)))
			case *array.Float64Builder:
				fb.Append(v.(float64))
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.BooleanBuilder:
				fb.Append(v.(bool))
			case *array.TimestampBuilder:
				fb.Append(arrow.Timestamp(v.(time.Time).UnixMilli()))
			case *array.Int8Builder: // the op column
				fb.Append(int8(kindOf(t, v.(string))))
			default:
				t.Fatalf("batch: no builder for %T", fb)
			}
		}
	}
	return b.NewRecordBatch()
}

func kindOf(t testing.TB, s string) vector.RowKind {
	for k := vector.Insert; k <= vector.Delete; k++ {
		if k.String() == s {
			return k
		}
	}
	t.Fatalf("unknown row kind %q", s)
	return 0
}

// newSink opens a sink of table name over dsn; extra options are pairs.
func newSink(t testing.TB, dsn, name string, schema *arrow.Schema, key []string, stateDir string, opts ...string) (*Sink, error) {
	t.Helper()
	o := map[string]string{"connector": "postgres", "dsn": dsn}
	for i := 0; i+1 < len(opts); i += 2 {
		o[opts[i]] = opts[i+1]
	}
	spec := connectors.SinkSpec{Table: name, Schema: schema, Options: o, Key: key, Query: "q1",
		Checkpointed: stateDir != "", StateDir: stateDir}
	s, err := NewSink(spec)
	if err != nil {
		return nil, err
	}
	return s.(*Sink), nil
}

func mustSink(t *testing.T, dsn, name string, schema *arrow.Schema, key []string, stateDir string, opts ...string) *Sink {
	t.Helper()
	s, err := newSink(t, dsn, name, schema, key, stateDir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// connect opens a connection for the test's own queries.
func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func exec1(t *testing.T, conn *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// tableRows returns the rows of query, each as its values joined by '|'
// (NULL as "NULL"), sorted.
func tableRows(t *testing.T, conn *pgx.Conn, query string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			switch v := v.(type) {
			case nil:
				parts[i] = "NULL"
			case time.Time:
				parts[i] = v.Format("2006-01-02 15:04:05.000")
			default:
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func wantRows(t *testing.T, conn *pgx.Conn, query string, want ...string) {
	t.Helper()
	got := tableRows(t, conn, query)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", query, got, want)
	}
}

// logTo makes s log to a buffer, returned.
func logTo(s *Sink) *bytes.Buffer {
	var buf bytes.Buffer
	s.log = slog.New(slog.NewTextHandler(&buf, nil))
	return &buf
}
