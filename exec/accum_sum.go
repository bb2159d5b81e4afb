package exec

import (
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// accumSumInt is SUM of Int64: invertible and exact (wrapping on overflow),
// with a count of non-NULL values so that a window of NULLs sums to NULL.
type accumSumInt struct {
	accumNoGroupState
	csum, cnn []int64 // by cell
	sum, nn   []int64 // by group
	out       accumOut[int64]
}

func (a *accumSumInt) growCells(n int) {
	a.csum, a.cnn = accumGrow(a.csum, n), accumGrow(a.cnn, n)
}

func (a *accumSumInt) resetCells(cells []uint32) {
	for _, c := range cells {
		a.csum[c], a.cnn[c] = 0, 0
	}
}

func (a *accumSumInt) update(cells []uint32, arg arrow.Array) {
	vals := arg.(*array.Int64).Int64Values()
	csum, cnn := a.csum, a.cnn
	if arg.NullN() == 0 {
		for i, c := range cells {
			if c != winNoCell {
				csum[c] += vals[i]
				cnn[c]++
			}
		}
		return
	}
	for i, c := range cells {
		if c != winNoCell && arg.IsValid(i) {
			csum[c] += vals[i]
			cnn[c]++
		}
	}
}

func (a *accumSumInt) growGroups(n int) { a.sum, a.nn = accumGrow(a.sum, n), accumGrow(a.nn, n) }

func (a *accumSumInt) merge(_ int64, gids, cells []uint32) {
	for k, g := range gids {
		c := cells[k]
		a.sum[g] += a.csum[c]
		a.nn[g] += a.cnn[c]
	}
}

func (a *accumSumInt) retract(_ int64, gids, cells []uint32) {
	for k, g := range gids {
		c := cells[k]
		a.sum[g] -= a.csum[c]
		a.nn[g] -= a.cnn[c]
	}
}

func (a *accumSumInt) mergeRow(_ int64, gid, _ uint32, arg arrow.Array, row int) {
	if arg.IsValid(row) {
		a.sum[gid] += arg.(*array.Int64).Value(row)
		a.nn[gid]++
	}
}

func (a *accumSumInt) resetGroups(gids []uint32) {
	for _, g := range gids {
		a.sum[g], a.nn[g] = 0, 0
	}
}

func (a *accumSumInt) evalGroups(gids []uint32) {
	for _, g := range gids {
		a.out.add(a.sum[g], a.nn[g] > 0)
	}
}

func (a *accumSumInt) evalCells(cells []uint32) {
	for _, c := range cells {
		a.out.add(a.csum[c], a.cnn[c] > 0)
	}
}

func (a *accumSumInt) evalEmpty() { a.out.addNull() }

func (a *accumSumInt) finish(mem memory.Allocator) arrow.Array {
	return a.out.build(mem, vector.Int64)
}

func (a *accumSumInt) size() int64 {
	return int64(cap(a.csum)+cap(a.cnn)+cap(a.sum)+cap(a.nn))*8 + a.out.bytes()
}

// accumNonFinite counts the infinite and NaN values of a float sum; they
// are kept out of the sum itself so that retracting them is exact.
type accumNonFinite struct{ pos, neg, nan int64 }

func (f *accumNonFinite) add(v float64, d int64) {
	switch {
	case v != v:
		f.nan += d
	case v > 0:
		f.pos += d
	default:
		f.neg += d
	}
}

func (f *accumNonFinite) merge(o accumNonFinite, d int64) {
	f.pos += d * o.pos
	f.neg += d * o.neg
	f.nan += d * o.nan
}

// value is the sum of finite values s with the non-finite ones added.
func (f accumNonFinite) value(s float64) float64 {
	switch {
	case f.nan > 0 || f.pos > 0 && f.neg > 0:
		return math.NaN()
	case f.pos > 0:
		return math.Inf(1)
	case f.neg > 0:
		return math.Inf(-1)
	}
	return s
}

// accumSumFloat is SUM or AVG of Float64. Running sums are compensated
// (Neumaier) so that adding and retracting panes does not drift, are reset
// to exactly zero when a group leaves the window, and keep infinities and
// NaNs as counts. A window of NULLs gives NULL.
type accumSumFloat struct {
	avg bool

	csum []float64        // by cell: plain sum of finite values
	cnn  []int64          // by cell: non-NULL values
	cnf  []accumNonFinite // by cell, allocated at the first non-finite value

	sum, comp []float64        // by group: compensated running sum
	nn        []int64          // by group
	nf        []accumNonFinite // by group, allocated with cnf
	out       accumOut[float64]
}

func (a *accumSumFloat) growCells(n int) {
	a.csum, a.cnn = accumGrow(a.csum, n), accumGrow(a.cnn, n)
	if a.cnf != nil {
		a.cnf = accumGrow(a.cnf, n)
	}
}

func (a *accumSumFloat) resetCells(cells []uint32) {
	for _, c := range cells {
		a.csum[c], a.cnn[c] = 0, 0
		if a.cnf != nil {
			a.cnf[c] = accumNonFinite{}
		}
	}
}

// nonFinite allocates the non-finite counters on first use.
func (a *accumSumFloat) nonFinite() {
	if a.cnf == nil {
		a.cnf = make([]accumNonFinite, len(a.csum), cap(a.csum))
		a.nf = make([]accumNonFinite, len(a.sum), cap(a.sum))
	}
}

func (a *accumSumFloat) update(cells []uint32, arg arrow.Array) {
	vals := arg.(*array.Float64).Float64Values()
	nulls := arg.NullN() > 0
	csum, cnn := a.csum, a.cnn
	for i, c := range cells {
		if c == winNoCell || nulls && arg.IsNull(i) {
			continue
		}
		v := vals[i]
		cnn[c]++
		if v-v != 0 { // ±Inf or NaN
			a.nonFinite()
			a.cnf[c].add(v, 1)
			continue
		}
		csum[c] += v
	}
}

func (a *accumSumFloat) growGroups(n int) {
	a.sum, a.comp, a.nn = accumGrow(a.sum, n), accumGrow(a.comp, n), accumGrow(a.nn, n)
	if a.nf != nil {
		a.nf = accumGrow(a.nf, n)
	}
}

// accumNeumaier adds x to the compensated sum (*s, *c).
func accumNeumaier(s, c *float64, x float64) {
	t := *s + x
	if math.Abs(*s) >= math.Abs(x) {
		*c += (*s - t) + x
	} else {
		*c += (x - t) + *s
	}
	*s = t
}

func (a *accumSumFloat) merge(_ int64, gids, cells []uint32) {
	for k, g := range gids {
		c := cells[k]
		if a.cnn[c] == 0 {
			continue
		}
		accumNeumaier(&a.sum[g], &a.comp[g], a.csum[c])
		a.nn[g] += a.cnn[c]
		if a.cnf != nil {
			a.nf[g].merge(a.cnf[c], 1)
		}
	}
}

func (a *accumSumFloat) retract(_ int64, gids, cells []uint32) {
	for k, g := range gids {
		c := cells[k]
		if a.cnn[c] == 0 {
			continue
		}
		a.nn[g] -= a.cnn[c]
		if a.cnf != nil {
			a.nf[g].merge(a.cnf[c], -1)
		}
		if a.nn[g] == 0 {
			a.sum[g], a.comp[g] = 0, 0
			continue
		}
		accumNeumaier(&a.sum[g], &a.comp[g], -a.csum[c])
	}
}

func (a *accumSumFloat) mergeRow(_ int64, gid, _ uint32, arg arrow.Array, row int) {
	if !arg.IsValid(row) {
		return
	}
	v := arg.(*array.Float64).Value(row)
	a.nn[gid]++
	if v-v != 0 {
		a.nonFinite() // already allocated by update
		a.nf[gid].add(v, 1)
		return
	}
	accumNeumaier(&a.sum[gid], &a.comp[gid], v)
}

func (a *accumSumFloat) resetGroups(gids []uint32) {
	for _, g := range gids {
		a.sum[g], a.comp[g], a.nn[g] = 0, 0, 0
		if a.nf != nil {
			a.nf[g] = accumNonFinite{}
		}
	}
}

func (a *accumSumFloat) emit(s float64, n int64, nf *accumNonFinite) {
	if n == 0 {
		a.out.addNull()
		return
	}
	if nf != nil {
		s = nf.value(s)
	}
	if a.avg {
		s /= float64(n)
	}
	a.out.add(s, true)
}

func (a *accumSumFloat) evalGroups(gids []uint32) {
	for _, g := range gids {
		var nf *accumNonFinite
		if a.nf != nil {
			nf = &a.nf[g]
		}
		a.emit(a.sum[g]+a.comp[g], a.nn[g], nf)
	}
}

func (a *accumSumFloat) evalCells(cells []uint32) {
	for _, c := range cells {
		var nf *accumNonFinite
		if a.cnf != nil {
			nf = &a.cnf[c]
		}
		a.emit(a.csum[c], a.cnn[c], nf)
	}
}

func (a *accumSumFloat) evalEmpty() { a.out.addNull() }

func (a *accumSumFloat) finish(mem memory.Allocator) arrow.Array {
	return a.out.build(mem, vector.Float64)
}

func (a *accumSumFloat) size() int64 {
	return int64(cap(a.csum)+cap(a.cnn)+cap(a.sum)+cap(a.comp)+cap(a.nn))*8 +
		int64(cap(a.cnf)+cap(a.nf))*24 + a.out.bytes()
}

// accumAvgInt is AVG of Int64: an exact 128-bit running sum and a count.
type accumAvgInt struct {
	accumNoGroupState
	chi  []int64 // by cell: high word of the sum
	clo  []uint64
	cnn  []int64
	hi   []int64 // by group
	lo   []uint64
	nn   []int64
	outv accumOut[float64]
}

func (a *accumAvgInt) growCells(n int) {
	a.chi, a.clo, a.cnn = accumGrow(a.chi, n), accumGrow(a.clo, n), accumGrow(a.cnn, n)
}

func (a *accumAvgInt) resetCells(cells []uint32) {
	for _, c := range cells {
		a.chi[c], a.clo[c], a.cnn[c] = 0, 0, 0
	}
}

// accumAdd128 adds the 128-bit (h2, l2) to (*h, *l).
func accumAdd128(h *int64, l *uint64, h2 int64, l2 uint64) {
	var carry uint64
	*l, carry = bits.Add64(*l, l2, 0)
	*h += h2 + int64(carry)
}

// accumSub128 subtracts the 128-bit (h2, l2) from (*h, *l).
func accumSub128(h *int64, l *uint64, h2 int64, l2 uint64) {
	var borrow uint64
	*l, borrow = bits.Sub64(*l, l2, 0)
	*h -= h2 + int64(borrow)
}

// accumFloat128 converts a 128-bit integer to the nearest float64 (or
// close to it, for magnitudes beyond 2^63).
func accumFloat128(h int64, l uint64) float64 {
	if h == 0 && l < 1<<63 || h == -1 && l >= 1<<63 {
		return float64(int64(l))
	}
	if h < 0 {
		nl, borrow := bits.Sub64(0, l, 0)
		nh := uint64(-h) - borrow
		return -(float64(nh)*0x1p64 + float64(nl))
	}
	return float64(h)*0x1p64 + float64(l)
}

func (a *accumAvgInt) update(cells []uint32, arg arrow.Array) {
	vals := arg.(*array.Int64).Int64Values()
	nulls := arg.NullN() > 0
	for i, c := range cells {
		if c == winNoCell || nulls && arg.IsNull(i) {
			continue
		}
		v := vals[i]
		accumAdd128(&a.chi[c], &a.clo[c], v>>63, uint64(v))
		a.cnn[c]++
	}
}

func (a *accumAvgInt) growGroups(n int) {
	a.hi, a.lo, a.nn = accumGrow(a.hi, n), accumGrow(a.lo, n), accumGrow(a.nn, n)
}

func (a *accumAvgInt) merge(_ int64, gids, cells []uint32) {
	for k, g := range gids {
		c := cells[k]
		accumAdd128(&a.hi[g], &a.lo[g], a.chi[c], a.clo[c])
		a.nn[g] += a.cnn[c]
	}
}

func (a *accumAvgInt) retract(_ int64, gids, cells []uint32) {
	for k, g := range gids {
		c := cells[k]
		accumSub128(&a.hi[g], &a.lo[g], a.chi[c], a.clo[c])
		a.nn[g] -= a.cnn[c]
	}
}

func (a *accumAvgInt) mergeRow(_ int64, gid, _ uint32, arg arrow.Array, row int) {
	if arg.IsValid(row) {
		v := arg.(*array.Int64).Value(row)
		accumAdd128(&a.hi[gid], &a.lo[gid], v>>63, uint64(v))
		a.nn[gid]++
	}
}

func (a *accumAvgInt) resetGroups(gids []uint32) {
	for _, g := range gids {
		a.hi[g], a.lo[g], a.nn[g] = 0, 0, 0
	}
}

func (a *accumAvgInt) emit(h int64, l uint64, n int64) {
	if n == 0 {
		a.outv.addNull()
		return
	}
	a.outv.add(accumFloat128(h, l)/float64(n), true)
}

func (a *accumAvgInt) evalGroups(gids []uint32) {
	for _, g := range gids {
		a.emit(a.hi[g], a.lo[g], a.nn[g])
	}
}

func (a *accumAvgInt) evalCells(cells []uint32) {
	for _, c := range cells {
		a.emit(a.chi[c], a.clo[c], a.cnn[c])
	}
}

func (a *accumAvgInt) evalEmpty() { a.outv.addNull() }

func (a *accumAvgInt) finish(mem memory.Allocator) arrow.Array {
	return a.outv.build(mem, vector.Float64)
}

func (a *accumAvgInt) size() int64 {
	return int64(cap(a.chi)+cap(a.clo)+cap(a.cnn)+cap(a.hi)+cap(a.lo)+cap(a.nn))*8 + a.outv.bytes()
}

func (a *accumSumInt) cellFields() []arrow.Field {
	return []arrow.Field{accumField("sum", arrow.PrimitiveTypes.Int64), accumField("nn", arrow.PrimitiveTypes.Int64)}
}

func (a *accumSumInt) cellState(mem memory.Allocator, cells []uint32) []arrow.Array {
	t := arrow.PrimitiveTypes.Int64
	return []arrow.Array{accumFixed(mem, t, a.csum, cells), accumFixed(mem, t, a.cnn, cells)}
}

func (a *accumSumInt) mergeCells(cells []uint32, state []arrow.Array) error {
	if err := accumStateCheck(state, len(cells), 2); err != nil {
		return err
	}
	var sum, nn []int64
	if err := accumCols(state, 0, &sum, &nn); err != nil {
		return err
	}
	for k, c := range cells {
		if c != winNoCell {
			a.csum[c] += sum[k]
			a.cnn[c] += nn[k]
		}
	}
	return nil
}

func (a *accumAvgInt) cellFields() []arrow.Field {
	return []arrow.Field{
		accumField("hi", arrow.PrimitiveTypes.Int64), accumField("lo", arrow.PrimitiveTypes.Uint64),
		accumField("nn", arrow.PrimitiveTypes.Int64),
	}
}

func (a *accumAvgInt) cellState(mem memory.Allocator, cells []uint32) []arrow.Array {
	return []arrow.Array{
		accumFixed(mem, arrow.PrimitiveTypes.Int64, a.chi, cells), accumFixed(mem, arrow.PrimitiveTypes.Uint64, a.clo, cells),
		accumFixed(mem, arrow.PrimitiveTypes.Int64, a.cnn, cells),
	}
}

func (a *accumAvgInt) mergeCells(cells []uint32, state []arrow.Array) error {
	if err := accumStateCheck(state, len(cells), 3); err != nil {
		return err
	}
	hi, err := accumCol[int64](state, 0)
	if err != nil {
		return err
	}
	lo, err := accumCol[uint64](state, 1)
	if err != nil {
		return err
	}
	nn, err := accumCol[int64](state, 2)
	if err != nil {
		return err
	}
	for k, c := range cells {
		if c != winNoCell {
			accumAdd128(&a.chi[c], &a.clo[c], hi[k], lo[k])
			a.cnn[c] += nn[k]
		}
	}
	return nil
}

// The state of accumSumFloat: by cell the plain sum and count, by group
// the compensated running sum and count, with the non-finite counters
// once a non-finite value was seen.

func (a *accumSumFloat) cellFields() []arrow.Field {
	fs := []arrow.Field{accumField("sum", arrow.PrimitiveTypes.Float64), accumField("nn", arrow.PrimitiveTypes.Int64)}
	if a.cnf != nil {
		fs = append(fs, accumNFFields("nf")...)
	}
	return fs
}

func (a *accumSumFloat) cellState(mem memory.Allocator, cells []uint32) []arrow.Array {
	out := []arrow.Array{
		accumFixed(mem, arrow.PrimitiveTypes.Float64, a.csum, cells),
		accumFixed(mem, arrow.PrimitiveTypes.Int64, a.cnn, cells),
	}
	if a.cnf != nil {
		out = append(out, accumNFState(mem, a.cnf, cells)...)
	}
	return out
}

func (a *accumSumFloat) mergeCells(cells []uint32, state []arrow.Array) error {
	if err := accumStateCheck(state, len(cells), 2, 5); err != nil {
		return err
	}
	sum, err := accumCol[float64](state, 0)
	if err != nil {
		return err
	}
	nn, err := accumCol[int64](state, 1)
	if err != nil {
		return err
	}
	var pos, neg, nan []int64
	if len(state) > 2 {
		if pos, neg, nan, err = accumNFCols(state, 2); err != nil {
			return err
		}
		a.nonFinite()
	}
	for k, c := range cells {
		if c == winNoCell {
			continue
		}
		a.csum[c] += sum[k]
		a.cnn[c] += nn[k]
		if pos != nil {
			a.cnf[c].merge(accumNonFinite{pos[k], neg[k], nan[k]}, 1)
		}
	}
	return nil
}

func (a *accumSumFloat) groupFields() []arrow.Field {
	fs := []arrow.Field{
		accumField("sum", arrow.PrimitiveTypes.Float64), accumField("comp", arrow.PrimitiveTypes.Float64),
		accumField("nn", arrow.PrimitiveTypes.Int64),
	}
	if a.nf != nil {
		fs = append(fs, accumNFFields("nf")...)
	}
	return fs
}

func (a *accumSumFloat) groupState(mem memory.Allocator, gids []uint32) []arrow.Array {
	out := []arrow.Array{
		accumFixed(mem, arrow.PrimitiveTypes.Float64, a.sum, gids),
		accumFixed(mem, arrow.PrimitiveTypes.Float64, a.comp, gids),
		accumFixed(mem, arrow.PrimitiveTypes.Int64, a.nn, gids),
	}
	if a.nf != nil {
		out = append(out, accumNFState(mem, a.nf, gids)...)
	}
	return out
}

func (a *accumSumFloat) setGroups(gids []uint32, state []arrow.Array) error {
	if err := accumStateCheck(state, len(gids), 3, 6); err != nil {
		return err
	}
	var sum, comp []float64
	if err := accumCols(state, 0, &sum, &comp); err != nil {
		return err
	}
	nn, err := accumCol[int64](state, 2)
	if err != nil {
		return err
	}
	var pos, neg, nan []int64
	if len(state) > 3 {
		if pos, neg, nan, err = accumNFCols(state, 3); err != nil {
			return err
		}
		a.nonFinite()
	}
	for k, g := range gids {
		a.sum[g], a.comp[g], a.nn[g] = sum[k], comp[k], nn[k]
		if a.nf != nil {
			a.nf[g] = accumNonFinite{}
			if pos != nil {
				a.nf[g] = accumNonFinite{pos[k], neg[k], nan[k]}
			}
		}
	}
	return nil
}

func (a *accumSumFloat) prepareState(has func(string) bool) {
	if has("nf.pos") {
		a.nonFinite()
	}
}
