package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/weirdb/weir/bench"
	"github.com/weirdb/weir/planner"
)

// nexmarkFlags are the flags of `weir bench nexmark`.
type nexmarkFlags struct {
	events      int64
	queries     string
	parallelism int
	json        bool
	cpuProfile  string
}

// flinkPerCore is Flink 1.13's published throughput per core of each
// Nexmark query (events/s; the Nexmark repository's README: 100M events,
// 8 workers). q23 has none.
var flinkPerCore = map[string]float64{
	"q0": 155e3, "q1": 158e3, "q2": 175e3, "q3": 152e3, "q4": 34e3, "q5": 22e3, "q7": 12e3, "q8": 146e3,
	"q9": 14e3, "q10": 58e3, "q11": 40e3, "q12": 76e3, "q13": 131e3, "q14": 161e3, "q15": 72e3,
	"q16": 19e3, "q17": 117e3, "q18": 54e3, "q19": 44e3, "q20": 19e3, "q21": 98e3, "q22": 130e3,
}

// nexmarkDefaultQueries is every query Weir runs: q0 to q23 but q6,
// which no engine runs in SQL.
func nexmarkDefaultQueries() []string {
	var out []string
	for _, n := range bench.NexmarkQueryNames() {
		if n != "q6" {
			out = append(out, n)
		}
	}
	return out
}

// newBenchNexmarkCmd is `weir bench nexmark`.
func newBenchNexmarkCmd() *cobra.Command {
	f := &nexmarkFlags{}
	cmd := &cobra.Command{
		Use:   "nexmark [flags]",
		Short: "Run the Nexmark queries over the nexmark connector into blackhole sinks, against Flink's published figures",
		Long: `Bench nexmark runs Nexmark queries (the Flink SQL texts of the Nexmark
repository, embedded) one after the other, in-process, with the real engine
exactly as weir run would: the sources are Weir's nexmark tables over a
history of --events events (all kinds), generated as fast as the query reads
them; the sink is the query's own blackhole table, which counts and discards
the rows. A query whose result is updating on a stream (EXPLAIN says mode:
updating over an endless source) runs with EMIT ON UPDATE, so its changes
are emitted every micro-batch as Flink's are, not once at the end.

Reported per query: events, rows out, wall seconds, events/s, CPU cores used
(the process's user+sys CPU time over wall time), events/s per core, peak
RSS (VmHWM, reset before each query), peak state (as weir run --stats
prints it), Flink 1.13's published events/s per core and the ratio of
Weir's per-core figure to it. A query that fails is reported and the others
run; the exit status is then 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return nexmarkMain(cmd.Context(), f, os.Stdout, os.Stderr)
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&f.events, "events", 10_000_000, "events of the history (persons, auctions and bids together)")
	fl.StringVar(&f.queries, "queries", "", "the queries to run, comma-separated, e.g. q0,q5 (default every query, q0 to q23, but q6)")
	fl.IntVar(&f.parallelism, "parallelism", planner.DefaultParallelism(), "workers per query, run as SET parallelism = N; the default is this machine's number of cores")
	fl.BoolVar(&f.json, "json", false, "print one JSON object with all figures on stdout instead of the table")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of each query to `DIR`/qN.prof")
	return cmd
}

// nexmarkReport is the result of `weir bench nexmark`, as --json prints
// it.
type nexmarkReport struct {
	Benchmark string `json:"benchmark"`
	// Date is when it ran (RFC 3339, UTC).
	Date        string       `json:"date"`
	Machine     benchMachine `json:"machine"`
	Events      int64        `json:"events"`
	Parallelism int          `json:"parallelism"`
	Queries     []nexmarkRun `json:"queries"`
	// OK is true when every query ran.
	OK bool `json:"ok"`
}

// nexmarkRun is one query's figures.
type nexmarkRun struct {
	Query string `json:"query"`
	// Mode is the result's mode on a stream, "append-only" or
	// "updating"; Emit is the EMIT clause the query ran with ("" or
	// "EMIT ON UPDATE").
	Mode string `json:"mode"`
	Emit string `json:"emit"`
	// Events is the history's length; RowsOut the rows the sink counted
	// (for a changelog, every change), Changes them by row kind.
	Events  int64           `json:"events"`
	RowsOut int64           `json:"rows_out"`
	Changes *nexmarkChanges `json:"changes,omitempty"`
	Batches int64           `json:"batches"`
	Seconds float64         `json:"seconds"`
	// EventsPerSec is Events over Seconds; Cores is CPUSeconds (user+sys
	// of the process) over Seconds; EventsPerSecPerCore is EventsPerSec
	// over Cores.
	EventsPerSec        float64 `json:"events_per_sec"`
	CPUSeconds          float64 `json:"cpu_seconds"`
	Cores               float64 `json:"cores"`
	EventsPerSecPerCore float64 `json:"events_per_sec_per_core"`
	// PeakRSSBytes is the process's peak RSS during the query, measured
	// as PeakMemSource says (see benchRun).
	PeakRSSBytes  int64  `json:"peak_rss_bytes"`
	PeakMemSource string `json:"peak_mem_source"`
	// PeakStateBytes and PeakStateKeys are the query's largest operator
	// state at the end of a micro-batch (exec.Metrics).
	PeakStateBytes int64 `json:"peak_state_bytes"`
	PeakStateKeys  int64 `json:"peak_state_keys"`
	// FlinkPerCore is Flink 1.13's published events/s per core (nil: none
	// published); Ratio is EventsPerSecPerCore over it.
	FlinkPerCore *float64 `json:"flink_per_core"`
	Ratio        *float64 `json:"ratio"`
	ProfileFile  string   `json:"profile_file,omitempty"`
	// Note says how the run departed from the query's text, if it did.
	Note string `json:"note,omitempty"`
	// Error is why the query failed; its figures are then zero.
	Error string `json:"error,omitempty"`
}

// nexmarkChanges counts a changelog's rows by kind.
type nexmarkChanges struct {
	Inserts       int64 `json:"inserts"`
	UpdatesBefore int64 `json:"updates_before"`
	UpdatesAfter  int64 `json:"updates_after"`
	Deletes       int64 `json:"deletes"`
}

// validate checks the flags and returns the queries to run.
func (f *nexmarkFlags) validate() ([]string, error) {
	if f.events <= 0 {
		return nil, fmt.Errorf("--events %d: want a positive number", f.events)
	}
	if f.parallelism < 1 || f.parallelism > planner.MaxParallelism {
		return nil, fmt.Errorf("--parallelism %d: want a whole number from 1 to %d", f.parallelism, planner.MaxParallelism)
	}
	if strings.TrimSpace(f.queries) == "" {
		return nexmarkDefaultQueries(), nil
	}
	have := nexmarkDefaultQueries()
	var out []string
	for _, q := range strings.Split(f.queries, ",") {
		q = strings.ToLower(strings.TrimSpace(q))
		switch {
		case q == "q6":
			return nil, fmt.Errorf("--queries: q6 is not run (no engine runs it in SQL)")
		case !slices.Contains(have, q):
			return nil, fmt.Errorf("--queries: no Nexmark query %q (have %s)", q, strings.Join(have, ", "))
		case slices.Contains(out, q):
			return nil, fmt.Errorf("--queries: %s is listed twice", q)
		}
		out = append(out, q)
	}
	return out, nil
}

func nexmarkMain(ctx context.Context, f *nexmarkFlags, stdout, stderr io.Writer) error {
	queries, err := f.validate()
	if err != nil {
		return err
	}
	if f.cpuProfile != "" {
		if err := os.MkdirAll(f.cpuProfile, 0o755); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
	}
	// Ctrl-C stops the running query and the benchmark, and the
	// temporary directory is removed.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "weir-nexmark-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	side := filepath.Join(dir, "side_input.csv")
	if err := os.WriteFile(side, []byte(bench.NexmarkSideInput()), 0o644); err != nil {
		return err
	}

	rep := &nexmarkReport{Benchmark: "nexmark", Date: time.Now().UTC().Format(time.RFC3339), Machine: machineInfo(),
		Events: f.events, Parallelism: f.parallelism, OK: true}
	term := isTerminal(stderr)
	prog := newBenchProgress(stderr, term)
	prog.unit = "events"
	defer prog.stop()
	for i, name := range queries {
		if ctx.Err() != nil {
			break
		}
		r := nexmarkQuery{name: name, events: f.events, parallelism: f.parallelism, sideInput: side, prog: prog,
			label: fmt.Sprintf("%s (%d/%d)", name, i+1, len(queries))}
		if f.cpuProfile != "" {
			r.profile = filepath.Join(f.cpuProfile, name+".prof")
		}
		run := r.run(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if run.Error != "" {
			rep.OK = false
			prog.println(fmt.Sprintf("weir: bench nexmark: %s failed: %s", name, run.Error))
		} else if !term {
			fmt.Fprintf(stderr, "weir: bench nexmark: %s: %s events in %.2fs, %s events/s on %.2f cores, %s rows out\n",
				name, groupDigits(run.Events), run.Seconds, humanCount(run.EventsPerSec), run.Cores, groupDigits(run.RowsOut))
		}
		rep.Queries = append(rep.Queries, run)
	}
	prog.stop()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := printNexmarkReport(stdout, rep); err != nil {
		return err
	}
	if !rep.OK {
		return exitError{1}
	}
	return nil
}
