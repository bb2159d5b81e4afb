package exec

import (
	"fmt"
	"slices"
	"strings"
)

// The snapshot tests' views of the DISTINCT and APPROX_COUNT_DISTINCT
// accumulators: each cell's multiset or sketch rendered as one string.

func dsetDump[T distinctKey](s *dset[T]) string {
	if s == nil {
		return "{}"
	}
	var parts []string
	for v, n := range s.m {
		parts = append(parts, fmt.Sprintf("%v:%d", v, n))
	}
	slices.Sort(parts)
	return "{" + strings.Join(parts, " ") + fmt.Sprintf("} %d %d", s.hi, s.lo)
}

func hllDump(h *hll) string {
	if h == nil {
		return "-"
	}
	if h.regs == nil {
		return fmt.Sprint("sparse", h.sparse)
	}
	return fmt.Sprintf("dense %x", h.regs)
}

func (a *accumDistinct[T]) snapCells() []winSnapVec {
	r := make([]string, len(a.cell))
	for i, s := range a.cell {
		r[i] = dsetDump(s)
	}
	return []winSnapVec{{"set", &r}}
}

func (a *accumHLL) snapCells() []winSnapVec {
	r := make([]string, len(a.cell))
	for i, h := range a.cell {
		r[i] = hllDump(h)
	}
	return []winSnapVec{{"hll", &r}}
}

// winSnapDumpRunningDistinct renders group g's running value in a
// DISTINCT or APPROX_COUNT_DISTINCT accumulator.
func winSnapDumpRunningDistinct(a accumulator, g uint32) string {
	switch a := a.(type) {
	case *accumDistinct[int64]:
		return dsetDump(a.run[g])
	case *accumDistinct[string]:
		return dsetDump(a.run[g])
	case *accumHLL:
		var s []string
		for _, pc := range a.run[g] {
			s = append(s, fmt.Sprintf("%d:%s", pc.pane, hllDump(a.cell[pc.cell])))
		}
		return fmt.Sprint(s)
	}
	panic(fmt.Sprintf("winSnapDumpRunning %T", a))
}
