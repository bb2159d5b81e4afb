package exec

import (
	"bytes"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/vector"
)

func TestLookupJoinProbesAndReloads(t *testing.T) {
	table := []jrow{{1, 100, 0}, {2, 200, 0}, {2, 201, 0}}
	changed := false
	loads := 0
	cfg := LookupJoinConfig{
		Input: joinSchema(false), Table: joinSchema(false),
		StreamKeys: []vector.Expr{vector.ColumnRef(0, vector.Int64, "k")}, TableKeys: []int{0}, Kind: LeftJoin,
		Load: func() ([]arrow.RecordBatch, error) {
			loads++
			return []arrow.RecordBatch{joinBatch(false, table...)}, nil
		},
		Changed: func() (bool, error) { c := changed; changed = false; return c, nil },
	}
	j, err := NewLookupJoin(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	step := func(rows ...jrow) []string {
		out, err := j.Process(joinBatch(false, rows...))
		if err != nil {
			t.Fatal(err)
		}
		return joinLines(t, out)
	}
	got := step(jrow{2, 1, 0}, jrow{3, 2, 0}, jrow{-1, 3, 0})
	// The table changes: seen only after the micro-batch ends.
	table, changed = []jrow{{3, 300, 0}}, true
	got = append(got, step(jrow{3, 4, 0})...)
	if _, err := j.Advance(0); err != nil {
		t.Fatal(err)
	}
	got = append(got, step(jrow{3, 5, 0}, jrow{1, 6, 0})...)
	want := []string{
		"2 1 2 200", "2 1 2 201", "3 2 - -", "- 3 - -",
		"3 4 - -",
		"3 5 3 300", "1 6 - -",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if loads != 2 || j.Reloads() != 1 {
		t.Fatalf("%d loads, %d reloads; want 2 and 1", loads, j.Reloads())
	}
	if st := j.Stats(); st.Keys != 1 || st.StateBytes <= 0 {
		t.Fatalf("stats %+v: want the one key of the table", st)
	}
	// A snapshot keeps no rows: a restored join reads the table again.
	var buf bytes.Buffer
	if err := j.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	k, err := NewLookupJoin(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if err := k.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	out, err := k.Process(joinBatch(false, jrow{3, 7, 0}))
	if err != nil {
		t.Fatal(err)
	}
	if got := joinLines(t, out); !slices.Equal(got, []string{"3 7 3 300"}) || loads != 3 {
		t.Fatalf("after restore: %q, %d loads", got, loads)
	}
}

func TestLookupJoinRefusesUpdatingStream(t *testing.T) {
	_, err := NewLookupJoin(LookupJoinConfig{Input: joinSchema(true), Table: joinSchema(false),
		StreamKeys: []vector.Expr{vector.ColumnRef(0, vector.Int64, "k")}, TableKeys: []int{0},
		Load: func() ([]arrow.RecordBatch, error) { return nil, nil }})
	if err == nil {
		t.Fatal("a lookup join of an updating stream was accepted")
	}
}
