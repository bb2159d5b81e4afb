package planner

import (
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/pingcap/tidb/pkg/parser/ast"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

// Session executes statements against a catalog. It is used by one
// goroutine at a time; the queries it built may end on others (releasing
// the live sources they shared, see openSource).
type Session struct {
	// Catalog holds the registered tables.
	Catalog *catalog.Catalog
	// Registry builds sources and sinks.
	Registry *connectors.Registry
	// Alloc allocates every batch of the queries built.
	Alloc memory.Allocator
	// BadRow is told of every input record a source skips; nil skips
	// silently (the count is still kept by the caller's handler).
	BadRow connectors.BadRowHandler
	// CheckpointDir, when set, is where checkpointed queries keep their
	// state: query n uses CheckpointDir/q<n>, its source CheckpointDir/q<n>/source.
	CheckpointDir string
	// Log receives notices from sources (reconnects and the like); nil
	// discards them.
	Log *slog.Logger
	// Settings are the values of SET statements, keys lower-cased.
	Settings map[string]string

	nextID int
	// functions are the functions made by CREATE FUNCTION, by lower-case
	// name (see functions.go).
	functions map[string]*sqlFunction
	// sources are the live sources open now, shared by the queries that
	// read them, and the seeds fixed per table (see openSource).
	sources sharedSources
}

// NewSession returns a session over an empty catalog.
func NewSession(reg *connectors.Registry) *Session {
	return &Session{
		Catalog:  catalog.New(),
		Registry: reg,
		Alloc:    memory.DefaultAllocator,
		Settings: map[string]string{"batch_interval": "1s", "batch_size": "8192", "checkpoint_interval": "10s", "checkpoint_batches": "0"},
	}
}

// ResultKind says what a statement produced.
type ResultKind int

// The kinds of result.
const (
	// ResultOK is a statement that only changed the session.
	ResultOK ResultKind = iota
	// ResultRows is a small table of text (SHOW, DESCRIBE, EXPLAIN).
	ResultRows
	// ResultQuery is a continuous query, ready to start.
	ResultQuery
)

// Result is what executing one statement produced.
type Result struct {
	Kind ResultKind
	// Message describes a ResultOK ("table clicks created").
	Message string
	// Columns and Rows are a ResultRows table.
	Columns []string
	Rows    [][]string
	// Query is a ResultQuery's prepared query.
	Query *Prepared
}

// settings the SET statement knows, with what they mean.
var knownSettings = map[string]string{
	"batch_interval":      "time between micro-batches of live sources, e.g. '200ms'",
	"batch_size":          "maximum rows read from a source per micro-batch",
	"checkpoint_interval": "time between checkpoints with --checkpoint-dir, e.g. '10s'",
	"checkpoint_batches":  "also checkpoint every that many batches (0: only by time)",
	"state_ttl":           "drop the state of a GROUP BY key not updated for that long, e.g. '1h' (as Flink's table.exec.state.ttl; 0, the default: keep it)",
	"max_state_bytes":     "most state one operator of a query may hold, e.g. '512MiB' (0: no limit; default: half the memory available)",
	"http":                "serve the dashboard and its API at this HOST:PORT, as weir run --http does (before the script's queries start)",
	"parallelism":         "workers of each query: 1 runs it on one goroutine, 2 as pipelined stages with sources decoding on both, 3 and up also splits operators and keyed state into that many partitions (default: the number of cores)",
}

// Execute runs one statement: DDL and SET take effect at once; SELECT and
// INSERT are planned, their sources and sinks checked, and returned ready
// to start.
func (s *Session) Execute(stmt *sql.Statement) (*Result, error) {
	if res, ok, err := s.functionStatement(stmt); ok {
		return res, err
	}
	switch n := stmt.Node.(type) {
	case *ast.CreateTableStmt:
		return s.createTable(stmt, n)
	case *ast.DropTableStmt:
		drop := s.Catalog.Drop
		if n.IsView {
			drop = s.Catalog.DropView
		}
		for _, t := range n.Tables {
			if err := drop(t.Name.O, n.IfExists); err != nil {
				return nil, errAt(stmt, t.Name.O, "%v", err)
			}
		}
		return &Result{Kind: ResultOK, Message: "dropped"}, nil
	case *ast.CreateViewStmt:
		return s.createView(stmt, n)
	case *ast.ShowStmt:
		return s.show(stmt, n)
	case *ast.ExplainStmt:
		if sh, ok := n.Stmt.(*ast.ShowStmt); ok {
			return s.show(stmt, sh)
		}
		return s.explain(stmt, n)
	case *ast.SelectStmt, *ast.SetOprStmt:
		return s.prepareSelect(stmt, n, nil)
	case *ast.InsertStmt:
		return s.prepareInsert(stmt, n)
	case *ast.SetStmt:
		return s.set(stmt, n)
	case nil:
		if stmt.Command == "SHOW CONNECTORS" {
			return s.showConnectors(), nil
		}
		return nil, errAt(stmt, "", "%s is available only in the shell", stmt.Command)
	}
	return nil, errAt(stmt, "", "statement not supported: %s", firstWord(stmt.Text))
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return strings.ToUpper(f[0])
	}
	return s
}

func (s *Session) createTable(stmt *sql.Statement, n *ast.CreateTableStmt) (*Result, error) {
	if n.ReferTable != nil || n.Select != nil {
		return nil, errAt(stmt, "", "CREATE TABLE ... LIKE / AS SELECT is not supported")
	}
	name := n.Table.Name.O
	var fields []arrow.Field
	seen := map[string]bool{}
	for _, c := range n.Cols {
		cname := c.Name.Name.O
		if seen[strings.ToLower(cname)] {
			return nil, errAt(stmt, cname, "column %s is declared twice", cname)
		}
		seen[strings.ToLower(cname)] = true
		t, ok := arrowType(c.Tp)
		if !ok {
			return nil, errAt(stmt, cname, "column %s: type %s is not supported (use BIGINT, DOUBLE, VARCHAR, BOOLEAN or TIMESTAMP(3))", cname, sqlTypeName(c.Tp))
		}
		fields = append(fields, arrow.Field{Name: cname, Type: t, Nullable: true})
	}
	if len(fields) == 0 {
		return nil, errAt(stmt, name, "table %s needs at least one column", name)
	}
	opts := map[string]string{}
	for k, v := range stmt.With {
		opts[strings.ToLower(k)] = v
	}
	if opts["connector"] == "" {
		return nil, errAt(stmt, name, "table %s needs WITH (connector = '...'): one of %s", name, s.connectorNames())
	}
	conn := strings.ToLower(opts["connector"])
	if !s.Registry.HasSource(conn) && !s.Registry.HasSink(conn) {
		return nil, errAt(stmt, "connector", "unknown connector %q (have %s)", opts["connector"], s.connectorNames())
	}
	schema := arrow.NewSchema(fields, nil)
	opts, err := s.checkOptions(stmt, name, schema, opts)
	if err != nil {
		return nil, err
	}
	if err := checkChangelogColumns(stmt, name, fields, opts); err != nil {
		return nil, err
	}
	t := &catalog.Table{Name: name, Schema: schema, Options: opts, SQL: stmt.Text}
	if t.PrimaryKey, err = primaryKey(stmt, n, fields); err != nil {
		return nil, err
	}
	if w := stmt.Watermark; w != nil {
		idx := schema.FieldIndices(w.Column)
		if len(idx) == 0 {
			for i, f := range fields {
				if strings.EqualFold(f.Name, w.Column) {
					idx = []int{i}
				}
			}
		}
		if len(idx) == 0 {
			return nil, errAt(stmt, w.Column, "WATERMARK FOR %s: no such column", w.Column)
		}
		if fields[idx[0]].Type.ID() != arrow.TIMESTAMP {
			return nil, errAt(stmt, w.Column, "WATERMARK FOR %s: the column must be TIMESTAMP(3), not %s", w.Column, vector.TypeName(fields[idx[0]].Type))
		}
		t.Watermark = &catalog.Watermark{Column: fields[idx[0]].Name, Delay: w.Delay}
	}
	if err := s.Catalog.Create(t, n.IfNotExists); err != nil {
		return nil, errAt(stmt, name, "%v", err)
	}
	return &Result{Kind: ResultOK, Message: "table " + name + " created"}, nil
}

// createView plans CREATE VIEW's query (to check it and learn its
// columns) and registers the view. Each query that reads the view plans
// its query again, once however many times it reads it.
func (s *Session) createView(stmt *sql.Statement, n *ast.CreateViewStmt) (*Result, error) {
	name := n.ViewName.Name.O
	text, err := viewQueryText(stmt, name)
	if err != nil {
		return nil, errAt(stmt, name, "%v", err)
	}
	if len(n.Cols) > 0 {
		return nil, errAt(stmt, name, "CREATE VIEW %s (columns) is not supported: name the columns in the query (AS alias)", name)
	}
	sp := &selectPlanner{sess: s, stmt: stmt, proc: new(atomic.Int64), shared: newShared()}
	root, err := sp.planQuery(n.Select)
	if err != nil {
		return nil, err
	}
	if old := s.Catalog.Lookup(name); old != nil && n.OrReplace {
		if !old.IsView() {
			return nil, errAt(stmt, name, "%s is a table, not a view", name)
		}
		if err := s.Catalog.DropView(name, true); err != nil {
			return nil, errAt(stmt, name, "%v", err)
		}
	}
	t := &catalog.Table{Name: name, Schema: root.Schema(), SQL: stmt.Text, View: text}
	if err := s.Catalog.Create(t, false); err != nil {
		return nil, errAt(stmt, name, "%v", err)
	}
	return &Result{Kind: ResultOK, Message: "view " + name + " created"}, nil
}

func (s *Session) connectorNames() string {
	return strings.Join(s.Registry.Names(), ", ")
}

func (s *Session) show(stmt *sql.Statement, n *ast.ShowStmt) (*Result, error) {
	switch n.Tp {
	case ast.ShowTables:
		r := &Result{Kind: ResultRows, Columns: []string{"table", "connector", "columns"}}
		for _, t := range s.Catalog.Tables() {
			conn := t.Connector()
			if t.IsView() {
				conn = "(view)"
			}
			r.Rows = append(r.Rows, []string{t.Name, conn, fmt.Sprint(t.Schema.NumFields())})
		}
		return r, nil
	case ast.ShowColumns:
		t := s.Catalog.Lookup(n.Table.Name.O)
		if t == nil {
			return nil, errAt(stmt, n.Table.Name.O, "unknown table %s", n.Table.Name.O)
		}
		r := &Result{Kind: ResultRows, Columns: []string{"column", "type", "watermark", "doc"}}
		for _, f := range t.Schema.Fields() {
			wm := ""
			if t.Watermark != nil && strings.EqualFold(t.Watermark.Column, f.Name) {
				wm = fmt.Sprintf("%s - %s", f.Name, t.Watermark.Delay)
			}
			r.Rows = append(r.Rows, []string{f.Name, vector.TypeName(f.Type), wm, ""})
		}
		if t.IsView() {
			r.Rows = append(r.Rows, []string{"", "view query", t.View, ""})
		}
		keys := make([]string, 0, len(t.Options))
		for k := range t.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			r.Rows = append(r.Rows, []string{"", "option " + k, t.Options[k], s.optionDoc(t.Connector(), k)})
		}
		for _, o := range s.defaultOptions(t.Connector(), t.Options) {
			r.Rows = append(r.Rows, []string{"", "option " + o.Name, o.Default + " (default)", o.Doc})
		}
		return r, nil
	}
	return nil, errAt(stmt, "SHOW", "only SHOW TABLES, SHOW CONNECTORS and DESCRIBE table are supported")
}

func (s *Session) set(stmt *sql.Statement, n *ast.SetStmt) (*Result, error) {
	for _, v := range n.Variables {
		name := strings.ToLower(v.Name)
		if _, ok := knownSettings[name]; !ok {
			var names []string
			for k := range knownSettings {
				names = append(names, k)
			}
			sort.Strings(names)
			return nil, errAt(stmt, v.Name, "unknown setting %s (have %s)", v.Name, strings.Join(names, ", "))
		}
		val, ok := v.Value.(*driver.ValueExpr)
		if !ok {
			return nil, errAt(stmt, v.Name, "SET %s needs a constant value", v.Name)
		}
		text := fmt.Sprint(val.GetValue())
		switch name {
		case "batch_interval":
			if d, err := sql.ParseInterval(text); err != nil || d <= 0 {
				return nil, errAt(stmt, v.Name, "SET batch_interval: bad interval %q", text)
			}
		case "checkpoint_interval":
			if d, err := sql.ParseInterval(text); err != nil || d <= 0 {
				return nil, errAt(stmt, v.Name, "SET checkpoint_interval: bad interval %q", text)
			}
		case "checkpoint_batches":
			var n int
			if _, err := fmt.Sscan(text, &n); err != nil || n < 0 {
				return nil, errAt(stmt, v.Name, "SET checkpoint_batches: need a number of batches, got %q", text)
			}
		case "state_ttl":
			if d, err := sql.ParseInterval(text); text != "0" && (err != nil || d < 0) {
				return nil, errAt(stmt, v.Name, "SET state_ttl: bad interval %q: give a duration such as '1h' or '30m', or '0' to keep state forever", text)
			}
		case "max_state_bytes":
			if _, err := parseStateBytes(text); err != nil {
				return nil, errAt(stmt, v.Name, "SET max_state_bytes: %v", err)
			}
		case "batch_size":
			var n int
			if _, err := fmt.Sscan(text, &n); err != nil || n <= 0 {
				return nil, errAt(stmt, v.Name, "SET batch_size: need a positive number of rows, got %q", text)
			}
		case "http":
			if _, port, err := net.SplitHostPort(text); err != nil || port == "" {
				return nil, errAt(stmt, v.Name, "SET http: want HOST:PORT such as '127.0.0.1:8080', got %q", text)
			}
		case "parallelism":
			if _, err := ParseParallelism(text); err != nil {
				return nil, errAt(stmt, v.Name, "SET parallelism: %v", err)
			}
		}
		s.Settings[name] = text
	}
	return &Result{Kind: ResultOK, Message: "set"}, nil
}

// parseStateBytes reads max_state_bytes: a size such as '512MiB' or a
// plain number of bytes; 0 means no limit.
func parseStateBytes(text string) (int64, error) {
	if strings.TrimSpace(text) == "0" {
		return 0, nil
	}
	n, err := live.ParseBytes(text)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes such as '536870912', '512MiB' or '2GiB' (0: no limit)", text)
	}
	return n, nil
}

// maxStateBytes is the session's state limit: SET max_state_bytes, or
// the process's default.
func (s *Session) maxStateBytes() int64 {
	if v, ok := s.Settings["max_state_bytes"]; ok {
		n, _ := parseStateBytes(v)
		return n
	}
	return exec.DefaultMaxStateBytes()
}
