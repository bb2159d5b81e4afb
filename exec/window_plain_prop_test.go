package exec

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestWindowPlainProperty: a plain GROUP BY (NoWindow) of random streams,
// every aggregate of the property test (DISTINCT and FILTER among them),
// against a recomputation over all rows.
func TestWindowPlainProperty(t *testing.T) {
	for seed := 0; seed < 60; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 0x9a1))
		c := winPropGen(r)
		c.window = WindowSpec{Kind: NoWindow}
		mem := winTestMem(t)
		cfg := c.config()
		cfg.Alloc = mem
		w, err := NewWindowAgg(cfg)
		if err != nil {
			t.Fatal(err)
		}
		at := 0
		for _, k := range c.splits {
			if _, err := w.Process(winTestBatch(mem, winPropSchema, c.rows[at:at+k])); err != nil {
				t.Fatal(err)
			}
			at += k
			if _, err := w.Advance(MinWatermark); err != nil {
				t.Fatal(err)
			}
		}
		bs, err := w.Advance(MaxWatermark)
		if err != nil {
			t.Fatal(err)
		}
		got := winTestValues(bs)
		w.Close()

		groups := map[string]*winPropGroup{}
		for _, row := range c.rows {
			key := make([]any, len(c.keys))
			for i, kc := range c.keys {
				key[i] = row[kc]
			}
			ks := fmt.Sprintf("%#v", key)
			if groups[ks] == nil {
				groups[ks] = &winPropGroup{key: key}
			}
			groups[ks].rows = append(groups[ks].rows, row)
		}
		if len(c.keys) == 0 && len(groups) == 0 {
			groups[""] = &winPropGroup{}
		}
		var gs []*winPropGroup
		for _, g := range groups {
			gs = append(gs, g)
		}
		slices.SortFunc(gs, func(a, b *winPropGroup) int { return winPropCompareKeys(a.key, b.key) })
		var want [][]any
		for _, g := range gs {
			row := slices.Clone(g.key)
			for _, a := range winPropAggs {
				row = append(row, winPropAggregate(a, g.rows))
			}
			want = append(want, row)
		}
		if d := winPropDiff([][][]any{got}, [][][]any{want}); d != "" {
			t.Fatalf("seed %d (keys %v, %d rows): %s", seed, c.keys, len(c.rows), d)
		}
	}
}
