package exec

// A view of the accumulators' partials by cell, straight from their
// slices, for winSnapDump: it renders the state independently of the
// state export that snapshots go through, so that a column the export
// forgot shows as a difference after Restore.

// winSnapVec is one vector of an accumulator's state, by cell.
type winSnapVec struct {
	name string
	ptr  any // *[]int64, *[]uint64, *[]float64, *[]bool, *[]string or *[]accumNonFinite
}

// winSnapAccum lists an accumulator's partials by cell.
type winSnapAccum interface {
	snapCells() []winSnapVec
}

func (a *accumCount) snapCells() []winSnapVec { return []winSnapVec{{"n", &a.cell}} }

func (a *accumSumInt) snapCells() []winSnapVec {
	return []winSnapVec{{"sum", &a.csum}, {"nn", &a.cnn}}
}

func (a *accumAvgInt) snapCells() []winSnapVec {
	return []winSnapVec{{"hi", &a.chi}, {"lo", &a.clo}, {"nn", &a.cnn}}
}

func (a *accumSumFloat) snapCells() []winSnapVec {
	return []winSnapVec{{"sum", &a.csum}, {"nn", &a.cnn}, {"nf", &a.cnf}}
}

func (a *accumMinMax[T]) snapCells() []winSnapVec {
	return []winSnapVec{{"val", &a.val}, {"has", &a.has}}
}

func (a *accumNull) snapCells() []winSnapVec { return nil }
