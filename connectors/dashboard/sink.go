package dashboard

import (
	"container/list"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/vector"
)

// Sink keeps the points of a query's results and publishes them as a
// chart to its Hub after each micro-batch that changed them. Write,
// Commit and Close are called from one goroutine, as for every sink.
type Sink struct {
	hub    *Hub
	chart  Chart
	opts   options
	op     int   // index of the changelog's op column, or -1
	key    []int // columns that identify a row of an updating result
	byKey  bool  // key is the sink key (else the whole row, counted)
	recent []Point
	// An updating result's points: by row key, oldest update first.
	rows   map[string]*list.Element
	order  *list.List
	dirty  bool
	closed bool
}

// entry is one row of an updating result.
type entry struct {
	key   string
	point Point
	count int
}

var _ connectors.Sink = (*Sink)(nil)

// NewSink returns a Sink that publishes to Default.
func NewSink(spec connectors.SinkSpec) (connectors.Sink, error) {
	return NewSinkFactory(Default)(spec)
}

// NewSinkFactory returns a factory of Sinks that publish to hub.
func NewSinkFactory(hub *Hub) connectors.SinkFactory {
	return func(spec connectors.SinkSpec) (connectors.Sink, error) {
		if spec.Schema == nil {
			return nil, fmt.Errorf("table %s: the dashboard sink needs the query's schema", spec.Table)
		}
		o, err := parseOptions(spec.Schema, spec.Options)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", spec.Table, err)
		}
		s := &Sink{hub: hub, opts: o, op: vector.OpIndex(spec.Schema)}
		f := spec.Schema.Fields()
		s.chart = Chart{Table: spec.Table, Chart: o.chart, X: f[o.x].Name, Y: f[o.y].Name, XType: xType(f[o.x].Type), Updating: s.op >= 0}
		if o.series >= 0 {
			name := f[o.series].Name
			s.chart.Series = &name
		}
		if s.op >= 0 {
			s.rows = map[string]*list.Element{}
			s.order = list.New()
			for _, k := range spec.Key {
				i := slices.IndexFunc(f, func(fd arrow.Field) bool { return strings.EqualFold(fd.Name, k) })
				if i < 0 {
					s.key = nil
					break
				}
				s.key = append(s.key, i)
			}
			s.byKey = len(s.key) > 0
			if !s.byKey {
				for i := range f {
					if i != s.op {
						s.key = append(s.key, i)
					}
				}
			}
		}
		hub.Publish(s.chart) // the page shows the chart, empty, from the start
		return s, nil
	}
}

// xType names the kind of values of an x column.
func xType(t arrow.DataType) string {
	switch t.ID() {
	case arrow.TIMESTAMP:
		return "timestamp"
	case arrow.INT64, arrow.FLOAT64:
		return "number"
	case arrow.BOOL:
		return "bool"
	}
	return "string"
}

// Write adds the batch's rows to the points (or applies them, for a
// changelog) and releases it.
func (s *Sink) Write(batch arrow.RecordBatch) error {
	defer batch.Release()
	if s.closed {
		return fmt.Errorf("table %s: write after close", s.chart.Table)
	}
	n := int(batch.NumRows())
	if n == 0 {
		return nil
	}
	s.dirty = true
	cols := batch.Columns()
	var ops []int8
	if s.op >= 0 {
		o, ok := cols[s.op].(*array.Int8)
		if !ok {
			return fmt.Errorf("table %s: the op column is %s, want int8", s.chart.Table, cols[s.op].DataType())
		}
		ops = o.Int8Values()
	}
	first := 0
	if ops == nil {
		first = max(0, n-MaxPoints) // only the last MaxPoints can be kept
	}
	for r := first; r < n; r++ {
		p := Point{X: value(cols[s.opts.x], r), Y: value(cols[s.opts.y], r)}
		if s.opts.series >= 0 {
			p.Series = value(cols[s.opts.series], r)
		}
		if ops == nil {
			s.recent = append(s.recent, p)
			continue
		}
		k := vector.RowKind(ops[r])
		if k < vector.Insert || k > vector.Delete {
			return fmt.Errorf("table %s: unknown row kind %d", s.chart.Table, k)
		}
		s.apply(rowKey(cols, s.key, r), p, k.Retracts())
	}
	if over := len(s.recent) - MaxPoints; over > 0 {
		s.recent = append(s.recent[:0], s.recent[over:]...)
	}
	return nil
}

// apply applies one changelog row with key k to an updating result.
func (s *Sink) apply(k string, p Point, retract bool) {
	el, ok := s.rows[k]
	if retract {
		if !ok {
			return
		}
		e := el.Value.(*entry)
		if e.count--; e.count <= 0 || s.byKey {
			s.order.Remove(el)
			delete(s.rows, k)
		}
		return
	}
	if ok {
		e := el.Value.(*entry)
		e.point = p
		if !s.byKey {
			e.count++
		}
		s.order.MoveToBack(el)
		return
	}
	s.rows[k] = s.order.PushBack(&entry{key: k, point: p, count: 1})
	if s.order.Len() > MaxPoints {
		oldest := s.order.Front()
		s.order.Remove(oldest)
		delete(s.rows, oldest.Value.(*entry).key)
	}
}

// Commit publishes the chart if the micro-batch changed its points.
func (s *Sink) Commit(int64) error {
	if !s.dirty {
		return nil
	}
	s.dirty = false
	c := s.chart
	if s.op < 0 {
		c.Points = s.recent
	} else {
		c.Points = make([]Point, 0, s.order.Len())
		for el := s.order.Front(); el != nil; el = el.Next() {
			c.Points = append(c.Points, el.Value.(*entry).point)
		}
		slices.SortStableFunc(c.Points, func(a, b Point) int {
			if d := compare(a.X, b.X); d != 0 {
				return d
			}
			return compare(a.Series, b.Series)
		})
	}
	s.hub.Publish(c) // Publish copies the points
	return nil
}

// Close ends the sink; its chart stays on the Hub.
func (s *Sink) Close() error {
	s.closed = true
	return nil
}

// value is a cell as a JSON-ready value: int64, float64 (NaN and the
// infinities become nil, which JSON cannot carry), string, bool, a
// timestamp in Unix milliseconds, or nil for NULL.
func value(col arrow.Array, r int) any {
	if col.IsNull(r) {
		return nil
	}
	switch c := col.(type) {
	case *array.Int64:
		return c.Value(r)
	case *array.Float64:
		v := c.Value(r)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	case *array.String:
		return c.Value(r)
	case *array.Boolean:
		return c.Value(r)
	case *array.Timestamp:
		unit := c.DataType().(*arrow.TimestampType).Unit
		return c.Value(r).ToTime(unit).UnixMilli()
	}
	return col.ValueStr(r)
}

// rowKey encodes the values of columns cols of row r as a map key.
func rowKey(cols []arrow.Array, idx []int, r int) string {
	var b strings.Builder
	for _, i := range idx {
		fmt.Fprintf(&b, "%T:%v\x00", value(cols[i], r), value(cols[i], r))
	}
	return b.String()
}

// compare orders values: nil first, then numbers, then strings, then
// booleans.
func compare(a, b any) int {
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return ra - rb
	}
	switch x := a.(type) {
	case int64:
		return cmpFloat(float64(x), num(b))
	case float64:
		return cmpFloat(x, num(b))
	case string:
		return strings.Compare(x, b.(string))
	case bool:
		if x == b.(bool) {
			return 0
		}
		if !x {
			return -1
		}
		return 1
	}
	return 0
}

func rank(v any) int {
	switch v.(type) {
	case nil:
		return 0
	case int64, float64:
		return 1
	case string:
		return 2
	}
	return 3
}

func num(v any) float64 {
	if i, ok := v.(int64); ok {
		return float64(i)
	}
	return v.(float64)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
