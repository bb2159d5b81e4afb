package datagen

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live/livetest"
)

const wait = 10 * time.Second

var tsType = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}

var allTypes = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: tsType, Nullable: true},
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "word", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "line", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "code", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "late", Type: tsType, Nullable: true},
}, nil)

// open builds and starts a source, closed at the end of the test, after
// which no goroutine of it may remain.
func open(t *testing.T, env *livetest.Env, schema *arrow.Schema, opts map[string]string) *Source {
	t.Helper()
	before := runtime.NumGoroutine()
	src, err := NewSource(env.Spec(schema, opts))
	if err != nil {
		t.Fatal(err)
	}
	if err := src.(connectors.Starter).Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		src.Close()
		deadline := time.Now().Add(wait)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			t.Errorf("%d goroutines after Close, %d before", n, before)
		}
	})
	return src.(*Source)
}

// drain reads a bounded source to its end, keeping the batches (the
// caller releases them).
func drain(t *testing.T, src connectors.Source, maxRows int) []arrow.RecordBatch {
	t.Helper()
	var out []arrow.RecordBatch
	t.Cleanup(func() {
		for _, b := range out {
			b.Release()
		}
	})
	deadline := time.Now().Add(wait)
	for {
		b, err := src.Next(context.Background(), maxRows)
		switch {
		case errors.Is(err, connectors.ErrEndOfInput):
			for range 2 { // sticky
				if _, err := src.Next(context.Background(), maxRows); !errors.Is(err, connectors.ErrEndOfInput) {
					t.Fatalf("after the end: %v", err)
				}
			}
			return out
		case errors.Is(err, connectors.ErrNoData):
			if time.Now().After(deadline) {
				t.Fatal("no end of input")
			}
			time.Sleep(time.Millisecond)
		case err != nil:
			t.Fatal(err)
		default:
			if b.NumRows() > int64(maxRows) || !b.Schema().Equal(src.Schema()) {
				t.Fatalf("batch of %d rows, schema %v", b.NumRows(), b.Schema())
			}
			out = append(out, b)
		}
	}
}

func TestAllTypes(t *testing.T) {
	env := livetest.NewEnv(t)
	start := time.Now().UnixMilli()
	src := open(t, env, allTypes, map[string]string{
		"rows-per-second": "1000000", "number_of_rows": "5000", "seed": "42",
		"fields.id.kind": "sequence", "fields.id.start": "-2",
		"fields.n.min": "-5", "fields.n.max": "5",
		"fields.x.min": "10", "fields.x.max": "10.5",
		"fields.line.words":    "3",
		"fields.code.length":   "8",
		"fields.late.max-past": "5s",
	})
	if !src.Bounded() {
		t.Fatal("not bounded with number_of_rows")
	}
	batches := drain(t, src, 777)
	end := time.Now().UnixMilli()
	vocabSet := map[string]bool{}
	for _, w := range Vocabulary() {
		vocabSet[w] = true
	}
	row := int64(0)
	trues := 0
	var lastTs int64
	for _, b := range batches {
		ts := b.Column(0).(*array.Timestamp)
		id := b.Column(1).(*array.Int64)
		n := b.Column(2).(*array.Int64)
		x := b.Column(3).(*array.Float64)
		word := b.Column(4).(*array.String)
		line := b.Column(5).(*array.String)
		code := b.Column(6).(*array.String)
		flag := b.Column(7).(*array.Boolean)
		late := b.Column(8).(*array.Timestamp)
		for i := 0; i < int(b.NumRows()); i++ {
			for c := range int(b.NumCols()) {
				if b.Column(c).IsNull(i) {
					t.Fatalf("row %d: NULL in column %d", row, c)
				}
			}
			if id.Value(i) != row-2 {
				t.Fatalf("row %d: sequence value %d", row, id.Value(i))
			}
			if v := n.Value(i); v < -5 || v > 5 {
				t.Fatalf("row %d: n = %d", row, v)
			}
			if v := x.Value(i); v < 10 || v >= 10.5 {
				t.Fatalf("row %d: x = %g", row, v)
			}
			if !vocabSet[word.Value(i)] {
				t.Fatalf("row %d: word %q not in the vocabulary", row, word.Value(i))
			}
			words := strings.Split(line.Value(i), " ")
			if len(words) != 3 || !vocabSet[words[0]] || !vocabSet[words[2]] {
				t.Fatalf("row %d: line %q", row, line.Value(i))
			}
			if c := code.Value(i); len(c) != 8 || strings.Trim(c, alphabet) != "" {
				t.Fatalf("row %d: code %q", row, c)
			}
			if flag.Value(i) {
				trues++
			}
			v := int64(ts.Value(i))
			if v < start || v > end || v < lastTs {
				t.Fatalf("row %d: ts %d not in [%d, %d] or before %d", row, v, start, end, lastTs)
			}
			lastTs = v
			if l := int64(late.Value(i)); l < start-5000 || l > end {
				t.Fatalf("row %d: late ts %d", row, l)
			}
			row++
		}
	}
	if row != 5000 || src.Generated() != 5000 {
		t.Fatalf("%d rows, generated %d", row, src.Generated())
	}
	if trues < 2000 || trues > 3000 {
		t.Fatalf("%d of 5000 booleans true", trues)
	}
}

// values renders all rows without the columns numbered in skip.
func values(bs []arrow.RecordBatch, skip ...int) []string {
	var out []string
	for _, b := range bs {
		for _, r := range livetest.Render(b) {
			var keep []string
			for i, p := range strings.Split(r, "|") {
				if !slices.Contains(skip, i) {
					keep = append(keep, p)
				}
			}
			out = append(out, strings.Join(keep, "|"))
		}
	}
	return out
}

func TestSeedAndSequences(t *testing.T) {
	opts := map[string]string{"rows_per_second": "100000", "number_of_rows": "3000", "seed": "7", "fields.word.null_rate": "0.5"}
	env := livetest.NewEnv(t)
	a := values(drain(t, open(t, env, allTypes, opts), 1000), 0, 8)
	b := values(drain(t, open(t, env, allTypes, opts), 33), 0, 8)
	if len(a) != 3000 || !slices.Equal(a, b) {
		t.Fatal("the same seed gave different rows")
	}
	nulls := 0
	for _, r := range a {
		if strings.Split(r, "|")[3] == "NULL" {
			nulls++
		}
	}
	if nulls < 1200 || nulls > 1800 {
		t.Fatalf("%d NULLs of 3000 at null_rate 0.5", nulls)
	}

	seq := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	for _, tc := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"fields.id.kind": "sequence", "fields.id.start": "10", "fields.id.end": "14"}, "10,11,12,13,14"},
		{map[string]string{"fields.id.kind": "sequence", "fields.id.start": "1", "fields.id.end": "3", "fields.id.wrap": "true", "number_of_rows": "7"}, "1,2,3,1,2,3,1"},
		{map[string]string{"fields.id.kind": "sequence", "fields.id.end": "100", "number_of_rows": "3"}, "0,1,2"},
		{map[string]string{"fields.id.min": "3", "fields.id.max": "3", "number_of_rows": "2"}, "3,3"},
		{map[string]string{"number_of_rows": "0"}, ""},
	} {
		tc.opts["rows_per_second"] = "100000"
		src := open(t, env, seq, tc.opts)
		if !src.Bounded() {
			t.Fatalf("%v: not bounded", tc.opts)
		}
		if got := strings.Join(values(drain(t, src, 2)), ","); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.opts, got, tc.want)
		}
	}
}

func TestRate(t *testing.T) {
	env := livetest.NewEnv(t)
	src := open(t, env, allTypes, map[string]string{"rows_per_second": "1000"})
	if src.Bounded() {
		t.Fatal("bounded without number_of_rows")
	}
	start := time.Now()
	rows := 0
	for time.Since(start) < time.Second {
		b, err := src.Next(context.Background(), 100)
		if errors.Is(err, connectors.ErrNoData) {
			time.Sleep(2 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		rows += int(b.NumRows())
		b.Release()
	}
	if rows < 700 || rows > 1300 {
		t.Fatalf("%d rows in a second at 1000 rows/s", rows)
	}
	t.Logf("%d rows in %v", rows, time.Since(start))
}

func TestBackpressure(t *testing.T) {
	const budget = 64 << 10
	env := livetest.NewEnv(t)
	src := open(t, env, allTypes, map[string]string{"rows_per_second": "1000000", "buffer_bytes": strconv.Itoa(budget)})
	// Without Next, generation stops once the buffer is full.
	var g int64
	deadline := time.Now().Add(wait)
	for {
		time.Sleep(50 * time.Millisecond)
		if n := src.Generated(); n > 0 && n == g {
			break
		}
		g = src.Generated()
		if time.Now().After(deadline) {
			t.Fatal("generation never stopped")
		}
	}
	time.Sleep(100 * time.Millisecond)
	if n := src.Generated(); n != g {
		t.Fatalf("generated %d, then %d without Next", g, n)
	}
	if b := src.Buffered(); b > budget {
		t.Fatalf("buffered %d bytes with a budget of %d", b, budget)
	}
	// Draining lets generation go on, catching up at most a second's worth.
	rows := int64(0)
	deadline = time.Now().Add(wait)
	for rows <= g {
		b, err := src.Next(context.Background(), 1<<20)
		if errors.Is(err, connectors.ErrNoData) {
			if time.Now().After(deadline) {
				t.Fatalf("%d rows of more than %d", rows, g)
			}
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		rows += b.NumRows()
		b.Release()
	}
	if n := src.Generated(); n <= g || n > rows+1_000_000 {
		t.Fatalf("generated %d after draining %d", n, g)
	}
}

func TestOptions(t *testing.T) {
	cases := []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"fields.nope.kind": "random"}, `option fields.nope.kind: the table has no column "nope"`},
		{map[string]string{"fields.word.min": "1"}, "unknown option 'fields.word.min' for a VARCHAR column"},
		{map[string]string{"fields.id.bogus": "1"}, "unknown option 'fields.id.bogus' for a BIGINT column"},
		{map[string]string{"fields.id.kind": "zipf"}, "option fields.id.kind: want 'random' or 'sequence'"},
		{map[string]string{"fields.x.kind": "sequence"}, "option fields.x.kind: a sequence must be a BIGINT"},
		{map[string]string{"fields.id.start": "1"}, "option fields.id.start: applies only with kind = 'sequence'"},
		{map[string]string{"fields.id.kind": "sequence", "fields.id.min": "1"}, "option fields.id.min: applies only with kind = 'random'"},
		{map[string]string{"fields.id.kind": "sequence", "fields.id.start": "5", "fields.id.end": "1"}, "option fields.id.end"},
		{map[string]string{"fields.n.min": "5", "fields.n.max": "1"}, "option fields.n.max"},
		{map[string]string{"fields.n.min": "one"}, "option fields.n.min: want an integer"},
		{map[string]string{"fields.x.max": "nan"}, "option fields.x.max"},
		{map[string]string{"fields.flag.null-rate": "2"}, "option fields.flag.null-rate: want a number from 0 to 1"},
		{map[string]string{"fields.code.length": "4", "fields.code.words": "2"}, "set length or words"},
		{map[string]string{"fields.code.words": "-1"}, "option fields.code.words"},
		{map[string]string{"fields.ts.max_past": "soon"}, "option fields.ts.max_past"},
		{map[string]string{"fields.id": "1"}, "want fields.<column>.<option>"},
		{map[string]string{"rows_per_second": "0"}, "option rows_per_second: want a positive number"},
		{map[string]string{"rows-per-second": "fast"}, "option rows-per-second"},
		{map[string]string{"number_of_rows": "-1"}, "option number_of_rows"},
		{map[string]string{"seed": "x"}, "option seed"},
		{map[string]string{"buffer_bytes": "0"}, "option buffer_bytes"},
	}
	for _, tc := range cases {
		env := livetest.NewEnv(t)
		_, err := NewSource(env.Spec(allTypes, tc.opts))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "table t: ") {
			t.Errorf("%v: error %v, want %q", tc.opts, err, tc.want)
		}
	}
	env := livetest.NewEnv(t)
	bad := arrow.NewSchema([]arrow.Field{{Name: "d", Type: arrow.FixedWidthTypes.Date32}}, nil)
	if _, err := NewSource(env.Spec(bad, nil)); err == nil || !strings.Contains(err.Error(), "column d") {
		t.Errorf("DATE column: %v", err)
	}
	// Flink's spellings and upper-case column names work.
	src, err := NewSource(env.Spec(allTypes, map[string]string{"number-of-rows": "3", "fields.ID.kind": "sequence", "fields.id.null-rate": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	if !src.(connectors.Bounded).Bounded() {
		t.Fatal("number-of-rows not bounded")
	}
	src.Close() // without Start
}

func TestVocabulary(t *testing.T) {
	words := Vocabulary()
	seen := map[string]bool{}
	for _, w := range words {
		if seen[w] || w == "" || strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Fatalf("word %q duplicated or not lower-case letters", w)
		}
		seen[w] = true
	}
	if len(words) != 1000 || words[0] != "the" || !slices.Equal(words, Vocabulary()) {
		t.Fatalf("%d words, first %q", len(words), words[0])
	}
	// Pinned: the vocabulary must not change between builds.
	if got := strings.Join(words[len(commonWords):len(commonWords)+5], " "); got != pinnedWords {
		t.Fatalf("invented words start %q, want %q", got, pinnedWords)
	}
}

const pinnedWords = "nugurt thyr lick prang stiedreang"
