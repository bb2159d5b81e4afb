package planner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

// LookupJoin joins each row of a stream with a bounded table read whole
// from its file, as Flink's processing-time temporal join (JOIN t FOR
// SYSTEM_TIME AS OF s.proc_time) does: the table as it is when the row
// arrives; the file is read again when it changes. Its output (the
// stream's columns, then the table's) is append-only.
type LookupJoin struct {
	In    Node
	Table *catalog.Table
	Kind  exec.JoinKind
	// StreamKeys (over In) equal the table's columns TableKeys.
	StreamKeys []vector.Expr
	TableKeys  []int
	KeyNames   []string
	Residual   vector.Expr
	schema     *arrow.Schema
}

// Schema implements Node.
func (l *LookupJoin) Schema() *arrow.Schema {
	if l.schema == nil {
		var fs []arrow.Field
		for _, s := range []*arrow.Schema{l.In.Schema(), l.Table.Schema} {
			for _, f := range s.Fields() {
				f.Nullable = true
				fs = append(fs, f)
			}
		}
		l.schema = arrow.NewSchema(fs, nil)
	}
	return l.schema
}

// Children implements Node: the stream; the table is read by the join.
func (l *LookupJoin) Children() []Node { return []Node{l.In} }

// Updating implements Node: a lookup join's output is append-only.
func (l *LookupJoin) Updating() bool { return false }

// Stateful implements statefulNode: the join holds the table.
func (l *LookupJoin) Stateful() bool { return true }

// Describe implements Node.
func (l *LookupJoin) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "LookupJoin %s %s ON %s", l.Kind, strings.TrimPrefix(sourceDesc(l.Table), "Source "), strings.Join(l.KeyNames, " AND "))
	if l.Residual != nil {
		fmt.Fprintf(&b, " residual=%s", l.Residual)
	}
	b.WriteString(" state: the table, read again when its file changes")
	return b.String()
}

// lookupTable returns the table n names when it is to be looked up
// rather than joined as a stream: marked FOR SYSTEM_TIME AS OF (marked
// is true then, and the table must be bounded), or a bounded table
// joined with a live stream.
func (p *selectPlanner) lookupTable(n ast.ResultSetNode, stream Node) (t *catalog.Table, marked bool, err error) {
	ts, ok := n.(*ast.TableSource)
	if !ok {
		return nil, false, nil
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok {
		return nil, false, nil
	}
	for _, pn := range tn.PartitionNames {
		if pn.L != sql.LookupPartition {
			return nil, false, errAt(p.stmt, "PARTITION", "PARTITION is not supported")
		}
		marked = true
	}
	name := tn.Name.O
	for _, c := range p.ctes {
		if strings.EqualFold(c.name, name) {
			if marked {
				return nil, false, errAt(p.stmt, name, "FOR SYSTEM_TIME AS OF needs a table read from a file, not the common table expression %s", name)
			}
			return nil, false, nil
		}
	}
	t = p.sess.Catalog.Lookup(name)
	if t == nil || t.IsView() {
		if marked && t != nil {
			return nil, false, errAt(p.stmt, name, "FOR SYSTEM_TIME AS OF needs a table read from a file, not the view %s", name)
		}
		return nil, false, nil
	}
	if changelogTable(t) {
		if marked {
			return nil, false, errAt(p.stmt, name, "FOR SYSTEM_TIME AS OF needs a table of rows to look up; %s is a changelog (format '%s'): join it with a regular JOIN", name, t.Options["format"])
		}
		return nil, false, nil
	}
	cfg, ok := p.sess.Registry.SourceConfig(t.Connector())
	bounded := ok && cfg.Bounded
	if marked && !bounded {
		return nil, false, errAt(p.stmt, name, "FOR SYSTEM_TIME AS OF needs a bounded table (a file) to look rows up in; %s is read from connector %s, a stream: join it with a regular JOIN", name, t.Connector())
	}
	if !marked && (!bounded || !p.sess.liveInput(stream)) {
		return nil, false, nil
	}
	return t, marked, nil
}

// lookupJoin plans a lookup join of stream (with scope ls) and table t
// (aliased alias) on cond.
func (p *selectPlanner) lookupJoin(stream Node, ls *scope, t *catalog.Table, alias string, kind exec.JoinKind, cond ast.ExprNode) (Node, *scope, error) {
	if kind != exec.InnerJoin && kind != exec.LeftJoin {
		return nil, nil, errAt(p.stmt, "JOIN", "a lookup join (FOR SYSTEM_TIME AS OF, or a stream joined with a file table) is INNER or LEFT, not %s", kind)
	}
	if Updating(stream) {
		return nil, nil, errAt(p.stmt, "JOIN", "a lookup join needs an append-only stream: its input is updating")
	}
	if alias == "" {
		alias = t.Name
	}
	rs := scopeOf(t.Schema, alias)
	nl := len(ls.cols)
	sc := &scope{cols: append(append([]column(nil), ls.cols...), rs.cols...)}
	out := &LookupJoin{In: stream, Table: t, Kind: kind}
	var rest []vector.Expr
	for _, c := range conjuncts(cond) {
		if x, col, ok := p.lookupKey(ls, sc, nl, c); ok {
			if !arrow.TypeEqual(x.Type(), t.Schema.Field(col).Type) {
				return nil, nil, errAt(p.stmt, anchor(c), "lookup key %s is %s but %s is %s; CAST it", x, vector.TypeName(x.Type()), qualName(rs.cols[col]), vector.TypeName(t.Schema.Field(col).Type))
			}
			out.StreamKeys = append(out.StreamKeys, x)
			out.TableKeys = append(out.TableKeys, col)
			out.KeyNames = append(out.KeyNames, x.String()+" = "+qualName(rs.cols[col]))
			continue
		}
		x, err := p.binder(sc, "ON").bind(c)
		if err != nil {
			return nil, nil, err
		}
		if id := x.Type().ID(); id != arrow.BOOL && id != arrow.NULL {
			return nil, nil, errAt(p.stmt, anchor(c), "join condition %s is %s, not BOOLEAN", x, vector.TypeName(x.Type()))
		}
		rest = append(rest, x)
	}
	if len(out.StreamKeys) == 0 {
		return nil, nil, errAt(p.stmt, "JOIN", "a lookup join needs an equality between a column of %s and an expression over the stream in ON (s.k = b.k)", t.Name)
	}
	var err error
	for _, x := range rest {
		if out.Residual == nil {
			out.Residual = x
		} else if out.Residual, err = vector.Binary(vector.And, out.Residual, x); err != nil {
			return nil, nil, errAt(p.stmt, "ON", "join condition: %v", err)
		}
	}
	return out, sc, nil
}

// lookupKey recognises table.col = expression over the stream (either
// way round) and returns the bound expression and the table's column.
func (p *selectPlanner) lookupKey(ls, sc *scope, nl int, e ast.ExprNode) (vector.Expr, int, bool) {
	eq, ok := e.(*ast.BinaryOperationExpr)
	if !ok || eq.Op != opcode.EQ {
		return nil, 0, false
	}
	for _, side := range [][2]ast.ExprNode{{eq.L, eq.R}, {eq.R, eq.L}} {
		c, ok := side[0].(*ast.ColumnNameExpr)
		if !ok {
			continue
		}
		i := sc.find(c.Name.Table.O, c.Name.Name.O)
		if i < nl {
			continue
		}
		x, err := p.binder(ls, "ON").bind(side[1])
		if err != nil {
			continue
		}
		return x, i - nl, true
	}
	return nil, 0, false
}

// lowerLookup builds a lookup join's operator: it reads the table
// through the table's connector, and asks whether its file changed by
// its size and modification time.
func (p *Prepared) lowerLookup(l *LookupJoin) (exec.Operator, error) {
	s, t := p.sess, l.Table
	path := t.Options["path"]
	var last os.FileInfo
	stat := func() os.FileInfo {
		fi, err := os.Stat(path)
		if err != nil {
			return nil
		}
		return fi
	}
	load := func() ([]arrow.RecordBatch, error) {
		last = stat()
		log := s.Log
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		src, err := s.Registry.OpenSource(connectors.SourceSpec{Table: t.Name, Schema: t.Schema, Options: t.Options, Alloc: s.Alloc,
			BadRow: func(connectors.BadRow) error { return nil }, Log: log})
		if err != nil {
			return nil, err
		}
		defer src.Close()
		var out []arrow.RecordBatch
		for {
			b, err := src.Next(context.Background(), 4096)
			if errors.Is(err, connectors.ErrEndOfInput) {
				return out, nil
			}
			if err != nil {
				for _, b := range out {
					b.Release()
				}
				return nil, fmt.Errorf("table %s: %w", t.Name, err)
			}
			out = append(out, b)
		}
	}
	changed := func() (bool, error) {
		now := stat()
		if now == nil || last == nil {
			return now != nil || last != nil, nil
		}
		return now.Size() != last.Size() || !now.ModTime().Equal(last.ModTime()), nil
	}
	op, err := exec.NewLookupJoin(exec.LookupJoinConfig{Input: l.In.Schema(), Table: t.Schema, StreamKeys: l.StreamKeys, TableKeys: l.TableKeys,
		Kind: l.Kind, Residual: l.Residual, Load: load, Changed: changed, Alloc: s.Alloc})
	if err != nil {
		return nil, err
	}
	if !op.Schema().Equal(l.Schema()) {
		op.Close()
		return nil, fmt.Errorf("internal error: lookup join schema %s, planned %s", op.Schema(), l.Schema())
	}
	return op, nil
}
