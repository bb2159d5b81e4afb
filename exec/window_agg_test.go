package exec

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// winTestAggs is COUNT(*), COUNT(v), SUM(v), MIN(v), MAX(v), AVG(v) of
// column v.
func winTestAggs(v int) []AggSpec {
	return []AggSpec{
		{Func: CountStar, Arg: -1, Name: "n"},
		{Func: Count, Arg: v, Name: "c"},
		{Func: Sum, Arg: v, Name: "s"},
		{Func: Min, Arg: v, Name: "lo"},
		{Func: Max, Arg: v, Name: "hi"},
		{Func: Avg, Arg: v, Name: "avg"},
	}
}

func TestWindowTumble(t *testing.T) {
	in := winTestSchema("ts:ts", "k:string", "v:int")
	cfg := WindowAggConfig{Input: in, Keys: []int{1}, KeyNames: []string{"k"}, Aggs: winTestAggs(2),
		Window: WindowSpec{Kind: Tumble, TimeCol: 0, Size: 10, Slide: 10}}
	got, st := winTestDrive(t, cfg, []winTestStep{
		{rows: [][]any{{1, "b", 2}, {2, "a", 1}, {12, "a", 4}}, wm: 5},
		{rows: [][]any{{5, "a", 3}, {15, nil, 5}, {19, "a", nil}, {nil, "a", 7}}, wm: 10},
		{rows: [][]any{{9, "a", 100}, {21, "c", 1}}, wm: 20},
		{wm: MaxWatermark},
	})
	winTestExpect(t, got,
		nil,
		[]string{`0 10 "a" 2 2 4 1 3 2`, `0 10 "b" 1 1 2 2 2 2`},
		[]string{`10 20 null 1 1 5 5 5 5`, `10 20 "a" 2 1 4 4 4 4`},
		[]string{`20 30 "c" 1 1 1 1 1 1`},
	)
	if st.LateRows != 1 || st.NullTimeRows != 1 {
		t.Errorf("stats %+v", st)
	}
	if s := cfg.Window; s.Size != 10 {
		t.Fatal(s)
	}
}

func TestWindowSchema(t *testing.T) {
	in := winTestSchema("ts:ts", "k:string", "i:int", "f:float", "b:bool", "n:null")
	w, err := NewWindowAgg(WindowAggConfig{Input: in, Keys: []int{1, 4}, KeyNames: []string{"k", "kb"},
		Aggs: []AggSpec{
			{Func: CountStar, Arg: -1, Name: "a"}, {Func: Count, Arg: 1, Name: "b"},
			{Func: Sum, Arg: 2, Name: "c"}, {Func: Sum, Arg: 3, Name: "d"},
			{Func: Avg, Arg: 2, Name: "e"}, {Func: Min, Arg: 1, Name: "f"},
			{Func: Max, Arg: 0, Name: "g"}, {Func: Min, Arg: 4, Name: "h"},
			{Func: Sum, Arg: 5, Name: "i"}, {Func: Max, Arg: 5, Name: "j"},
		},
		Window: WindowSpec{Kind: Hop, TimeCol: 0, Size: 10, Slide: 5}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	want := "schema:\n  fields: 14\n" +
		"    - window_start: type=timestamp[ms, tz=UTC], nullable\n" +
		"    - window_end: type=timestamp[ms, tz=UTC], nullable\n" +
		"    - k: type=utf8, nullable\n    - kb: type=bool, nullable\n" +
		"    - a: type=int64, nullable\n    - b: type=int64, nullable\n" +
		"    - c: type=int64, nullable\n    - d: type=float64, nullable\n" +
		"    - e: type=float64, nullable\n    - f: type=utf8, nullable\n" +
		"    - g: type=timestamp[ms, tz=UTC], nullable\n    - h: type=bool, nullable\n" +
		"    - i: type=float64, nullable\n    - j: type=null, nullable"
	if got := w.Schema().String(); got != want {
		t.Errorf("schema\n%s\nwant\n%s", got, want)
	}
}

func TestWindowConfigErrors(t *testing.T) {
	in := winTestSchema("ts:ts", "k:string", "v:int", "i:int")
	tumble := WindowSpec{Kind: Tumble, TimeCol: 0, Size: 10, Slide: 10}
	for _, c := range []struct {
		cfg  WindowAggConfig
		want string
	}{
		{WindowAggConfig{Input: in, Aggs: []AggSpec{{Func: Sum, Arg: 1, Name: "s"}}, Window: tumble}, "argument type VARCHAR"},
		{WindowAggConfig{Input: in, Aggs: []AggSpec{{Func: Avg, Arg: 0, Name: "s"}}, Window: tumble}, "argument type TIMESTAMP"},
		{WindowAggConfig{Input: in, Aggs: []AggSpec{{Func: Count, Arg: 9, Name: "s"}}, Window: tumble}, "out of range"},
		{WindowAggConfig{Input: in, Aggs: []AggSpec{{Func: Count, Arg: -1, Name: "s"}}, Window: tumble}, "out of range"},
		{WindowAggConfig{Input: in, Keys: []int{7}, KeyNames: []string{"x"}, Window: tumble}, "key column 7 out of range"},
		{WindowAggConfig{Input: in, Keys: []int{1}, Window: tumble}, "1 keys but 0 key names"},
		{WindowAggConfig{Input: in, Window: WindowSpec{Kind: Tumble, TimeCol: 2, Size: 10}}, "want TIMESTAMP(3)"},
		{WindowAggConfig{Input: in, Window: WindowSpec{Kind: Tumble, TimeCol: 0, Size: 0}}, "size must be positive"},
		{WindowAggConfig{Input: in, Window: WindowSpec{Kind: Hop, TimeCol: 0, Size: 10, Slide: -1}}, "slide must be positive"},
		{WindowAggConfig{Input: in, Window: WindowSpec{Kind: Tumble, TimeCol: 0, Size: 10, Slide: 5}}, "differs from size"},
		{WindowAggConfig{Input: in, Window: WindowSpec{Kind: 9}}, "unknown window kind"},
		{WindowAggConfig{Window: tumble}, "no input schema"},
	} {
		w, err := NewWindowAgg(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.cfg, err, c.want)
		}
		if w != nil {
			w.Close()
		}
	}
}

func TestWindowBatchTypeError(t *testing.T) {
	mem := winTestMem(t)
	in := winTestSchema("ts:ts", "v:int")
	w, err := NewWindowAgg(WindowAggConfig{Input: in, Aggs: winTestAggs(1), Alloc: mem,
		Window: WindowSpec{Kind: Tumble, TimeCol: 0, Size: 10}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	bad := winTestSchema("ts:ts", "v:float")
	if _, err := w.Process(winTestBatch(mem, bad, [][]any{{1, 1.5}})); err == nil || !strings.Contains(err.Error(), "is DOUBLE, want BIGINT") {
		t.Fatalf("error %v", err)
	}
}

func TestWindowHop(t *testing.T) {
	in := winTestSchema("ts:ts", "k:string", "v:int")
	cfg := WindowAggConfig{Input: in, Keys: []int{1}, KeyNames: []string{"k"}, Aggs: winTestAggs(2),
		Window: WindowSpec{Kind: Hop, TimeCol: 0, Size: 10, Slide: 5}}
	got, _ := winTestDrive(t, cfg, []winTestStep{
		{rows: [][]any{{1, "a", 1}, {6, "a", 2}, {7, "b", 7}}, wm: 5},
		{rows: [][]any{{11, "a", 3}}, wm: 12},
		{wm: MaxWatermark},
	})
	winTestExpect(t, got,
		[]string{`-5 5 "a" 1 1 1 1 1 1`},
		[]string{`0 10 "a" 2 2 3 1 2 1.5`, `0 10 "b" 1 1 7 7 7 7`},
		[]string{`5 15 "a" 2 2 5 2 3 2.5`, `5 15 "b" 1 1 7 7 7 7`, `10 20 "a" 1 1 3 3 3 3`},
	)
}

func TestWindowHopNonDividingSlide(t *testing.T) {
	in := winTestSchema("ts:ts", "v:int")
	cfg := WindowAggConfig{Input: in, Aggs: winTestAggs(1),
		Window: WindowSpec{Kind: Hop, TimeCol: 0, Size: 10_000, Slide: 4_000}}
	got, _ := winTestDrive(t, cfg, []winTestStep{
		{rows: [][]any{{9_000, 1}, {13_000, 2}, {-3_000, 5}}, wm: 0},
		{wm: MaxWatermark},
	})
	winTestExpect(t, got,
		[]string{`-12000 -2000 1 1 5 5 5 5`},
		[]string{
			`-8000 2000 1 1 5 5 5 5`,
			`-4000 6000 1 1 5 5 5 5`,
			`0 10000 1 1 1 1 1 1`,
			`4000 14000 2 2 3 1 2 1.5`,
			`8000 18000 2 2 3 1 2 1.5`,
			`12000 22000 1 1 2 2 2 2`,
		},
	)
}

func TestWindowNegativeTimes(t *testing.T) {
	in := winTestSchema("ts:ts", "v:int")
	cfg := WindowAggConfig{Input: in, Aggs: winTestAggs(1)[:1],
		Window: WindowSpec{Kind: Tumble, TimeCol: 0, Size: 10}}
	got, _ := winTestDrive(t, cfg, []winTestStep{
		{rows: [][]any{{-1, 1}, {-10, 1}, {-11, 1}, {0, 1}, {-20, 1}, {-21, 1}}, wm: MaxWatermark},
	})
	winTestExpect(t, got, []string{`-30 -20 1`, `-20 -10 2`, `-10 0 2`, `0 10 1`})
}

func TestWindowHopSlideOverSize(t *testing.T) {
	in := winTestSchema("ts:ts", "v:int")
	cfg := WindowAggConfig{Input: in, Aggs: winTestAggs(1)[:1],
		Window: WindowSpec{Kind: Hop, TimeCol: 0, Size: 4, Slide: 10}}
	got, st := winTestDrive(t, cfg, []winTestStep{
		{rows: [][]any{{1, 1}, {5, 1}, {13, 1}, {-7, 1}}, wm: MaxWatermark},
	})
	winTestExpect(t, got, []string{`-10 -6 1`, `0 4 1`, `10 14 1`})
	if st.GapRows != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestWindowPlainGroupBy(t *testing.T) {
	in := winTestSchema("ts:ts", "k:int", "v:float")
	keyed := WindowAggConfig{Input: in, Keys: []int{1}, KeyNames: []string{"k"}, Aggs: winTestAggs(2)}
	got, st := winTestDrive(t, keyed, []winTestStep{
		{rows: [][]any{{nil, 2, 1.5}, {1, nil, nil}, {1, 2, 2.5}}, wm: 100},
		{rows: [][]any{{nil, 1, -1.0}}, wm: MaxWatermark},
		{rows: [][]any{{nil, 1, -1.0}}, wm: MaxWatermark},
	})
	winTestExpect(t, got, nil, []string{`null 1 0 null null null null`, `1 1 1 -1 -1 -1 -1`, `2 2 2 4 1.5 2.5 2`}, nil)
	if st.LateRows != 1 {
		t.Errorf("stats %+v", st)
	}

	plain := WindowAggConfig{Input: in, Aggs: winTestAggs(2)}
	got, _ = winTestDrive(t, plain, []winTestStep{{wm: MaxWatermark}})
	winTestExpect(t, got, []string{`0 0 null null null null`})
	got, _ = winTestDrive(t, plain, []winTestStep{{rows: [][]any{{nil, 1, 3.0}, {nil, 1, nil}}, wm: MaxWatermark}})
	winTestExpect(t, got, []string{`2 1 3 3 3 3`})
	got, _ = winTestDrive(t, keyed, []winTestStep{{wm: 5}, {wm: MaxWatermark}})
	winTestExpect(t, got, nil, nil)
	windowed := plain
	windowed.Window = WindowSpec{Kind: Tumble, TimeCol: 0, Size: 10}
	got, _ = winTestDrive(t, windowed, []winTestStep{{rows: [][]any{{nil, 1, 1.0}}, wm: MaxWatermark}})
	winTestExpect(t, got, nil)
}

func TestWindowAllTypes(t *testing.T) {
	in := winTestSchema("ts:ts", "i:int", "f:float", "s:string", "b:bool", "t:ts", "n:null")
	var aggs []AggSpec
	for _, c := range []int{1, 2, 3, 4, 5} {
		aggs = append(aggs, AggSpec{Func: Count, Arg: c}, AggSpec{Func: Min, Arg: c}, AggSpec{Func: Max, Arg: c})
	}
	aggs = append(aggs, AggSpec{Func: Sum, Arg: 1}, AggSpec{Func: Avg, Arg: 1}, AggSpec{Func: Sum, Arg: 2}, AggSpec{Func: Avg, Arg: 2},
		AggSpec{Func: Count, Arg: 6}, AggSpec{Func: Sum, Arg: 6}, AggSpec{Func: Min, Arg: 6})
	for i := range aggs {
		aggs[i].Name = string(rune('a' + i))
	}
	for _, kind := range []WindowKind{Tumble, Hop} {
		cfg := WindowAggConfig{Input: in, Aggs: aggs, Window: WindowSpec{Kind: kind, TimeCol: 0, Size: 10, Slide: 10}}
		got, _ := winTestDrive(t, cfg, []winTestStep{
			{rows: [][]any{
				{1, 5, 2.5, "pear", true, -100, nil},
				{2, -3, -1.0, "apple", false, 300, nil},
				{3, nil, nil, nil, nil, nil, nil},
				{4, 9, 0.5, "zoo", true, 7, nil},
				{11, nil, nil, nil, nil, nil, nil},
				{12, math.MaxInt64, math.Inf(1), "", false, 1, nil},
				{13, 1, 1.0, "\x00", false, 2, nil},
			}, wm: MaxWatermark},
		})
		winTestExpect(t, got, []string{
			`0 10 3 -3 9 3 -1 2.5 3 "apple" "zoo" 3 false true 3 -100 300 11 3.6666666666666665 2 0.6666666666666666 0 null null`,
			`10 20 2 1 9223372036854775807 2 1 +Inf 2 "" "\x00" 2 false false 2 1 2 -9223372036854775808 4.611686018427388e+18 +Inf +Inf 0 null null`,
		})
	}
}

func TestWindowFloatRetraction(t *testing.T) {
	in := winTestSchema("ts:ts", "f:float")
	aggs := []AggSpec{{Func: Sum, Arg: 1}, {Func: Avg, Arg: 1}, {Func: Min, Arg: 1}, {Func: Max, Arg: 1}}
	cfg := WindowAggConfig{Input: in, Aggs: aggs, Window: WindowSpec{Kind: Hop, TimeCol: 0, Size: 10, Slide: 5}}
	got, _ := winTestDrive(t, cfg, []winTestStep{
		{rows: [][]any{{1, math.Inf(1)}, {2, 1e300}, {6, 0.1}, {7, math.NaN()}, {12, 0.2}, {13, nil}, {17, 1e-300}, {18, -1e-300}}, wm: MaxWatermark},
	})
	winTestExpect(t, got, []string{
		`-5 5 +Inf +Inf 1e+300 +Inf`,
		`0 10 NaN NaN 0.1 NaN`,
		`5 15 NaN NaN 0.1 NaN`,
		`10 20 0.2 0.06666666666666667 -1e-300 0.2`,
		`15 25 0 0 -1e-300 1e-300`,
	})
}

// TestWindowOutOfOrder feeds rows behind the watermark into panes already
// merged into the running window (the slow path).
func TestWindowOutOfOrder(t *testing.T) {
	in := winTestSchema("ts:ts", "k:string", "v:int", "s:string", "f:float")
	aggs := append(winTestAggs(2), AggSpec{Func: Min, Arg: 3, Name: "smin"}, AggSpec{Func: Max, Arg: 3, Name: "smax"},
		AggSpec{Func: Sum, Arg: 4, Name: "fsum"})
	cfg := WindowAggConfig{Input: in, Keys: []int{1}, KeyNames: []string{"k"}, Aggs: aggs,
		Window: WindowSpec{Kind: Hop, TimeCol: 0, Size: 6, Slide: 2}}
	got, st := winTestDrive(t, cfg, []winTestStep{
		{rows: [][]any{{0, "a", 5, "m", 0.5}, {2, "a", 7, "n", 0.25}, {4, "a", 6, "o", 1.0}, {6, "a", 9, "p", 2.0}}, wm: 6},
		// 5 is in window [0,6) (emitted) and [2,8), [4,10); 3 in [2,8) only.
		{rows: [][]any{{5, "a", 1, "z", 4.0}, {3, "b", 2, "a", 8.0}, {3, "a", 8, "b", nil}, {1, "a", 0, "a", 0.0}}, wm: 8},
		{wm: MaxWatermark},
	})
	winTestExpect(t, got,
		[]string{
			`-4 2 "a" 1 1 5 5 5 5 "m" "m" 0.5`,
			`-2 4 "a" 2 2 12 5 7 6 "m" "n" 0.75`,
			`0 6 "a" 3 3 18 5 7 6 "m" "o" 1.75`,
		},
		[]string{
			`2 8 "a" 5 5 31 1 9 6.2 "b" "z" 7.25`,
			`2 8 "b" 1 1 2 2 2 2 "a" "a" 8`,
		},
		[]string{
			`4 10 "a" 3 3 16 1 9 5.333333333333333 "o" "z" 7`,
			`6 12 "a" 1 1 9 9 9 9 "p" "p" 2`,
		},
	)
	if st.LateRows != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestWindowEmptyWindowStaysClosed checks that a window whose end the
// watermark passed while it was empty is not emitted later.
func TestWindowEmptyWindowStaysClosed(t *testing.T) {
	in := winTestSchema("ts:ts", "v:int")
	cfg := WindowAggConfig{Input: in, Aggs: winTestAggs(1)[:1], Window: WindowSpec{Kind: Hop, TimeCol: 0, Size: 10, Slide: 5}}
	got, st := winTestDrive(t, cfg, []winTestStep{
		{rows: [][]any{{12, 1}}, wm: 11},
		{rows: [][]any{{8, 1}}, wm: MaxWatermark},
	})
	winTestExpect(t, got, nil, []string{`5 15 2`, `10 20 1`})
	if st.LateRows != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestWindowStats(t *testing.T) {
	mem := winTestMem(t)
	in := winTestSchema("ts:ts", "k:int", "v:int")
	w, err := NewWindowAgg(WindowAggConfig{Input: in, Keys: []int{1}, KeyNames: []string{"k"}, Aggs: winTestAggs(2), Alloc: mem,
		Window: WindowSpec{Kind: Hop, TimeCol: 0, Size: 100, Slide: 10}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// An endless stream of new keys: state stays bounded by the window.
	var peak int64
	for step := 0; step < 200; step++ {
		rows := make([][]any, 50)
		for i := range rows {
			rows[i] = []any{step*10 + i%10, step*50 + i, i}
		}
		if _, err := w.Process(winTestBatch(mem, in, rows)); err != nil {
			t.Fatal(err)
		}
		bs, err := w.Advance(int64(step*10 + 10))
		if err != nil {
			t.Fatal(err)
		}
		winTestValues(bs)
		st := w.Stats()
		if st.Panes > 10 || st.Keys > 500 {
			t.Fatalf("step %d: %+v", step, st)
		}
		if step == 100 {
			peak = st.StateBytes
		}
		if step > 100 && st.StateBytes > 2*peak {
			t.Fatalf("step %d: state grew from %d to %d bytes", step, peak, st.StateBytes)
		}
	}
	bs, _ := w.Advance(MaxWatermark)
	winTestValues(bs)
	if st := w.Stats(); st.Keys != 0 || st.Panes != 0 {
		t.Fatalf("after end: %+v", st)
	}
	if _, err := w.Advance(MaxWatermark); err != nil {
		t.Fatal(err)
	}
}

func TestWindowCloseReleases(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := winTestSchema("ts:ts", "k:string", "v:int")
	w, _ := NewWindowAgg(WindowAggConfig{Input: in, Keys: []int{1}, KeyNames: []string{"k"}, Aggs: winTestAggs(2), Alloc: mem,
		Window: WindowSpec{Kind: Tumble, TimeCol: 0, Size: 10}})
	if _, err := w.Process(winTestBatch(mem, in, [][]any{{1, "a", 1}, {22, "b", 2}})); err != nil {
		t.Fatal(err)
	}
	w.Close()
	w.Close()
	if _, err := w.Process(winTestBatch(mem, in, [][]any{{1, "a", 1}})); err == nil {
		t.Fatal("Process after Close")
	}
	if _, err := w.Advance(5); err == nil {
		t.Fatal("Advance after Close")
	}
}
