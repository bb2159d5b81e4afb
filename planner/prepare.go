package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"maps"
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
	walkDAG(p.Plan, func(n Node) {
		if s, ok := n.(*Scan); ok {
			io.WriteString(h, "\x00"+s.Table.SQL)
		}
	})
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

// prepareSelect plans query (a SELECT or a UNION ALL) for the console,
// or for INSERT INTO into.
func (s *Session) prepareSelect(stmt *sql.Statement, query ast.Node, into *catalog.Table) (*Result, error) {
	sp := &selectPlanner{sess: s, stmt: stmt, proc: new(atomic.Int64), shared: newShared()}
	root, err := sp.planQuery(query)
	if err != nil {
		return nil, err
	}
	if into != nil {
		if err := s.sinkAccepts(stmt, root.Schema(), into); err != nil {
			return nil, err
		}
		sel, _ := query.(*ast.SelectStmt)
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
	sel := n.Select
	switch sel.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
	default:
		sel = nil
	}
	if sel == nil || n.Lists != nil || n.Setlist {
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

// sinkAccepts refuses to write an updating query's rows (a changelog:
// schema ends with vector.OpField) into table t unless t's sink connector
// declares, for t's options, that it takes them
// (connectors.ConfigSpec.Changelog). Append-only rows go to every sink.
func (s *Session) sinkAccepts(stmt *sql.Statement, schema *arrow.Schema, t *catalog.Table) error {
	if !vector.IsChangelog(schema) {
		return nil
	}
	spec, _ := s.Registry.SinkConfig(t.Connector())
	if spec.Changelog == nil {
		return errAt(stmt, t.Name, "INSERT INTO %s: the query's result is updating (it changes rows it emitted before), "+
			"but connector %q writes only append-only results", t.Name, t.Connector())
	}
	if err := spec.Changelog(t.Options); err != nil {
		return errAt(stmt, t.Name, "INSERT INTO %s: the query's result is updating (it changes rows it emitted before); %v", t.Name, err)
	}
	return nil
}

// castToSink renames the query's columns to the sink's, matching by
// position as SQL's INSERT does. A column must have the sink column's type,
// or one that widens to it without loss (BIGINT into DOUBLE; NULL into
// anything); any other mismatch is an error, as in Flink, rather than a
// column of empty values.
func (s *Session) castToSink(stmt *sql.Statement, sel *ast.SelectStmt, root Node, t *catalog.Table) (Node, error) {
	in := vector.WithoutOpColumn(root.Schema())
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
	return newProject(root, exprs, names), nil
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
// the SELECT keyword when the list has a wildcard or sel is nil (a union).
func selectItemErr(stmt *sql.Statement, sel *ast.SelectStmt, i int, format string, args ...any) error {
	if sel == nil {
		return errAt(stmt, "SELECT", format, args...)
	}
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
	case *ast.SelectStmt, *ast.SetOprStmt:
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

// Explain renders the logical plan (a tree; a node with several parents
// drawn once and referenced), the physical plan (a chain of operators, or
// for a graph its numbered nodes and the inputs of each), which operators
// keep state, and whether the output is append-only or updating.
func (p *Prepared) Explain() string {
	var b strings.Builder
	b.WriteString("logical plan:\n")
	for _, line := range strings.Split(strings.TrimRight(drawTree(p.Plan, statefulMark), "\n"), "\n") {
		b.WriteString("  " + line + "\n")
	}
	b.WriteString("physical plan:\n")
	sink := "ConsoleSink"
	if p.Into != nil {
		sink = p.sinkDesc()
	}
	nodes, scans := p.graphOrder()
	onSource := p.onSourceWorkers()
	if len(scans) == 1 && linearOrder(nodes) {
		fmt.Fprintf(&b, "  %s\n", scanDesc(scans[0]))
		for _, n := range nodes {
			fmt.Fprintf(&b, "  -> %s%s%s\n", physName(n), statefulMark(n), onSource[n])
		}
		fmt.Fprintf(&b, "  -> %s\n", sink)
	} else {
		ids := map[Node]int{}
		for i, s := range scans {
			ids[s] = i + 1
			fmt.Fprintf(&b, "  #%d %s\n", i+1, scanDesc(s))
		}
		for _, n := range nodes {
			ids[n] = len(ids) + 1
			from := make([]string, 0, len(n.Children()))
			for _, c := range n.Children() {
				from = append(from, fmt.Sprintf("#%d", ids[c]))
			}
			fmt.Fprintf(&b, "  #%d %s%s%s <- %s\n", ids[n], physName(n), statefulMark(n), onSource[n], strings.Join(from, ", "))
		}
		fmt.Fprintf(&b, "  -> %s <- #%d\n", sink, ids[p.Plan])
	}
	mode := "append-only"
	if p.Plan.Updating() {
		mode = "updating"
	}
	fmt.Fprintf(&b, "mode: %s\n", mode)
	switch n := p.sess.Parallelism(); {
	case n == 2 && p.statefulNodes() >= 2 && !p.procWindows:
		b.WriteString("parallelism: 2 (three pipelined stages: the first stateful operator apart from the ones after it; sources decode on 2 workers)\n")
	case n == 2:
		b.WriteString("parallelism: 2 (two pipelined stages; sources decode on 2 workers)\n")
	case n >= partitionedFrom:
		fmt.Fprintf(&b, "parallelism: %d (two pipelined stages; sources decode on %d workers; filters, projections and UNNEST over slices of each batch; GROUP BY, join and top-N state in %d partitions by key hash)\n", n, n, n)
	}
	return b.String()
}

// statefulNodes counts the plan's nodes that keep state: at parallelism
// 2, with two or more the engine cuts the stage of the stateful operators
// in two (exec's backSplit).
func (p *Prepared) statefulNodes() int {
	nodes, _ := p.graphOrder()
	n := 0
	for _, nd := range nodes {
		if statefulMark(nd) != "" {
			n++
		}
	}
	return n
}

// statefulMark is " [stateful]" for a node whose operator keeps state.
func statefulMark(n Node) string {
	if isStateful(n) {
		return " [stateful]"
	}
	return ""
}

// scanDesc describes a scan's source, with the filter pushed into it.
func scanDesc(scan *Scan) string {
	src := sourceDesc(scan.Table)
	if p := scan.pushed(); p != "" {
		src = strings.TrimSuffix(src, ")") + ", pushed: " + p + ")"
	}
	return src
}

// graphOrder lists the plan's operator nodes in topological order (each
// after its children) and its scans in the order they are first reached.
func (p *Prepared) graphOrder() (nodes []Node, scans []*Scan) {
	walkDAG(p.Plan, func(n Node) {
		if s, ok := n.(*Scan); ok {
			scans = append(scans, s)
		} else {
			nodes = append(nodes, n)
		}
	})
	return nodes, scans
}

// linearOrder reports whether nodes (in graphOrder) form one chain over
// one scan: each node's only child is the node before it.
func linearOrder(nodes []Node) bool {
	for i, n := range nodes {
		c := n.Children()
		if len(c) != 1 {
			return false
		}
		if _, isScan := c[0].(*Scan); (i == 0) != isScan || (i > 0 && c[0] != nodes[i-1]) {
			return false
		}
	}
	return true
}

func sourceDesc(t *catalog.Table) string {
	desc := fmt.Sprintf("Source %s (connector=%s", t.Name, t.Connector())
	for _, k := range []string{"format", "path", "topic", "table"} {
		if v := t.Options[k]; v != "" {
			desc += fmt.Sprintf(", %s=%s", k, v)
		}
	}
	return desc + ")"
}

// sinkDesc describes the query's sink: its connector and main options,
// the key its writes are keyed by (when known), and the delivery
// guarantee the sink declares for this run.
func (p *Prepared) sinkDesc() string {
	t := p.Into
	desc := "Sink " + strings.TrimPrefix(sourceDesc(t), "Source ")
	if key := sinkKey(t, p.Plan); len(key) > 0 {
		desc += " key=[" + strings.Join(key, ", ") + "]"
	}
	if spec, ok := p.sess.Registry.SinkConfig(t.Connector()); ok && spec.Guarantee != nil {
		desc += "; " + spec.Guarantee(t.Options, p.sess.CheckpointDir != "")
	}
	return desc
}

func physName(n Node) string {
	switch n := n.(type) {
	case *Filter:
		return "FilterOp " + n.Pred.String()
	case *Project:
		return "ProjectOp " + strings.TrimPrefix(n.Describe(), "Project ")
	case *Unnest:
		return "UnnestOp " + strings.TrimPrefix(n.Describe(), "Unnest ")
	case *SplitCount:
		return n.physName()
	case *Aggregate:
		if n.Changelog {
			return updatingPhysName(n)
		}
		if n.WindowEndKey > 0 {
			return "WindowCloseAggregateOp (emits each group when the watermark passes its window_end) " + strings.TrimPrefix(n.Describe(), "Aggregate ")
		}
		if n.Window.Kind == exec.NoWindow {
			return "HashAggregateOp (emits at end of input) " + strings.TrimPrefix(n.Describe(), "Aggregate ")
		}
		if n.Window.Kind == exec.Session {
			return "SessionWindowAggregateOp " + strings.TrimPrefix(n.Describe(), "WindowAggregate ")
		}
		if n.Window.Kind == exec.Cumulate {
			return "CumulateWindowAggregateOp " + strings.TrimPrefix(n.Describe(), "WindowAggregate ")
		}
		return "PaneWindowAggregateOp " + strings.TrimPrefix(n.Describe(), "WindowAggregate ")
	case *Sort:
		return "SortOp " + strings.TrimPrefix(n.Describe(), "Sort ")
	case *Limit:
		return "LimitOp " + strings.TrimPrefix(n.Describe(), "Limit ")
	case *Union:
		return "UnionOp"
	case *Join:
		return joinPhysName(n)
	case *LookupJoin:
		return "LookupJoinOp " + strings.TrimPrefix(n.Describe(), "LookupJoin ")
	case *WindowAssign:
		return "WindowAssignOp " + strings.TrimPrefix(n.Describe(), "WindowAssign ")
	case *TopN:
		return topNPhysName(n)
	}
	return n.Describe()
}

// Build opens the query's sources and sink and lowers the plan to an
// exec.Graph: one input per table read (a table read by two branches is
// opened once), one operator per plan node (a node with two parents is
// lowered once and feeds both). A linear plan (one source, a chain of
// single-input operators) also fills Query.Input and Query.Pipeline.
// console receives a bare SELECT's rows; it is ignored for INSERT INTO,
// whose sink is opened from the registry.
func (p *Prepared) Build(console connectors.Sink) (*exec.Query, error) {
	return p.build(console, nil)
}

// Task is one instance of a query that runs split by input partition,
// one instance per partition (see AlignedWith).
type Task struct {
	// ID is the query's id, from ReserveID.
	ID int
	// Name names the task within its query ("p3"): its sink's name and its
	// state directories carry it (q1/p3), so that a task's state can move
	// between processes that share the checkpoint directory.
	Name string
	// Options override tables' options, by table name as declared; a
	// value "" removes the option.
	Options map[string]map[string]string
}

// ReserveID gives the query its id without building it, for a query that
// runs as tasks (BuildTask).
func (p *Prepared) ReserveID() int {
	p.sess.nextID++
	return p.sess.nextID
}

// BuildTask builds one task of the query, as Build does, except that its
// tables' options are overridden by the task's, its sources are its own
// (never shared with other queries), and its state directories and sink's
// name are the task's.
func (p *Prepared) BuildTask(console connectors.Sink, task Task) (*exec.Query, error) {
	return p.build(console, &task)
}

// taskOptions returns t's options with task's overrides for t applied.
func taskOptions(t *catalog.Table, task *Task) map[string]string {
	if task == nil || task.Options[t.Name] == nil {
		return t.Options
	}
	opts := maps.Clone(t.Options)
	for k, v := range task.Options[t.Name] {
		if v == "" {
			delete(opts, k)
		} else {
			opts[k] = v
		}
	}
	return opts
}

// stateName is the query's name in its checkpoint directory: q1, or q1/p3
// for a task.
func (p *Prepared) stateName(task *Task) string {
	if task != nil {
		return fmt.Sprintf("q%d/%s", task.ID, task.Name)
	}
	return fmt.Sprintf("q%d", p.sess.nextID+1)
}

func (p *Prepared) build(console connectors.Sink, task *Task) (*exec.Query, error) {
	s := p.sess
	nodes, scans := p.graphOrder()
	for _, scan := range scans {
		if t := scan.Table; !s.Registry.HasSource(t.Connector()) {
			return nil, fmt.Errorf("table %s cannot be read: connector %q has no source", t.Name, t.Connector())
		}
	}
	g := &exec.Graph{}
	ports := map[Node]exec.Port{}
	for i, scan := range scans {
		ports[scan] = exec.FromInput(i)
	}
	var ops exec.Pipeline
	q := &exec.Query{SQL: p.SQL, ProcTimeWindows: p.procWindows, Graph: g}
	var sources []connectors.Source
	fail := func(err error) (*exec.Query, error) {
		for _, src := range sources {
			src.Close()
		}
		ops.Close()
		closeAll(q.Closers)
		return nil, err
	}
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for i, scan := range scans {
		in, src, dead, err := p.input(q, scan, i, log, task)
		if dead != nil {
			q.Closers = append(q.Closers, dead)
		}
		if err != nil {
			return fail(err)
		}
		sources = append(sources, src)
		g.Inputs = append(g.Inputs, in)
	}
	// The leading row-wise operators may run on the source's workers
	// (source_ops.go): they then leave the graph.
	moved := map[Node]bool{}
	if chain, timeCol := p.sourceChain(); len(chain) > 0 {
		ok, err := p.moveToSource(q, sources[0], chain)
		if err != nil {
			return fail(err)
		}
		if ok {
			for _, n := range chain {
				moved[n] = true
				ports[n] = exec.FromInput(0)
			}
			g.Inputs[0].TimeCol = timeCol
		}
	}
	par := s.Parallelism()
	for _, n := range nodes {
		if moved[n] {
			continue
		}
		lowered, err := p.lowerParallel(n, par)
		if err != nil {
			return fail(err)
		}
		// A node may lower to a chain of operators (a windowed updating
		// aggregate: window assignment, then the aggregate).
		from := make([]exec.Port, 0, len(n.Children()))
		for _, c := range n.Children() {
			from = append(from, ports[c])
		}
		for _, op := range lowered {
			ops = append(ops, op)
			g.Nodes = append(g.Nodes, exec.GraphNode{Op: op, From: from})
			from = []exec.Port{exec.FromNode(len(g.Nodes) - 1)}
		}
		ports[n] = from[0]
	}
	g.Output = ports[p.Plan]
	sink := console
	if p.Into != nil {
		name := p.stateName(task)
		spec := connectors.SinkSpec{Table: p.Into.Name, Schema: p.Plan.Schema(), Options: taskOptions(p.Into, task),
			Checkpointed: s.CheckpointDir != "", Key: sinkKey(p.Into, p.Plan), Query: strings.ReplaceAll(name, "/", "-")}
		if spec.Checkpointed {
			spec.StateDir = filepath.Join(s.CheckpointDir, name, "sink")
		}
		var err error
		if sink, err = s.Registry.OpenSink(spec); err != nil {
			return fail(err)
		}
	}
	q.Sink = sink
	if len(scans) == 1 && linearOrder(nodes) {
		q.Input, q.Pipeline = g.Inputs[0], ops
	}
	q.BatchRows, _ = strconv.Atoi(s.Settings["batch_size"])
	q.Interval, _ = sql.ParseInterval(s.Settings["batch_interval"])
	q.MaxStateBytes, q.Log = s.maxStateBytes(), log
	// Parallelism 1 is one worker: the whole query on one goroutine.
	q.Serial, q.Parallelism = par == 1, par
	if task != nil {
		q.ID = task.ID
		return q, nil
	}
	s.nextID++
	q.ID = s.nextID
	return q, nil
}

// input opens the source of the idx-th table the query reads and
// describes it for the runner. dead, when not nil, is the table's
// dead-letter file, to be closed when the query ends.
func (p *Prepared) input(q *exec.Query, scan *Scan, idx int, log *slog.Logger, task *Task) (exec.Input, connectors.Source, io.Closer, error) {
	s, t := p.sess, scan.Table
	bad := s.BadRow
	if bad == nil {
		bad = func(connectors.BadRow) error { return nil }
	}
	policy, dl, err := badRowPolicy(t, bad)
	var dead io.Closer
	if dl != nil {
		dead = dl
	}
	if err != nil {
		return exec.Input{}, nil, dead, err
	}
	count := func(b connectors.BadRow) error { q.CountBadRow(); return policy(b) }
	spec := connectors.SourceSpec{Table: t.Name, Schema: scanSchema(t), Options: taskOptions(t, task), Alloc: s.Alloc, BadRow: count, Log: log}
	if t.Watermark != nil {
		// Decoders make a row without its event time a bad row.
		spec.Schema = format.WithEventTime(spec.Schema, t.Watermark.Column)
	}
	if s.CheckpointDir != "" {
		dir := "source"
		if idx > 0 {
			dir = fmt.Sprintf("source%d", idx)
		}
		spec.StateDir = filepath.Join(s.CheckpointDir, p.stateName(task), dir)
	}
	spec.Contains = scan.Contains // see pushContainsToSource
	spec.Parallelism = s.Parallelism()
	in := exec.Input{Table: t.Name, TimeCol: -1}
	if w := t.Watermark; w != nil {
		in.TimeCol = t.Schema.FieldIndices(w.Column)[0]
		in.Delay = w.Delay.Milliseconds()
	}
	if v := t.Options["idle_timeout"]; v != "" {
		d, err := connectors.ParseDuration(v)
		if err != nil {
			return in, nil, dead, fmt.Errorf("table %s: option idle_timeout: %v", t.Name, err)
		}
		in.IdleTimeout = d
	}
	open := s.openSource
	if task != nil {
		open = s.Registry.OpenSource // a task's source is its own
	}
	src, err := open(spec)
	if err != nil {
		return in, nil, dead, err
	}
	in.Source = src
	return in, src, dead, nil
}

// lowerNode lowers one plan node to its operators, usually one.
func (p *Prepared) lowerNode(n Node) ([]exec.Operator, error) {
	if a, ok := n.(*Aggregate); ok && a.Changelog {
		return p.lowerUpdating(a)
	}
	op, err := p.lower(n)
	if err != nil {
		return nil, err
	}
	if p.proc != nil && usesProcTime(n) {
		// Processing time travels with each micro-batch: the stage that
		// runs the operator sets the cell from the batch it hands it.
		op = exec.ProcTimeOp{Operator: op, Cell: p.proc}
	}
	return []exec.Operator{op}, nil
}

// usesProcTime reports whether the expressions n evaluates call
// PROCTIME().
func usesProcTime(n Node) bool {
	var exprs []vector.Expr
	switch n := n.(type) {
	case *Filter:
		exprs = []vector.Expr{n.Pred}
	case *Project:
		exprs = n.Exprs
	}
	for _, e := range exprs {
		if strings.Contains(e.String(), procTime{}.String()) {
			return true
		}
	}
	return false
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
	case *SplitCount:
		return p.lowerSplitCount(n)
	case *Aggregate:
		if n.Window.Kind == exec.Session {
			return p.lowerSession(n)
		}
		if n.Window.Kind == exec.Cumulate {
			return p.lowerCumulate(n)
		}
		if n.WindowEndKey > 0 {
			return p.lowerWindowClose(n)
		}
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
	case *Union:
		return exec.NewUnion(n.Schema(), len(n.Ins)), nil
	case *Join:
		return p.lowerJoin(n)
	case *LookupJoin:
		return p.lowerLookup(n)
	case *WindowAssign:
		if n.Window.Kind == exec.Session {
			return nil, errSessionUngrouped
		}
		return exec.NewWindowAssign(mem, n.In.Schema(), n.Window)
	case *TopN:
		return p.lowerTopN(n)
	}
	return nil, fmt.Errorf("internal error: cannot lower %T", n)
}

func closeAll(cs []io.Closer) {
	for _, c := range cs {
		c.Close()
	}
}
