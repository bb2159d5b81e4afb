package planner

import (
	"fmt"
	"strings"

	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/vector"
)

// AlignedWith reports whether every piece of state the query keeps is
// keyed by the values of column col of table table: each GROUP BY,
// SESSION and top-N PARTITION BY includes a column that is col as read
// from table. Then the query can run as one instance per partition of an
// input partitioned by col (a Kafka topic by its record key, _key): each
// instance sees all the rows of its keys, and the instances' results
// together equal one instance's over the whole input. It returns nil when
// the query is aligned, else an error saying which part is not.
// Stateless queries are aligned with everything.
func (p *Prepared) AlignedWith(table, col string) error {
	var err error
	walkDAG(p.Plan, func(n Node) {
		if err == nil {
			err = alignedNode(n, table, col)
		}
	})
	return err
}

// alignedNode checks one node's state (see AlignedWith).
func alignedNode(n Node, table, col string) error {
	keyed := func(what string, in Node, keys []int) error {
		for _, k := range keys {
			if t, c, ok := columnOrigin(in, k); ok && strings.EqualFold(t, table) && strings.EqualFold(c, col) {
				return nil
			}
		}
		return fmt.Errorf("%s does not include %s.%s, the column its input is partitioned by", what, table, col)
	}
	switch x := n.(type) {
	case *Aggregate:
		if len(x.Keys) == 0 {
			return fmt.Errorf("an aggregation without GROUP BY keys needs every row of %s in one place", table)
		}
		keys := x.Keys
		return keyed("GROUP BY "+strings.Join(x.KeyNames, ", "), x.In, keys)
	case *WindowAssign:
		if x.Window.Kind == exec.Session {
			return keyed("the SESSION window's PARTITION BY", x.In, x.Partition)
		}
	case *TopN:
		return keyed("the top-N's PARTITION BY", x.In, x.Partition)
	case *Join:
		return fmt.Errorf("a join of two streams is not split by input partition yet")
	case *Limit:
		if !x.PerEmission {
			return fmt.Errorf("LIMIT %d counts rows over the whole input", x.N)
		}
	}
	return nil
}

// columnOrigin follows output column c of n down to the table column it
// is a copy of, through projections, filters, unnest, window assignment,
// aggregation keys, joins and top-N; ok is false when c is computed.
func columnOrigin(n Node, c int) (table, col string, ok bool) {
	switch x := n.(type) {
	case *Scan:
		if c < 0 || c >= x.Table.Schema.NumFields() {
			return "", "", false
		}
		return x.Table.Name, x.Table.Schema.Field(c).Name, true
	case *Filter:
		return columnOrigin(x.In, c)
	case *Sort:
		return columnOrigin(x.In, c)
	case *Limit:
		return columnOrigin(x.In, c)
	case *Project:
		if c < 0 || c >= len(x.Exprs) {
			return "", "", false
		}
		if r, ok := vector.IsColumnRef(x.Exprs[c]); ok {
			return columnOrigin(x.In, r)
		}
	case *Unnest:
		if c != x.Col {
			return columnOrigin(x.In, c)
		}
	case *WindowAssign:
		if c < x.In.Schema().NumFields() {
			return columnOrigin(x.In, c)
		}
	case *Aggregate:
		off := 0
		if x.Window.Kind != exec.NoWindow {
			off = 2
		}
		if k := c - off; k >= 0 && k < len(x.Keys) {
			return columnOrigin(x.In, x.Keys[k])
		}
	case *Join:
		lw := vector.WithoutOpColumn(x.Left.Schema()).NumFields()
		if c < lw {
			return columnOrigin(x.Left, c)
		}
		return columnOrigin(x.Right, c-lw)
	case *TopN:
		if c >= 0 && c < len(x.Columns) && x.Columns[c] >= 0 {
			return columnOrigin(x.In, x.Columns[c])
		}
	case *Union:
		t, cl, ok := columnOrigin(x.Ins[0], c)
		for _, in := range x.Ins[1:] {
			t2, c2, ok2 := columnOrigin(in, c)
			ok = ok && ok2 && strings.EqualFold(t, t2) && strings.EqualFold(cl, c2)
		}
		return t, cl, ok
	}
	return "", "", false
}

// Tables returns the tables the query reads, each once, in input order.
func (p *Prepared) Tables() []*catalog.Table {
	_, scans := p.graphOrder()
	ts := make([]*catalog.Table, len(scans))
	for i, s := range scans {
		ts[i] = s.Table
	}
	return ts
}

// NextID is the id the session's next query will have.
func (s *Session) NextID() int { return s.nextID + 1 }
