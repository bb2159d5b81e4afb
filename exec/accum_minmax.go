package exec

import (
	"cmp"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// accumMinMax is MIN or MAX, which cannot be retracted. Each cell holds its
// pane's extreme; each group keeps a monotonic deque of (pane, value) over
// the panes of the window, front to back in pane order with values strictly
// improving towards the front: a pane's entry is dropped as soon as a later
// pane's value is at least as good, since it can never be the answer again.
// Adding a pane pops from the back, retracting pops from the front: O(1)
// amortised per pane and key, whatever the window size.
//
// Int64, Timestamp and Boolean (as 0/1) use T = int64. Floats order NaN
// above every number (as PostgreSQL does). Strings are copied into the
// cell, never referenced in a batch.
type accumMinMax[T accumValue] struct {
	accumNoGroupState
	isMax bool
	typ   arrow.DataType

	val []T    // by cell
	has []bool // by cell: any non-NULL value
	dq  []accumDeque[T]
	out accumOut[T]
	tmp []int64 // Boolean arguments as 0/1

	entries  int64 // deque entries alive, for size
	strBytes int64 // bytes of the strings in cells, for size
}

// accumDeque is one group's deque; entries before head are popped.
type accumDeque[T cmp.Ordered] struct {
	e    []accumDequeEntry[T]
	head int
}

// accumDequeEntry is a pane's extreme for one group (a copy of its cell's
// value, so that the deque is scanned without touching the cells).
type accumDequeEntry[T cmp.Ordered] struct {
	pane int64
	val  T
}

// accumLess orders values with NaN above everything (it is false for
// integers and strings).
func accumLess[T cmp.Ordered](a, b T) bool {
	return a < b || b != b && a == a
}

// better reports whether v is strictly better than w (smaller for MIN,
// larger for MAX).
func (a *accumMinMax[T]) better(v, w T) bool {
	if a.isMax {
		return accumLess(w, v)
	}
	return accumLess(v, w)
}

func (a *accumMinMax[T]) growCells(n int) {
	a.val, a.has = accumGrow(a.val, n), accumGrow(a.has, n)
}

func (a *accumMinMax[T]) resetCells(cells []uint32) {
	var zero T
	sv, isStr := any(a.val).([]string)
	for _, c := range cells {
		if isStr {
			a.strBytes -= int64(len(sv[c]))
		}
		a.val[c], a.has[c] = zero, false
	}
}

func (a *accumMinMax[T]) update(cells []uint32, arg arrow.Array) {
	switch arr := arg.(type) {
	case *array.String:
		accumMinMaxStrings(any(a).(*accumMinMax[string]), cells, arr)
	case *array.Boolean:
		n := arr.Len()
		if cap(a.tmp) < n {
			a.tmp = make([]int64, n)
		}
		a.tmp = a.tmp[:n]
		for i := range a.tmp {
			a.tmp[i] = 0
			if arr.Value(i) {
				a.tmp[i] = 1
			}
		}
		accumMinMaxUpdate(a, cells, any(a.tmp).([]T), arg)
	case *array.Int64:
		accumMinMaxUpdate(a, cells, any(arr.Int64Values()).([]T), arg)
	case *array.Timestamp:
		ts := arr.TimestampValues()
		v := unsafe.Slice((*int64)(unsafe.SliceData(ts)), len(ts))
		accumMinMaxUpdate(a, cells, any(v).([]T), arg)
	case *array.Float64:
		accumMinMaxUpdate(a, cells, any(arr.Float64Values()).([]T), arg)
	}
}

// accumMinMaxUpdate folds fixed-width vals into the cells' extremes.
func accumMinMaxUpdate[T accumValue](a *accumMinMax[T], cells []uint32, vals []T, arg arrow.Array) {
	val, has := a.val, a.has
	nulls := arg.NullN() > 0
	if a.isMax {
		for i, c := range cells {
			if c == winNoCell || nulls && arg.IsNull(i) {
				continue
			}
			if v := vals[i]; !has[c] || accumLess(val[c], v) {
				val[c], has[c] = v, true
			}
		}
		return
	}
	for i, c := range cells {
		if c == winNoCell || nulls && arg.IsNull(i) {
			continue
		}
		if v := vals[i]; !has[c] || accumLess(v, val[c]) {
			val[c], has[c] = v, true
		}
	}
}

// accumMinMaxStrings folds strings into the cells' extremes, copying a string
// out of the batch only when it becomes a cell's extreme.
func accumMinMaxStrings(s *accumMinMax[string], cells []uint32, arr *array.String) {
	nulls := arr.NullN() > 0
	for i, c := range cells {
		if c == winNoCell || nulls && arr.IsNull(i) {
			continue
		}
		v := arr.Value(i)
		if !s.has[c] || (s.isMax && v > s.val[c]) || (!s.isMax && v < s.val[c]) {
			s.strBytes += int64(len(v) - len(s.val[c]))
			s.val[c], s.has[c] = strings.Clone(v), true
		}
	}
}

func (a *accumMinMax[T]) growGroups(n int) { a.dq = accumGrow(a.dq, n) }

// push adds pane's cell at the back of g's deque.
func (a *accumMinMax[T]) push(g uint32, pane int64, c uint32) {
	d := &a.dq[g]
	v := a.val[c]
	n := len(d.e)
	if a.isMax {
		for n > d.head && !accumLess(v, d.e[n-1].val) {
			n--
		}
	} else {
		for n > d.head && !accumLess(d.e[n-1].val, v) {
			n--
		}
	}
	a.entries += int64(n - len(d.e) + 1)
	d.e = append(d.e[:n], accumDequeEntry[T]{pane, v})
}

func (a *accumMinMax[T]) merge(pane int64, gids, cells []uint32) {
	for k, g := range gids {
		if c := cells[k]; a.has[c] {
			a.push(g, pane, c)
		}
	}
}

func (a *accumMinMax[T]) retract(pane int64, gids, _ []uint32) {
	for _, g := range gids {
		d := &a.dq[g]
		for d.head < len(d.e) && d.e[d.head].pane <= pane {
			d.head++
			a.entries--
		}
		switch {
		case d.head == len(d.e):
			d.e, d.head = d.e[:0], 0
		case d.head >= 32 && 2*d.head >= len(d.e):
			n := copy(d.e, d.e[d.head:])
			d.e, d.head = d.e[:n], 0
		}
	}
}

// mergeRow restores the deque invariant after the extreme of cell, of a
// pane already in the deque's range, improved: the entries of earlier
// panes that are no better are replaced by this pane's, unless a later
// pane is at least as good.
func (a *accumMinMax[T]) mergeRow(pane int64, g, c uint32, _ arrow.Array, _ int) {
	if !a.has[c] {
		return
	}
	d := &a.dq[g]
	v := a.val[c]
	i := len(d.e) // first entry of a later pane
	for i > d.head && d.e[i-1].pane > pane {
		i--
	}
	if i < len(d.e) && !a.better(v, d.e[i].val) {
		return
	}
	j := i
	for j > d.head && !a.better(d.e[j-1].val, v) {
		j--
	}
	ent := accumDequeEntry[T]{pane, v}
	a.entries += int64(1 - (i - j))
	if j < i {
		d.e[j] = ent
		n := copy(d.e[j+1:], d.e[i:])
		d.e = d.e[:j+1+n]
		return
	}
	d.e = append(d.e, accumDequeEntry[T]{})
	copy(d.e[j+1:], d.e[j:])
	d.e[j] = ent
}

func (a *accumMinMax[T]) resetGroups(gids []uint32) {
	for _, g := range gids {
		d := &a.dq[g]
		a.entries -= int64(len(d.e) - d.head)
		d.e, d.head = d.e[:0], 0
	}
}

func (a *accumMinMax[T]) evalGroups(gids []uint32) {
	for _, g := range gids {
		if d := &a.dq[g]; d.head < len(d.e) {
			a.out.add(d.e[d.head].val, true)
		} else {
			a.out.addNull()
		}
	}
}

func (a *accumMinMax[T]) evalCells(cells []uint32) {
	for _, c := range cells {
		a.out.add(a.val[c], a.has[c])
	}
}

func (a *accumMinMax[T]) evalEmpty() { a.out.addNull() }

func (a *accumMinMax[T]) finish(mem memory.Allocator) arrow.Array {
	return a.out.build(mem, a.typ)
}

func (a *accumMinMax[T]) size() int64 {
	var zero T
	return int64(cap(a.val))*int64(unsafe.Sizeof(zero)) + int64(cap(a.has)) + int64(cap(a.dq))*32 +
		a.entries*(8+int64(unsafe.Sizeof(zero))) + a.strBytes + a.out.bytes()
}

// The state of a cell of MIN or MAX is its extreme, "val" (Int64 for
// BIGINT, TIMESTAMP and BOOLEAN, Float64 or String), and whether it has
// one, "has".

func (a *accumMinMax[T]) cellFields() []arrow.Field {
	var t arrow.DataType
	switch any(a.val).(type) {
	case []int64:
		t = arrow.PrimitiveTypes.Int64
	case []float64:
		t = arrow.PrimitiveTypes.Float64
	default:
		t = arrow.BinaryTypes.String
	}
	return []arrow.Field{accumField("val", t), accumField("has", arrow.FixedWidthTypes.Boolean)}
}

func (a *accumMinMax[T]) cellState(mem memory.Allocator, cells []uint32) []arrow.Array {
	var val arrow.Array
	switch v := any(a.val).(type) {
	case []int64:
		val = accumFixed(mem, arrow.PrimitiveTypes.Int64, v, cells)
	case []float64:
		val = accumFixed(mem, arrow.PrimitiveTypes.Float64, v, cells)
	case []string:
		val = accumStrings(mem, v, cells)
	}
	return []arrow.Array{val, accumBools(mem, a.has, cells)}
}

func (a *accumMinMax[T]) mergeCells(cells []uint32, state []arrow.Array) error {
	if err := accumStateCheck(state, len(cells), 2); err != nil {
		return err
	}
	has, err := accumBoolCol(state, 1)
	if err != nil {
		return err
	}
	var vals []T
	switch any(a.val).(type) {
	case []int64:
		v, err := accumCol[int64](state, 0)
		if err != nil {
			return err
		}
		vals = any(v).([]T)
	case []float64:
		v, err := accumCol[float64](state, 0)
		if err != nil {
			return err
		}
		vals = any(v).([]T)
	default:
		col, err := accumStringCol(state, 0)
		if err != nil {
			return err
		}
		any(a).(*accumMinMax[string]).mergeStrings(cells, col, has)
		return nil
	}
	for k, c := range cells {
		if c == winNoCell || !has.Value(k) {
			continue
		}
		if v := vals[k]; !a.has[c] || a.better(v, a.val[c]) {
			a.val[c], a.has[c] = v, true
		}
	}
	return nil
}

// mergeStrings is mergeCells of strings, copied out of the array.
func (a *accumMinMax[T]) mergeStrings(cells []uint32, col *array.String, has *array.Boolean) {
	s := any(a).(*accumMinMax[string])
	for k, c := range cells {
		if c == winNoCell || !has.Value(k) {
			continue
		}
		if v := col.Value(k); !s.has[c] || s.better(v, s.val[c]) {
			s.strBytes += int64(len(v) - len(s.val[c]))
			s.val[c], s.has[c] = strings.Clone(v), true
		}
	}
}
