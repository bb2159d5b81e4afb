package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// accumCount is COUNT(*) (star) or COUNT(x): invertible, a running count.
type accumCount struct {
	accumNoGroupState
	star    bool
	nullArg bool // COUNT of a NULL-typed argument: always 0
	cell    []int64
	run     []int64
	out     accumOut[int64]
}

func (a *accumCount) growCells(n int) { a.cell = accumGrow(a.cell, n) }

func (a *accumCount) resetCells(cells []uint32) {
	for _, c := range cells {
		a.cell[c] = 0
	}
}

func (a *accumCount) update(cells []uint32, arg arrow.Array) {
	if a.nullArg {
		return
	}
	cell := a.cell
	if a.star || arg.NullN() == 0 {
		for _, c := range cells {
			if c != winNoCell {
				cell[c]++
			}
		}
		return
	}
	for i, c := range cells {
		if c != winNoCell && arg.IsValid(i) {
			cell[c]++
		}
	}
}

func (a *accumCount) growGroups(n int) { a.run = accumGrow(a.run, n) }

func (a *accumCount) merge(_ int64, gids, cells []uint32) {
	for k, g := range gids {
		a.run[g] += a.cell[cells[k]]
	}
}

func (a *accumCount) retract(_ int64, gids, cells []uint32) {
	for k, g := range gids {
		a.run[g] -= a.cell[cells[k]]
	}
}

func (a *accumCount) mergeRow(_ int64, gid, _ uint32, arg arrow.Array, row int) {
	if a.star || !a.nullArg && arg.IsValid(row) {
		a.run[gid]++
	}
}

func (a *accumCount) resetGroups(gids []uint32) {
	for _, g := range gids {
		a.run[g] = 0
	}
}

func (a *accumCount) evalGroups(gids []uint32) {
	for _, g := range gids {
		a.out.add(a.run[g], true)
	}
}

func (a *accumCount) evalCells(cells []uint32) {
	for _, c := range cells {
		a.out.add(a.cell[c], true)
	}
}

func (a *accumCount) evalEmpty() { a.out.add(0, true) }

func (a *accumCount) finish(mem memory.Allocator) arrow.Array {
	return a.out.build(mem, vector.Int64)
}

func (a *accumCount) size() int64 {
	return int64(cap(a.cell)+cap(a.run))*8 + a.out.bytes()
}

func (a *accumCount) cellFields() []arrow.Field {
	return []arrow.Field{accumField("n", arrow.PrimitiveTypes.Int64)}
}

func (a *accumCount) cellState(mem memory.Allocator, cells []uint32) []arrow.Array {
	return []arrow.Array{accumFixed(mem, arrow.PrimitiveTypes.Int64, a.cell, cells)}
}

func (a *accumCount) mergeCells(cells []uint32, state []arrow.Array) error {
	if err := accumStateCheck(state, len(cells), 1); err != nil {
		return err
	}
	n, err := accumCol[int64](state, 0)
	if err != nil {
		return err
	}
	for k, c := range cells {
		if c != winNoCell {
			a.cell[c] += n[k]
		}
	}
	return nil
}
