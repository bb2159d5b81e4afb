package main

import (
	"fmt"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/weirdb/weir/vector"
)

// maxResultRows is how many rows of a query's latest results the API
// keeps and serves.
const maxResultRows = 1000

// resultJSON is a query's latest results, as the API serves them.
type resultJSON struct {
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
	// Changed are the indexes in Rows of the rows the last batch that
	// emitted changed.
	Changed   []int `json:"changed"`
	Updating  bool  `json:"updating"`
	Truncated bool  `json:"truncated"`
}

// latestResult keeps a query's latest results from the batches its sink
// is given: for an append-only query the last maxResultRows rows, newest
// first; for an updating one the current result, with the changelog
// applied, keyed by the result's key columns (or by the whole row), in
// the order keys first appeared, at most maxResultRows of them.
type latestResult struct {
	updating bool
	keyNames []string

	mu        sync.Mutex
	columns   []string
	key       []int // column indexes of the key; nil: the whole row
	rows      [][]any
	keys      []string // updating: the key of each row
	index     map[string]int
	changed   map[string]bool
	newRows   int // append-only: rows added since the last takeChanged
	dirty     bool
	truncated bool
	lastDirty bool
	lastNew   int
	lastKeys  map[string]bool
}

func newLatestResult(updating bool, key []string) *latestResult {
	return &latestResult{updating: updating, keyNames: key, changed: map[string]bool{}, index: map[string]int{}}
}

// add records the rows of a batch given to the sink. It copies what it
// keeps; b stays the caller's.
func (r *latestResult) add(b arrow.RecordBatch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	op := vector.OpIndex(b.Schema())
	if r.columns == nil {
		for i, f := range b.Schema().Fields() {
			if i != op {
				r.columns = append(r.columns, f.Name)
			}
		}
		for _, k := range r.keyNames {
			for i, c := range r.columns {
				if c == k {
					r.key = append(r.key, i)
					break
				}
			}
		}
		if len(r.key) != len(r.keyNames) {
			r.key = nil
		}
	}
	n := int(b.NumRows())
	if op < 0 && !r.updating {
		from := max(0, n-maxResultRows)
		for i := from; i < n; i++ {
			r.rows = append(r.rows, rowValues(b, i, op))
		}
		if len(r.rows) > maxResultRows {
			r.rows = r.rows[len(r.rows)-maxResultRows:]
			r.truncated = true
		}
		r.newRows += n - from
		r.dirty = true
		return
	}
	var kinds *array.Int8
	if op >= 0 {
		kinds, _ = b.Column(op).(*array.Int8)
	}
	for i := 0; i < n; i++ {
		row := rowValues(b, i, op)
		k := r.keyOf(row)
		kind := vector.Insert
		if kinds != nil {
			kind = vector.RowKind(kinds.Value(i))
		}
		r.dirty = true
		at, ok := r.index[k]
		if kind == vector.UpdateBefore && r.key != nil {
			continue // the +U that follows replaces the row in place
		}
		if kind.Retracts() {
			if ok {
				r.rows = append(r.rows[:at], r.rows[at+1:]...)
				r.keys = append(r.keys[:at], r.keys[at+1:]...)
				delete(r.index, k)
				for j := at; j < len(r.keys); j++ {
					r.index[r.keys[j]] = j
				}
			}
			delete(r.changed, k)
			continue
		}
		r.changed[k] = true
		switch {
		case ok:
			r.rows[at] = row
		case len(r.rows) < maxResultRows:
			r.index[k] = len(r.rows)
			r.rows, r.keys = append(r.rows, row), append(r.keys, k)
		default:
			r.truncated = true
		}
	}
}

// keyOf is the identity of row in an updating result.
func (r *latestResult) keyOf(row []any) string {
	var sb strings.Builder
	if r.key == nil {
		for _, v := range row {
			fmt.Fprintf(&sb, "%v\x00", v)
		}
		return sb.String()
	}
	for _, i := range r.key {
		fmt.Fprintf(&sb, "%v\x00", row[i])
	}
	return sb.String()
}

// takeChanged reports whether rows arrived since the last call, and
// makes those rows the ones "changed" marks.
func (r *latestResult) takeChanged() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.dirty {
		return false
	}
	r.lastDirty, r.lastNew, r.lastKeys = true, r.newRows, r.changed
	r.dirty, r.newRows, r.changed = false, 0, map[string]bool{}
	return true
}

// snapshot returns the results as the API serves them.
func (r *latestResult) snapshot() resultJSON {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := resultJSON{Columns: r.columns, Rows: make([][]any, 0, len(r.rows)), Changed: []int{},
		Updating: r.updating, Truncated: r.truncated}
	if out.Columns == nil {
		out.Columns = []string{}
	}
	if !r.updating {
		for i := len(r.rows) - 1; i >= 0; i-- { // newest first
			out.Rows = append(out.Rows, r.rows[i])
		}
		for i := 0; i < min(r.lastNew, len(r.rows)); i++ {
			out.Changed = append(out.Changed, i)
		}
		return out
	}
	out.Rows = append(out.Rows, r.rows...)
	for i, k := range r.keys {
		if r.lastKeys[k] {
			out.Changed = append(out.Changed, i)
		}
	}
	return out
}

// rowValues returns row i of b as JSON-ready values, without column skip.
func rowValues(b arrow.RecordBatch, i, skip int) []any {
	row := make([]any, 0, b.NumCols())
	for c := 0; c < int(b.NumCols()); c++ {
		if c == skip {
			continue
		}
		col := b.Column(c)
		if col.IsNull(i) {
			row = append(row, nil)
			continue
		}
		row = append(row, cellValue(col, i))
	}
	return row
}

// cellValue is the JSON value of a non-null cell: numbers and booleans
// as such, timestamps in RFC 3339 (UTC), anything else as text.
func cellValue(col arrow.Array, i int) any {
	switch a := col.(type) {
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return a.Value(i).ToTime(unit).UTC().Format("2006-01-02T15:04:05.000Z07:00")
	case *array.String:
		return a.Value(i)
	}
	return col.GetOneForMarshal(i)
}
