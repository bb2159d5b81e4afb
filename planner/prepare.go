package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

// Prepared is a planned continuous query, not yet started.
type Prepared struct {
	// SQL is the statement's text.
	SQL string
	// Plan is the logical plan's root.
	Plan Node
	// Into is the sink table of INSERT INTO, nil for a bare SELECT.
	Into *catalog.Table

	sess        *Session
	proc        *atomic.Int64
	procWindows bool
}

// Fingerprint identifies the query's plan for checkpoints: its SQL and the
// definitions of the tables it reads and writes. A checkpoint taken under
// another fingerprint is refused.
func (p *Prepared) Fingerprint() string {
	h := sha256.New()
	io.WriteString(h, p.SQL)
	for n := p.Plan; n != nil; n = n.Input() {
		if s, ok := n.(*Scan); ok {
			io.WriteString(h, "\x00"+s.Table.SQL)
		}
	}
	if p.Into != nil {
		io.WriteString(h, "\x00"+p.Into.SQL)
	}
	io.WriteString(h, "\x00"+Tree(p.Plan))
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// CheckpointSettings returns the session's checkpoint interval and batch
// count.
func (p *Prepared) CheckpointSettings() (time.Duration, int) {
	d, _ := sql.ParseInterval(p.sess.Settings["checkpoint_interval"])
	n, _ := strconv.Atoi(p.sess.Settings["checkpoint_batches"])
	return d, n
}

// Schema is the schema of the rows the query emits.
func (p *Prepared) Schema() *arrow.Schema { return p.Plan.Schema() }

func (s *Session) prepareSelect(stmt *sql.Statement, sel *ast.SelectStmt, into *catalog.Table) (*Result, error) {
	sp := &selectPlanner{sess: s, stmt: stmt, proc: new(atomic.Int64)}
	root, err := sp.plan(sel)
	if err != nil {
		return nil, err
	}
	if into != nil {
		if root, err = s.castToSink(stmt, sel, root, into); err != nil {
			return nil, err
		}
	}
	if root, err = optimize(root, ruleEnv{reg: s.Registry}); err != nil {
		return nil, err
	}
	return &Result{Kind: ResultQuery, Query: &Prepared{SQL: stmt.Text, Plan: root, Into: into, sess: s, proc: sp.proc, procWindows: sp.procWindows}}, nil
}

func (s *Session) prepareInsert(stmt *sql.Statement, n *ast.InsertStmt) (*Result, error) {
	sel, ok := n.Select.(*ast.SelectStmt)
	if !ok || n.Lists != nil || n.Setlist {
		return nil, errAt(stmt, "INSERT", "only INSERT INTO table SELECT ... is supported")
	}
	if len(n.Columns) > 0 {
		return nil, errAt(stmt, "INSERT", "INSERT INTO table (columns) is not supported: select the sink's columns in order")
	}
	ts, ok := n.Table.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return nil, errAt(stmt, "INSERT", "INSERT INTO needs one table")
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok {
		return nil, errAt(stmt, "INSERT", "INSERT INTO needs one table")
	}
	t := s.Catalog.Lookup(tn.Name.O)
	if t == nil {
		return nil, errAt(stmt, tn.Name.O, "unknown table %s", tn.Name.O)
	}
	if !s.Registry.HasSink(t.Connector()) {
		return nil, errAt(stmt, tn.Name.O, "table %s cannot be written: connector %q has no sink", t.Name, t.Connector())
	}
	return s.prepareSelect(stmt, sel, t)
}

// castToSink renames the query's columns to the sink's, matching by
// position as SQL's INSERT does. A column must have the sink column's type,
// or one that widens to it without loss (BIGINT into DOUBLE; NULL into
// anything); any other mismatch is an error, as in Flink, rather than a
// column of empty values.
func (s *Session) castToSink(stmt *sql.Statement, sel *ast.SelectStmt, root Node, t *catalog.Table) (Node, error) {
	in := root.Schema()
	if in.NumFields() != t.Schema.NumFields() {
		return nil, errAt(stmt, t.Name, "INSERT INTO %s: the query has %d columns, the table %d", t.Name, in.NumFields(), t.Schema.NumFields())
	}
	exprs := make([]vector.Expr, in.NumFields())
	names := make([]string, in.NumFields())
	for i, f := range in.Fields() {
		to := t.Schema.Field(i)
		if !widens(f.Type, to.Type) {
			return nil, selectItemErr(stmt, sel, i, "INSERT INTO %s: column %d '%s' is %s but the query gives %s (%s); CAST it",
				t.Name, i+1, to.Name, vector.TypeName(to.Type), vector.TypeName(f.Type), f.Name)
		}
		x, err := vector.Cast(vector.ColumnRef(i, f.Type, f.Name), to.Type)
		if err != nil {
			return nil, selectItemErr(stmt, sel, i, "INSERT INTO %s: column %d '%s': %v", t.Name, i+1, to.Name, err)
		}
		exprs[i], names[i] = x, to.Name
	}
	return &Project{In: root, Exprs: exprs, Names: names}, nil
}

// widens reports whether a value of type from may be written to a column
// of type to without an explicit CAST.
func widens(from, to arrow.DataType) bool {
	switch {
	case arrow.TypeEqual(from, to), from.ID() == arrow.NULL:
		return true
	case from.ID() == arrow.INT64 && to.ID() == arrow.FLOAT64:
		return true
	}
	return false
}

// selectItemErr positions an error at item i of sel's select list, or at
// the SELECT keyword when the list has a wildcard.
func selectItemErr(stmt *sql.Statement, sel *ast.SelectStmt, i int, format string, args ...any) error {
	fields := sel.Fields.Fields
	for _, f := range fields {
		if f.WildCard != nil {
			return errAt(stmt, "SELECT", format, args...)
		}
	}
	if i >= len(fields) || stmt == nil {
		return errAt(stmt, "SELECT", format, args...)
	}
	f := fields[i]
	text := strings.TrimSpace(f.Text())
	if text == "" {
		return errAt(stmt, anchor(f.Expr), format, args...)
	}
	off := stmt.MapOffset(f.Offset)
	return stmt.ErrorAt(off, len(text), format, args...)
}

func (s *Session) explain(stmt *sql.Statement, n *ast.ExplainStmt) (*Result, error) {
	var res *Result
	var err error
	switch q := n.Stmt.(type) {
	case *ast.SelectStmt:
		res, err = s.prepareSelect(stmt, q, nil)
	case *ast.InsertStmt:
		res, err = s.prepareInsert(stmt, q)
	default:
		return nil, errAt(stmt, "EXPLAIN", "EXPLAIN supports SELECT and INSERT")
	}
	if err != nil {
		return nil, err
	}
	r := &Result{Kind: ResultRows, Columns: []string{"plan"}}
	for _, line := range strings.Split(strings.TrimRight(res.Query.Explain(), "\n"), "\n") {
		r.Rows = append(r.Rows, []string{line})
	}
	return r, nil
}

// Explain renders the logical plan and the physical pipeline.
func (p *Prepared) Explain() string {
	var b strings.Builder
	b.WriteString("logical plan:\n")
	for _, line := range strings.Split(strings.TrimRight(Tree(p.Plan), "\n"), "\n") {
		b.WriteString("  " + line + "\n")
	}
	b.WriteString("physical plan:\n")
	nodes := chain(p.Plan)
	scan := nodes[0].(*Scan)
	src := sourceDesc(scan.Table)
	if p := scan.pushed(); p != "" {
		src = strings.TrimSuffix(src, ")") + ", pushed: " + p + ")"
	}
	fmt.Fprintf(&b, "  %s\n", src)
	for _, n := range nodes[1:] {
		fmt.Fprintf(&b, "  -> %s\n", physName(n))
	}
	if p.Into != nil {
		fmt.Fprintf(&b, "  -> %s\n", sinkDesc(p.Into))
	} else {
		b.WriteString("  -> ConsoleSink\n")
	}
	return b.String()
}

func sourceDesc(t *catalog.Table) string {
	desc := fmt.Sprintf("Source %s (connector=%s", t.Name, t.Connector())
	for _, k := range []string{"format", "path"} {
		if v := t.Options[k]; v != "" {
			desc += fmt.Sprintf(", %s=%s", k, v)
		}
	}
	return desc + ")"
}

func sinkDesc(t *catalog.Table) string {
	return "Sink " + strings.TrimPrefix(sourceDesc(t), "Source ")
}

func physName(n Node) string {
	switch n := n.(type) {
	case *Filter:
		return "FilterOp " + n.Pred.String()
	case *Project:
		return "ProjectOp " + strings.TrimPrefix(n.Describe(), "Project ")
	case *Unnest:
		return "UnnestOp " + strings.TrimPrefix(n.Describe(), "Unnest ")
	case *Aggregate:
		if n.Window.Kind == exec.NoWindow {
			return "HashAggregateOp (emits at end of input) " + strings.TrimPrefix(n.Describe(), "Aggregate ")
		}
		return "PaneWindowAggregateOp " + strings.TrimPrefix(n.Describe(), "WindowAggregate ")
	case *Sort:
		return "SortOp " + strings.TrimPrefix(n.Describe(), "Sort ")
	case *Limit:
		return "LimitOp " + strings.TrimPrefix(n.Describe(), "Limit ")
	}
	return n.Describe()
}

// chain lists a plan's nodes bottom-up, the Scan first.
func chain(root Node) []Node {
	var out []Node
	for n := root; n != nil; n = n.Input() {
		out = append(out, n)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Build opens the query's source and sink and lowers the plan to
// operators. console receives a bare SELECT's rows; it is ignored for
// INSERT INTO, whose sink is opened from the registry.
func (p *Prepared) Build(console connectors.Sink) (*exec.Query, error) {
	s := p.sess
	nodes := chain(p.Plan)
	scan := nodes[0].(*Scan)
	t := scan.Table
	if !s.Registry.HasSource(t.Connector()) {
		return nil, fmt.Errorf("table %s cannot be read: connector %q has no source", t.Name, t.Connector())
	}
	var ops exec.Pipeline
	for _, n := range nodes[1:] {
		op, err := p.lower(n)
		if err != nil {
			ops.Close()
			return nil, err
		}
		ops = append(ops, op)
	}
	q := &exec.Query{SQL: p.SQL, Pipeline: ops, ProcTime: p.proc, ProcTimeWindows: p.procWindows}
	bad := s.BadRow
	if bad == nil {
		bad = func(connectors.BadRow) error { return nil }
	}
	policy, dead, err := badRowPolicy(t, bad)
	if err != nil {
		ops.Close()
		return nil, err
	}
	if dead != nil {
		q.Closers = append(q.Closers, dead)
	}
	count := func(b connectors.BadRow) error { q.CountBadRow(); return policy(b) }
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	spec := connectors.SourceSpec{Table: t.Name, Schema: t.Schema, Options: t.Options, Alloc: s.Alloc, BadRow: count, Log: log}
	if t.Watermark != nil {
		// Decoders make a row without its event time a bad row.
		spec.Schema = format.WithEventTime(t.Schema, t.Watermark.Column)
	}
	if s.CheckpointDir != "" {
		spec.StateDir = filepath.Join(s.CheckpointDir, fmt.Sprintf("q%d", s.nextID+1), "source")
	}
	spec.Contains = scan.Contains // see pushContainsToSource
	src, err := s.openSource(spec)
	if err != nil {
		ops.Close()
		closeAll(q.Closers)
		return nil, err
	}
	sink := console
	if p.Into != nil {
		spec := connectors.SinkSpec{Table: p.Into.Name, Schema: p.Plan.Schema(), Options: p.Into.Options, Checkpointed: s.CheckpointDir != ""}
		if sink, err = s.Registry.OpenSink(spec); err != nil {
			src.Close()
			ops.Close()
			closeAll(q.Closers)
			return nil, err
		}
	}
	in := exec.Input{Table: t.Name, Source: src, TimeCol: -1}
	if w := t.Watermark; w != nil {
		in.TimeCol = t.Schema.FieldIndices(w.Column)[0]
		in.Delay = w.Delay.Milliseconds()
	}
	if v := t.Options["idle_timeout"]; v != "" {
		d, err := connectors.ParseDuration(v)
		if err != nil {
			src.Close()
			ops.Close()
			closeAll(q.Closers)
			return nil, fmt.Errorf("table %s: option idle_timeout: %v", t.Name, err)
		}
		in.IdleTimeout = d
	}
	q.Input, q.Sink = in, sink
	q.BatchRows, _ = strconv.Atoi(s.Settings["batch_size"])
	q.Interval, _ = sql.ParseInterval(s.Settings["batch_interval"])
	q.MaxStateBytes, q.Log = s.maxStateBytes(), log
	s.nextID++
	q.ID = s.nextID
	return q, nil
}

func (p *Prepared) lower(n Node) (exec.Operator, error) {
	mem := p.sess.Alloc
	switch n := n.(type) {
	case *Filter:
		return exec.NewFilter(mem, n.In.Schema(), n.Pred)
	case *Project:
		return exec.NewProject(mem, n.Exprs, n.Names), nil
	case *Unnest:
		return exec.NewUnnest(mem, n.In.Schema(), n.Col, n.Sep)
	case *Aggregate:
		w, err := exec.NewWindowAgg(exec.WindowAggConfig{
			Input: n.In.Schema(), Keys: n.Keys, KeyNames: n.KeyNames, Aggs: n.Aggs, Window: n.Window, Alloc: mem,
		})
		if err != nil {
			return nil, err
		}
		if !w.Schema().Equal(n.Schema()) {
			w.Close()
			return nil, fmt.Errorf("internal error: aggregate schema %s, planned %s", w.Schema(), n.Schema())
		}
		return w, nil
	case *Sort:
		return exec.NewSort(mem, n.Schema(), n.Keys), nil
	case *Limit:
		if n.PerEmission {
			return exec.NewEmissionLimit(n.Schema(), n.N), nil
		}
		return exec.NewLimit(n.Schema(), n.N), nil
	}
	return nil, fmt.Errorf("internal error: cannot lower %T", n)
}

func closeAll(cs []io.Closer) {
	for _, c := range cs {
		c.Close()
	}
}
