package planner

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/file"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

// TestSinkAcceptsChangelog: an updating query's rows go only into a sink
// that declares it takes a changelog with the table's options; append-only
// rows go anywhere.
func TestSinkAcceptsChangelog(t *testing.T) {
	reg := connectors.NewRegistry()
	reg.RegisterSource("file", file.NewSource, file.SourceConfig())
	reg.RegisterSink("file", file.NewSink, file.SinkConfig())
	reg.RegisterSink("blackhole", func(connectors.SinkSpec) (connectors.Sink, error) { return nil, nil })
	sess := NewSession(reg)
	stmts, err := sql.Parse(`
CREATE TABLE plain (word VARCHAR, n BIGINT) WITH (connector = 'file', path = 'out.json');
CREATE TABLE log (word VARCHAR, n BIGINT) WITH (connector = 'file', path = 'out.json', changelog = 'true');
CREATE TABLE dbz (word VARCHAR, n BIGINT) WITH (connector = 'file', path = 'out.json', format = 'debezium-json');
CREATE TABLE hole (word VARCHAR, n BIGINT) WITH (connector = 'blackhole');`)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stmts {
		if _, err := sess.Execute(st); err != nil {
			t.Fatal(err)
		}
	}
	appendOnly := arrow.NewSchema([]arrow.Field{
		{Name: "word", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	updating := vector.WithOpColumn(appendOnly)
	for _, tc := range []struct {
		table  string
		schema *arrow.Schema
		want   string
	}{
		{"plain", appendOnly, ""},
		{"hole", appendOnly, ""},
		{"log", updating, ""},
		{"dbz", updating, ""},
		{"plain", updating, "INSERT INTO plain: the query's result is updating (it changes rows it emitted before); " +
			"the file sink writes an updating result only as a changelog: set changelog = 'true' (JSON lines with an _op key) or format = 'debezium-json'"},
		{"hole", updating, `INSERT INTO hole: the query's result is updating (it changes rows it emitted before), but connector "blackhole" writes only append-only results`},
	} {
		err := sess.sinkAccepts(nil, tc.schema, sess.Catalog.Lookup(tc.table))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s, updating %v: %q\nwant %q", tc.table, vector.IsChangelog(tc.schema), got, tc.want)
		}
	}
}
