package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"strings"
	"testing"
	"time"

	"github.com/weirdb/weir/bench"
)

// TestWindowsMatchBatchGroupBy runs windowed queries through the real
// binary over generated out-of-order data and checks every emitted row
// against a batch GROUP BY computed naively here.
func TestWindowsMatchBatchGroupBy(t *testing.T) {
	clicks := bench.Clicks(bench.ClicksConfig{Rows: 20000, Seed: 42, Start: 1704067200000, StepMs: 37,
		DisorderMs: 4000, Users: 40, URLs: 15, NullEvery: 25})
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "clicks.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := bench.WriteClicksCSV(f, clicks); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ddl := `CREATE TABLE clicks (ts TIMESTAMP(3), user_id BIGINT, url VARCHAR(32), amount DOUBLE,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (connector = 'file', path = 'clicks.csv', format = 'csv');
`
	cases := []struct {
		name        string
		group       string // GROUP BY window
		size, slide int64
		key         func(bench.Click) (any, bool) // nil: no key
		keyCol      string
		where       func(bench.Click) bool
		whereSQL    string
	}{
		{name: "tumble by user", group: "TUMBLE(ts, INTERVAL '10' SECOND)", size: 10000, slide: 10000,
			key: func(c bench.Click) (any, bool) { return float64(c.User), c.HasUser }, keyCol: "user_id"},
		{name: "hop by url", group: "HOP(ts, INTERVAL '2' SECOND, INTERVAL '10' SECOND)", size: 10000, slide: 2000,
			key: func(c bench.Click) (any, bool) { return c.URL, true }, keyCol: "url"},
		{name: "hop not dividing, filtered", group: "HOP(ts, INTERVAL '3' SECOND, INTERVAL '10' SECOND)", size: 10000, slide: 3000,
			where: func(c bench.Click) bool { return c.HasAmount && c.Amount > 50 }, whereSQL: "WHERE amount > 50"},
		{name: "long hop", group: "HOP(ts, '1 second', '1 minute')", size: 60000, slide: 1000,
			key: func(c bench.Click) (any, bool) { return float64(c.User % 3), c.HasUser }, keyCol: "user_id % 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sel := "window_start, window_end"
			grp := c.group
			if c.key != nil {
				sel += ", " + c.keyCol + " AS k"
				grp = c.keyCol + ", " + c.group
			}
			q := fmt.Sprintf("SELECT %s, COUNT(*) AS n, COUNT(amount) AS na, SUM(amount) AS s, MIN(amount) AS lo, MAX(amount) AS hi, AVG(amount) AS a FROM clicks %s GROUP BY %s;",
				sel, c.whereSQL, grp)
			writeFile(t, dir, "q.sql", ddl+q)
			out, errOut, code := runWeir(t, dir, "run", "q.sql", "--format", "jsonl")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			got := map[string]map[string]any{}
			sc := bufio.NewScanner(strings.NewReader(out))
			for sc.Scan() {
				var row map[string]any
				if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
					t.Fatalf("bad json %q: %v", sc.Text(), err)
				}
				id := fmt.Sprint(row["window_start"], "|", row["k"])
				if _, dup := got[id]; dup {
					t.Fatalf("window %s emitted twice", id)
				}
				got[id] = row
			}
			want := naiveWindows(clicks, c.size, c.slide, c.key, c.where)
			if len(got) != len(want) {
				t.Errorf("%d rows, want %d", len(got), len(want))
			}
			for id, w := range want {
				g, ok := got[id]
				if !ok {
					t.Errorf("missing window %s", id)
					continue
				}
				for k, v := range w {
					if !sameValue(g[k], v) {
						t.Errorf("window %s: %s = %v, want %v", id, k, g[k], v)
					}
				}
			}
		})
	}
}

type acc struct {
	n, na   int
	s       float64
	lo, hi  float64
	start   int64
	key     any
	keyNull bool
}

func naiveWindows(clicks []bench.Click, size, slide int64, key func(bench.Click) (any, bool), where func(bench.Click) bool) map[string]map[string]any {
	accs := map[string]*acc{}
	for _, c := range clicks {
		if where != nil && !where(c) {
			continue
		}
		var k any
		null := false
		if key != nil {
			var ok bool
			k, ok = key(c)
			null = !ok
		}
		last := c.TS - ((c.TS%slide)+slide)%slide // the latest start <= ts
		for s := last; s > c.TS-size; s -= slide {
			kk := any(nil)
			if key != nil && !null {
				kk = k
			}
			id := fmt.Sprint(ts(s), "|", kk)
			a := accs[id]
			if a == nil {
				a = &acc{start: s, key: kk, lo: math.Inf(1), hi: math.Inf(-1)}
				accs[id] = a
			}
			a.n++
			if c.HasAmount {
				a.na++
				a.s += c.Amount
				a.lo = math.Min(a.lo, c.Amount)
				a.hi = math.Max(a.hi, c.Amount)
			}
		}
	}
	out := map[string]map[string]any{}
	for id, a := range accs {
		row := map[string]any{"window_start": ts(a.start), "window_end": ts(a.start + size), "n": float64(a.n), "na": float64(a.na)}
		if a.na > 0 {
			row["s"], row["lo"], row["hi"], row["a"] = a.s, a.lo, a.hi, a.s/float64(a.na)
		} else {
			row["s"], row["lo"], row["hi"], row["a"] = nil, nil, nil, nil
		}
		out[id] = row
	}
	return out
}

func ts(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") }

func sameValue(got, want any) bool {
	if wf, ok := want.(float64); ok {
		gf, ok := got.(float64)
		return ok && math.Abs(gf-wf) <= 1e-9*math.Max(1, math.Abs(wf))
	}
	return got == want
}
