package exec

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/weirdb/weir/vector"
)

// topnOut collects output rows: cells, rank (0 for NULL) and kind.
type topnOut struct {
	rows  []topnRow
	ranks []int64
	kinds []vector.RowKind
}

func (o *topnOut) add(r topnRow, rank int64, k vector.RowKind) {
	o.rows = append(o.rows, r)
	o.ranks = append(o.ranks, rank)
	o.kinds = append(o.kinds, k)
}

// emitChanges emits, for every dirty partition in the order they were
// first touched, the difference between its top N and what it emitted.
func (t *TopN) emitChanges() ([]arrow.RecordBatch, error) {
	if len(t.dirty) == 0 {
		return nil, nil
	}
	var out topnOut
	for _, p := range t.dirty {
		p.dirty = false
		now, ranks := t.top(p, t.cfg.Rank)
		if t.cfg.Rank {
			t.diffRanked(&out, p.emitted, p.ranks, now, ranks)
		} else {
			t.diffMembers(&out, p.emitted, now)
		}
		p.emitted = append(p.emitted[:0], now...)
		p.ranks = ranks
		if len(p.rows) == 0 {
			p.gone = true
			t.parts.del(p)
		}
	}
	t.dirty = t.dirty[:0]
	if t.cfg.AppendOnly {
		for _, k := range out.kinds {
			if k != vector.Insert {
				return nil, fmt.Errorf("top-N: a row left an append-only top N (%s)", k)
			}
		}
	}
	return t.build(&out)
}

// diffRanked compares position by position: a position whose row or
// rank changed is updated, one that appeared inserted, one that
// disappeared deleted.
func (t *TopN) diffRanked(out *topnOut, old []topnRow, oldRanks []int64, now []topnRow, ranks []int64) {
	for i := 0; i < max(len(old), len(now)); i++ {
		switch {
		case i >= len(now):
			out.add(old[i], oldRanks[i], vector.Delete)
		case i >= len(old):
			out.add(now[i], ranks[i], vector.Insert)
		case old[i].data != now[i].data || oldRanks[i] != ranks[i]:
			out.add(old[i], oldRanks[i], vector.UpdateBefore)
			out.add(now[i], ranks[i], vector.UpdateAfter)
		}
	}
}

// diffMembers emits the rows that left the top N and those that entered
// it (a multiset difference); with N = 1 (deduplication) a replaced row
// is an update of its partition's row.
func (t *TopN) diffMembers(out *topnOut, old, now []topnRow) {
	count := map[string]int{}
	for _, r := range old {
		count[r.data]++
	}
	var added []topnRow
	for _, r := range now {
		if count[r.data] > 0 {
			count[r.data]--
		} else {
			added = append(added, r)
		}
	}
	var removed []topnRow
	for _, r := range old {
		if count[r.data] > 0 {
			count[r.data]--
			removed = append(removed, r)
		}
	}
	if t.cfg.N == 1 && len(removed) == 1 && len(added) == 1 {
		out.add(removed[0], 0, vector.UpdateBefore)
		out.add(added[0], 0, vector.UpdateAfter)
		return
	}
	for _, r := range removed {
		out.add(r, 0, vector.Delete)
	}
	for _, r := range added {
		out.add(r, 0, vector.Insert)
	}
}

// fireWindows emits the top N of every window whose end is <= the
// watermark, in order of window end then of first arrival, and frees them.
func (t *TopN) fireWindows() ([]arrow.RecordBatch, error) {
	var fired []*topnPart
	t.parts.each(func(p *topnPart) {
		if p.end <= t.wm {
			fired = append(fired, p)
		}
	})
	if len(fired) == 0 {
		return nil, nil
	}
	slices.SortFunc(fired, func(a, b *topnPart) int {
		if c := cmp.Compare(a.end, b.end); c != 0 {
			return c
		}
		return cmp.Compare(a.first, b.first)
	})
	var out topnOut
	for _, p := range fired {
		rows, ranks := t.top(p, true)
		for i, r := range rows {
			out.add(r, ranks[i], vector.Insert)
		}
		t.drop(p)
	}
	// The dirty list only matters unwindowed.
	t.dirty = t.dirty[:0]
	return t.build(&out)
}

// build turns collected rows into one batch of the output schema.
func (t *TopN) build(o *topnOut) ([]arrow.RecordBatch, error) {
	if len(o.rows) == 0 {
		return nil, nil
	}
	cols := make([]arrow.Array, 0, t.schema.NumFields())
	for _, c := range t.cfg.Columns {
		if c < 0 {
			rb := array.NewInt64Builder(t.mem)
			for _, r := range o.ranks {
				if r == 0 {
					rb.AppendNull()
				} else {
					rb.Append(r)
				}
			}
			cols = append(cols, rb.NewArray())
			rb.Release()
			continue
		}
		a, err := buildCells(t.mem, t.in.Field(c).Type, len(o.rows), func(i int) Cell { return t.cell(o.rows[i], c) })
		if err != nil {
			releaseAll(cols)
			return nil, err
		}
		cols = append(cols, a)
	}
	if vector.IsChangelog(t.schema) {
		ob := array.NewInt8Builder(t.mem)
		for _, k := range o.kinds {
			ob.Append(int8(k))
		}
		cols = append(cols, ob.NewArray())
		ob.Release()
	}
	out := array.NewRecordBatch(t.schema, cols, int64(len(o.rows)))
	releaseAll(cols)
	return []arrow.RecordBatch{out}, nil
}
