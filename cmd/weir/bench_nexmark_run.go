package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/bench"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/blackhole"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

// nexmarkQuery runs one Nexmark query of `weir bench nexmark`.
type nexmarkQuery struct {
	name        string
	events      int64
	parallelism int
	// sideInput is the path of q13's side input; profile, if not empty,
	// the file its CPU profile goes to.
	sideInput, profile string
	// label names the query on the progress line.
	label string
	prog  *benchProgress
}

// nexmarkShare is the share of a history's events each table holds: of
// every 50 events, 1 is a person, 3 are auctions and 46 bids.
var nexmarkShare = map[string]float64{"person": 1.0 / 50, "auction": 3.0 / 50, "bid": 46.0 / 50}

// script is the query as weir run would be given it: the parallelism, the
// nexmark tables over a history of events events (0: endless), the query
// text with its blackhole sink (sinkTable, if not empty, instead of the
// text's), and emit at its end. With sink false it is the query alone,
// a SELECT.
func (r *nexmarkQuery) script(events int64, sink bool, sinkTable, emit string) (string, error) {
	text, err := bench.NexmarkQuery(r.name)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("SET parallelism = %d;\n", r.parallelism) + bench.NexmarkScript(text, bench.NexmarkScriptConfig{
		Tables: bench.NexmarkDDL(events), SideInput: r.sideInput, Sink: sink, SinkTable: sinkTable, Emit: emit}), nil
}

// onStream plans the query alone (a SELECT) over endless nexmark tables,
// as Flink runs it, and reports whether its result is then updating
// (EXPLAIN's mode: updating), and its columns. Nothing is opened.
func (r *nexmarkQuery) onStream() (updating bool, schema *arrow.Schema, err error) {
	script, err := r.script(0, false, "", "")
	if err != nil {
		return false, nil, err
	}
	stmts, err := sql.Parse(script)
	if err != nil {
		return false, nil, err
	}
	sess := planner.NewSession(registry())
	for _, st := range stmts {
		res, err := sess.Execute(st)
		if err != nil {
			return false, nil, err
		}
		if res.Kind == planner.ResultQuery {
			return res.Query.Plan.Updating(), vector.WithoutOpColumn(res.Query.Schema()), nil
		}
	}
	return false, nil, errors.New("the script has no query")
}

// typedSink declares the query's sink table as a blackhole table with the
// query's own column types, c1, c2, ...
func (r *nexmarkQuery) typedSink(schema *arrow.Schema) string {
	cols := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		cols[i] = fmt.Sprintf("c%d %s", i+1, vector.TypeName(f.Type))
	}
	return fmt.Sprintf("CREATE TABLE nexmark_%s (%s) WITH ('connector' = 'blackhole')", r.name, strings.Join(cols, ", "))
}

// plan plans the query into its sink table, with emit. When the text's
// sink table refuses the query's columns (Flink's AVG of a BIGINT is a
// BIGINT, Weir's a DOUBLE), it plans it into a blackhole table of the
// query's own types instead, and says so in note.
func (r *nexmarkQuery) plan(schema *arrow.Schema, emit string) (j *job, note string, err error) {
	var sinkTable string
	for {
		script, err := r.script(r.events, true, sinkTable, emit)
		if err != nil {
			return nil, "", err
		}
		sess := planner.NewSession(registry())
		sess.Log = slog.New(slog.DiscardHandler)
		sess.BadRow = func(connectors.BadRow) error { return nil }
		j, err := plan(sess, script, io.Discard, "jsonl", 0)
		switch {
		case err == nil:
			return j, note, nil
		case sinkTable != "":
			return nil, "", fmt.Errorf("%s (and into its own column types: %v)", note, err)
		case !strings.Contains(err.Error(), "INSERT INTO nexmark_"+r.name+":"):
			return nil, "", err // not the sink's columns
		}
		note = "the text's sink table refuses the result: " + strings.ReplaceAll(err.Error(), "\n", " ") +
			"; ran into a blackhole table of the query's own column types"
		sinkTable = r.typedSink(schema)
	}
}

// run plans and runs the query and measures it; a failure is reported in
// the result's Error.
func (r *nexmarkQuery) run(ctx context.Context) nexmarkRun {
	out := nexmarkRun{Query: r.name, Mode: "append-only", Events: r.events}
	if f, ok := flinkPerCore[r.name]; ok {
		out.FlinkPerCore = &f
	}
	fail := func(err error) nexmarkRun {
		out.Error = strings.ReplaceAll(err.Error(), "\n", " ")
		return out
	}
	updating, schema, err := r.onStream()
	if err != nil {
		return fail(err)
	}
	if updating {
		out.Mode, out.Emit = "updating", "EMIT "+sql.EmitOnUpdate
	}
	j, note, err := r.plan(schema, out.Emit)
	if err != nil {
		return fail(err)
	}
	out.Note = note
	if len(j.queries) != 1 {
		j.close()
		return fail(fmt.Errorf("want one query, planned %d", len(j.queries)))
	}
	q := j.queries[0]
	hole, ok := q.Sink.(*blackhole.Sink)
	if !ok {
		j.close()
		return fail(fmt.Errorf("the query writes to %T, not to a blackhole table", q.Sink))
	}

	var pf *os.File
	if r.profile != "" {
		if pf, err = os.Create(r.profile); err != nil {
			j.close()
			return fail(err)
		}
		defer pf.Close()
	}
	r.prog.phase(r.label, r.progress(q), r.events)
	m := startMeter()
	if pf != nil {
		if err := pprof.StartCPUProfile(pf); err != nil {
			m.stop()
			j.close()
			return fail(err)
		}
	}
	m.mark()
	runErr := q.Run(ctx)
	meas := m.stop()
	if pf != nil {
		pprof.StopCPUProfile()
		out.ProfileFile = r.profile
	}
	if runErr != nil {
		return fail(runErr)
	}

	c, met := hole.Counts(), q.Metrics()
	out.RowsOut, out.Batches = c.Rows, met.Batches
	if c.Changelog {
		out.Changes = &nexmarkChanges{Inserts: c.Inserts, UpdatesBefore: c.UpdatesBefore, UpdatesAfter: c.UpdatesAfter, Deletes: c.Deletes}
	}
	out.Seconds, out.CPUSeconds = meas.wall.Seconds(), meas.cpu.Seconds()
	out.PeakRSSBytes, out.PeakMemSource = meas.peakMem, meas.peakMemSource
	out.PeakStateBytes, out.PeakStateKeys = met.PeakStateBytes, met.PeakStateKeys
	if out.Seconds > 0 {
		out.EventsPerSec = float64(r.events) / out.Seconds
		out.Cores = out.CPUSeconds / out.Seconds
	}
	if out.Cores > 0 {
		out.EventsPerSecPerCore = out.EventsPerSec / out.Cores
	}
	if out.FlinkPerCore != nil && out.EventsPerSecPerCore > 0 {
		ratio := out.EventsPerSecPerCore / *out.FlinkPerCore
		out.Ratio = &ratio
	}
	return out
}

// progress estimates the events a running query has read, from the rows
// it has taken from its tables and the share of the history they hold.
func (r *nexmarkQuery) progress(q *exec.Query) func() int64 {
	share := 0.0
	for _, in := range q.Inputs() {
		share += nexmarkShare[strings.ToLower(in.Table)]
	}
	return func() int64 {
		if share == 0 {
			return 0
		}
		return min(r.events, int64(float64(q.Metrics().RowsIn)/share))
	}
}
