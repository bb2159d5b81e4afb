package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runBenchJSON runs `weir bench ARGS --json` through the real binary and
// decodes its report.
func runBenchJSON(t *testing.T, args ...string) benchReport {
	t.Helper()
	out, errOut, code := runWeir(t, t.TempDir(), append(append([]string{"bench"}, args...), "--json")...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var rep benchReport
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// Every figure is there as a JSON field.
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"workload", "machine", "lines", "bytes", "words", "matches", "generate_seconds", "expected", "runs", "ok"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("no %q in %s", k, out)
		}
	}
	for _, r := range raw["runs"].([]any) {
		run := r.(map[string]any)
		for _, k := range []string{"name", "seconds", "lines_per_sec", "mb_per_sec", "peak_mem_bytes", "peak_mem_source", "cpu_seconds", "cores", "ratio_vs_go", "check"} {
			if _, ok := run[k]; !ok {
				t.Errorf("run %v: no %q", run["name"], k)
			}
		}
		if run["engine"] == true {
			for _, k := range []string{"batches", "batch_p50_ms", "batch_p99_ms"} {
				if _, ok := run[k]; !ok {
					t.Errorf("run %v: no %q", run["name"], k)
				}
			}
		}
	}
	if !rep.OK || rep.Lines != 20000 || rep.Bytes <= 0 || rep.Words <= 0 || rep.Matches <= 0 {
		t.Fatalf("report %+v", rep)
	}
	return rep
}

// checkRuns checks that the report holds the wanted runs, all correct.
func checkRuns(t *testing.T, rep benchReport, names ...string) map[string]benchRun {
	t.Helper()
	runs := map[string]benchRun{}
	for _, r := range rep.Runs {
		runs[r.Name] = r
		if !r.Check.OK || r.LinesPerSec <= 0 || r.MBPerSec <= 0 || r.Seconds <= 0 || r.PeakMemBytes < 0 {
			t.Errorf("run %+v", r)
		}
		if r.Engine && (r.Batches == 0 || r.BatchP50Ms == nil || r.BatchP99Ms == nil || *r.BatchP99Ms < *r.BatchP50Ms) {
			t.Errorf("run %s: batches %d", r.Name, r.Batches)
		}
	}
	for _, n := range names {
		if _, ok := runs[n]; !ok {
			t.Errorf("no run %q in %+v", n, rep.Runs)
		}
	}
	if r := runs["go baseline"]; r.RatioVsGo != 1 {
		t.Errorf("go baseline ratio %v", r.RatioVsGo)
	}
	return runs
}

func TestBenchGrepJSON(t *testing.T) {
	rep := runBenchJSON(t, "grep", "--lines", "20000")
	names := []string{"go baseline", "weir file", "weir socket"}
	if _, err := exec.LookPath("grep"); err == nil {
		names = append(names, "grep -c")
	}
	runs := checkRuns(t, rep, names...)
	// The generator puts ERROR into ~1% of the lines, and no word can
	// hold it by chance: every run finds exactly those lines.
	if rep.Workload != "grep" || rep.Pattern != "ERROR" || rep.Expected.Rows != rep.Matches {
		t.Fatalf("report %+v", rep)
	}
	for _, r := range runs {
		if r.Check.Rows != rep.Matches {
			t.Errorf("%s: %d rows, want %d", r.Name, r.Check.Rows, rep.Matches)
		}
	}
}

func TestBenchWordCountJSON(t *testing.T) {
	rep := runBenchJSON(t, "wordcount", "--lines", "20000", "--batch-interval", "200ms")
	runs := checkRuns(t, rep, "go baseline", "weir file", "weir socket")
	if rep.Workload != "wordcount" || rep.Expected.Words != rep.Words || rep.Expected.Distinct <= 1000 {
		t.Fatalf("report %+v", rep)
	}
	for _, r := range runs {
		if r.Check.Words != rep.Words || r.Check.Distinct != rep.Expected.Distinct {
			t.Errorf("%s: %d words, %d distinct; want %d, %d", r.Name, r.Check.Words, r.Check.Distinct, rep.Words, rep.Expected.Distinct)
		}
	}
}

func TestBenchTableAndErrors(t *testing.T) {
	out, errOut, code := runWeir(t, t.TempDir(), "bench", "grep", "--lines", "3000", "--source", "file")
	if code != 0 || !strings.Contains(out, "weir file") || !strings.Contains(out, "go baseline") || strings.Contains(out, "weir socket") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, args := range [][]string{
		{"bench", "grep", "--source", "kafka"},
		{"bench", "grep", "--pattern", "50%"},
		{"bench", "wordcount", "--lines", "0"},
		{"bench", "wordcount", "--batch-interval", "1500us"},
	} {
		if _, errOut, code := runWeir(t, t.TempDir(), args...); code == 0 || !strings.Contains(errOut, "weir: --") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

func TestResultCounterSplitLines(t *testing.T) {
	r := newResultCounter(true)
	r.target = 7
	for _, p := range []string{`{"word":"a","n":2}` + "\n" + `{"wo`, `rd":"b\"q","n":4}` + "\n", `{"word":"a","n":1}` + "\n"} {
		if _, err := r.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-r.done:
	default:
		t.Fatal("not done at the target")
	}
	if r.parseErr != nil || r.rows.Load() != 3 || r.sum.Load() != 7 || r.counts["a"] != 3 || r.counts[`b"q`] != 4 {
		t.Fatalf("rows %d sum %d counts %v err %v", r.rows.Load(), r.sum.Load(), r.counts, r.parseErr)
	}
}

// TestBenchInProcess runs both workloads in-process (under -race, this
// covers the meter, the progress line and the result counter).
func TestBenchInProcess(t *testing.T) {
	for _, w := range []string{"wordcount", "grep"} {
		f := &benchFlags{lines: 5000, seed: 2, source: "both", batchInterval: 100 * time.Millisecond,
			json: true, pattern: "ERROR", keep: t.TempDir()}
		var out, errOut bytes.Buffer
		if err := benchMain(context.Background(), w, f, &out, &errOut); err != nil {
			t.Fatalf("%s: %v\n%s", w, err, errOut.String())
		}
		var rep benchReport
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil || !rep.OK || rep.File == "" {
			t.Fatalf("%s: %v %+v", w, err, rep)
		}
	}
}
