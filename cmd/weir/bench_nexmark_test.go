package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/bench"
)

// TestBenchNexmarkE2E runs `weir bench nexmark --json` on three queries,
// an append-only one (q0) and two updating ones (q5, q18, which run with
// EMIT ON UPDATE), and checks every figure is there and that the rows the
// blackhole counted are the rows weir run prints for the same script.
func TestBenchNexmarkE2E(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "prof")
	out, errOut, code := runWeir(t, dir, "bench", "nexmark", "--events", "20000", "--queries", "q0,q5,q18",
		"--parallelism", "1", "--json", "--cpuprofile", prof)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	// Not a terminal: one line per query on stderr.
	for _, q := range []string{"q0", "q5", "q18"} {
		if !strings.Contains(errOut, "weir: bench nexmark: "+q+": 20,000 events in ") {
			t.Errorf("stderr lacks %s's line:\n%s", q, errOut)
		}
	}
	var rep struct {
		Benchmark   string
		Events      int64
		Parallelism int
		OK          bool
		Queries     []map[string]any
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Benchmark != "nexmark" || rep.Events != 20000 || rep.Parallelism != 1 || !rep.OK || len(rep.Queries) != 3 {
		t.Fatalf("report %+v", rep)
	}
	side := filepath.Join(dir, "side_input.csv")
	writeFile(t, dir, "side_input.csv", bench.NexmarkSideInput())
	for i, want := range []struct {
		name, mode, emit string
		flink            float64
	}{{"q0", "append-only", "", 155e3}, {"q5", "updating", "EMIT ON UPDATE", 22e3}, {"q18", "updating", "EMIT ON UPDATE", 54e3}} {
		r := rep.Queries[i]
		for _, k := range []string{"query", "mode", "emit", "events", "rows_out", "batches", "seconds", "events_per_sec",
			"cpu_seconds", "cores", "events_per_sec_per_core", "peak_rss_bytes", "peak_mem_source", "peak_state_bytes",
			"peak_state_keys", "flink_per_core", "ratio", "profile_file"} {
			if _, ok := r[k]; !ok {
				t.Errorf("%s: no %s in %v", want.name, k, r)
			}
		}
		if r["query"] != want.name || r["mode"] != want.mode || r["emit"] != want.emit || r["events"] != 20000.0 || r["flink_per_core"] != want.flink {
			t.Errorf("%s: %v", want.name, r)
		}
		for _, k := range []string{"rows_out", "batches", "seconds", "events_per_sec", "events_per_sec_per_core", "peak_rss_bytes", "ratio"} {
			if v, _ := r[k].(float64); v <= 0 {
				t.Errorf("%s: %s = %v, want > 0", want.name, k, r[k])
			}
		}
		if st, _ := os.Stat(filepath.Join(prof, want.name+".prof")); st == nil || st.Size() == 0 || r["profile_file"] != filepath.Join(prof, want.name+".prof") {
			t.Errorf("%s: no CPU profile %v", want.name, r["profile_file"])
		}

		// The same query, its rows printed by weir run: one line per row
		// (per change, with their kinds, for a changelog).
		q, err := bench.NexmarkQuery(want.name)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, want.name+".sql", bench.NexmarkScript(q, bench.NexmarkScriptConfig{Tables: bench.NexmarkDDL(20000), SideInput: side, Emit: want.emit}))
		printed, errRun, code := runWeir(t, dir, "run", "--parallelism", "1", "--format", "jsonl", want.name+".sql")
		if code != 0 {
			t.Fatalf("%s: weir run: exit %d\n%s", want.name, code, errRun)
		}
		lines := strings.Split(strings.TrimSpace(printed), "\n")
		if r["rows_out"] != float64(len(lines)) {
			t.Errorf("%s: %v rows out, weir run prints %d", want.name, r["rows_out"], len(lines))
		}
		if want.mode == "updating" {
			kinds := map[string]float64{}
			for _, l := range lines {
				if strings.HasPrefix(l, `{"_op":"`) {
					kinds[l[8:10]]++
				}
			}
			got, _ := r["changes"].(map[string]any)
			if got["inserts"] != kinds["+I"] || got["updates_before"] != kinds["-U"] || got["updates_after"] != kinds["+U"] || got["deletes"] != kinds["-D"] {
				t.Errorf("%s: changes %v, weir run prints %v", want.name, got, kinds)
			}
		}
	}
}

// TestBenchNexmarkFlags: a flag or argument the command does not take is
// an error naming it, before anything runs.
func TestBenchNexmarkFlags(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--queries", "q6"}, "weir: --queries: q6 is not run (no engine runs it in SQL)\n"},
		{[]string{"--queries", "q0,q99"}, `weir: --queries: no Nexmark query "q99" (have q0, q1, q2, q3, q4, q5, q7,`},
		{[]string{"--queries", "q1,q1"}, "weir: --queries: q1 is listed twice\n"},
		{[]string{"--events", "0"}, "weir: --events 0: want a positive number\n"},
		{[]string{"--parallelism", "0"}, "weir: --parallelism 0: want a whole number from 1 to 256\n"},
		{[]string{"--lines", "5"}, "weir: unknown flag: --lines\n"},
		{[]string{"q0"}, `weir: unknown command "q0" for "weir bench nexmark"`},
	} {
		out, errOut, code := runWeir(t, dir, append([]string{"bench", "nexmark"}, c.args...)...)
		if code != 1 || out != "" || !strings.HasPrefix(errOut, c.want) {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s\nwant stderr starting %q", c.args, code, out, errOut, c.want)
		}
	}
}

// A query whose text's sink table refuses its result (q4: Flink's AVG of a
// BIGINT is a BIGINT, Weir's a DOUBLE) runs into a blackhole table of its
// own column types, and the report says so.
func TestBenchNexmarkSinkFallback(t *testing.T) {
	r := nexmarkQuery{name: "q4", events: 5000, parallelism: 1, label: "q4", prog: newBenchProgress(io.Discard, false)}
	run := r.run(context.Background())
	if run.Error != "" || run.RowsOut == 0 || run.Mode != "updating" {
		t.Fatalf("%+v", run)
	}
	want := "the text's sink table refuses the result: line 12, column 5: INSERT INTO nexmark_q4: column 2 'final' is BIGINT but the query gives DOUBLE (AVG(Q.final)); CAST it; ran into a blackhole table of the query's own column types"
	if run.Note != want {
		t.Errorf("note %q\nwant %q", run.Note, want)
	}
	if got := r.typedSink(arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}, {Name: "b", Type: arrow.PrimitiveTypes.Float64}}, nil)); got != "CREATE TABLE nexmark_q4 (c1 BIGINT, c2 DOUBLE) WITH ('connector' = 'blackhole')" {
		t.Errorf("typed sink %q", got)
	}
}

// A query that cannot run (q6, which no engine runs in SQL, and the
// command never picks) is reported with its error, as a FAILED row.
func TestBenchNexmarkFailedQuery(t *testing.T) {
	r := nexmarkQuery{name: "q6", events: 1000, parallelism: 1, label: "q6", prog: newBenchProgress(io.Discard, false)}
	run := r.run(context.Background())
	if run.Error == "" || run.RowsOut != 0 || run.Ratio != nil || run.FlinkPerCore != nil {
		t.Fatalf("%+v", run)
	}
	t.Logf("q6: %s", run.Error)
	var b strings.Builder
	rep := &nexmarkReport{Events: 1000, Parallelism: 1, Queries: []nexmarkRun{run}}
	if err := printNexmarkReport(&b, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "│ q6    │ append-only │ FAILED   │ -       │") || !strings.Contains(b.String(), "\nq6 failed: "+run.Error+"\n") {
		t.Errorf("report:\n%s", b.String())
	}
}
