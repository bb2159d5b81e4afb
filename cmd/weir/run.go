package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"syscall"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql"
)

type runFlags struct {
	exprs         []string
	example       string
	format        string
	batchInterval string
	parallelism   int
	progress      bool
	stats         bool
	maxRows       int
	cpuProfile    string
	checkpointDir string
	reset         bool
	outputDir     string
	http          string
	httpToken     string
}

func newRunCmd() *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run [SCRIPT.sql | -] [flags]",
		Short: "Run a SQL script until its inputs end (or until Ctrl-C, for live streams)",
		Long: `Run executes a SQL script: CREATE TABLE statements register streams and
sinks, SELECT queries print their results to stdout, INSERT INTO queries write
to sink tables. All queries of a script run together. A script whose sources
are all files runs to the end of its input, emits every open window, and exits.
Live sources (socket, directory, datagen) run until Ctrl-C, one micro-batch per
batch interval.

The script is read from standard input when SCRIPT is "-", or when no
script and no -e are given and standard input is not a terminal
(echo 'SELECT ...;' | weir run). With no script, no -e and nothing on
standard input, run executes the bundled word-count example.

SIGINT (Ctrl-C), SIGTERM and SIGHUP stop a run gracefully: the batch in
flight finishes, a final checkpoint is taken (with --checkpoint-dir) and
the summary is printed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMain(cmd.Context(), f, args, processStdin(), os.Stdout, os.Stderr)
		},
	}
	cmd.Flags().StringArrayVarP(&f.exprs, "execute", "e", nil, "run these SQL statements instead of a script (repeatable)")
	cmd.Flags().StringVar(&f.example, "example", "", "run a bundled example instead of a script: wordcount (words per minute in a small log; what run does with no script) or live (a word count over generated words until Ctrl-C, to watch with --http)")
	cmd.Flags().StringVar(&f.format, "format", "", "output format of SELECT results: table, csv or jsonl (default table on a terminal, jsonl otherwise)")
	cmd.Flags().IntVar(&f.parallelism, "parallelism", 0, "workers per query: 1 runs it on one goroutine, 2 as pipelined stages with sources decoding on both, 3 and up also splits operators into that many partitions (default 0: the number of cores; SET parallelism overrides)")
	cmd.Flags().StringVar(&f.batchInterval, "batch-interval", "", "time between micro-batches of live sources, e.g. 200ms (default 1s; SET batch_interval overrides)")
	cmd.Flags().BoolVar(&f.progress, "progress", true, "show a one-line live status on stderr when it is a terminal")
	cmd.Flags().BoolVar(&f.stats, "stats", false, "when each query ends, print its rows in and out, micro-batches and peak state size on stderr")
	cmd.Flags().IntVar(&f.maxRows, "max-rows", 20, "rows shown per batch in table format (0: all)")
	cmd.Flags().StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (reading, planning and every query, all goroutines) to this file; read it with go tool pprof -top weir FILE")
	cmd.Flags().StringVar(&f.checkpointDir, "checkpoint-dir", "", "save each query's state, source position and sink state here (every checkpoint_interval, default 10s) and resume from it on restart")
	cmd.Flags().BoolVar(&f.reset, "reset", false, "with --checkpoint-dir: discard the checkpoints there and start over")
	cmd.Flags().StringVar(&f.outputDir, "output-dir", "", "write each SELECT's rows to DIR/query-N.jsonl (.csv, .txt for tables) instead of stdout (default format jsonl)")
	cmd.Flags().StringVar(&f.http, "http", "", httpFlagHelp+" (SET http = 'ADDR' in the script does the same)")
	cmd.Flags().StringVar(&f.httpToken, "http-token", "", httpTokenHelp)
	return cmd
}

func newExplainCmd() *cobra.Command {
	var exprs []string
	cmd := &cobra.Command{
		Use:   "explain [SCRIPT.sql | -]",
		Short: "Show the logical and physical plan of each query in a script",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			script, _, err := loadScript(cmd.Context(), exprs, args, processStdin())
			if err != nil {
				return err
			}
			stmts, err := sql.Parse(script)
			if err != nil {
				return err
			}
			sess := planner.NewSession(registry())
			for _, st := range stmts {
				res, err := sess.Execute(st)
				if err != nil {
					return err
				}
				if res.Kind == planner.ResultQuery {
					fmt.Fprintf(os.Stdout, "%s\n%s\n", st.Text, res.Query.Explain())
				}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&exprs, "execute", "e", nil, "explain these SQL statements instead of a script")
	return cmd
}

// noticeHandler prints source notices (reconnects and the like) as
// "weir: message key=value" lines.
type noticeHandler struct {
	w      io.Writer
	status *statusLine
	attrs  []slog.Attr
}

func (h *noticeHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *noticeHandler) Handle(_ context.Context, r slog.Record) error {
	line := "weir: " + r.Message
	for _, a := range h.attrs {
		line += " " + a.String()
	}
	r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	h.status.clear()
	defer h.status.restore()
	_, err := fmt.Fprintln(h.w, line)
	return err
}
func (h *noticeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &noticeHandler{w: h.w, status: h.status, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}
func (h *noticeHandler) WithGroup(string) slog.Handler { return h }

// job is a planned script: its text output and its queries, ready to run.
type job struct {
	printed  []func() error
	queries  []*exec.Query
	consoles map[*exec.Query]*consoleSink
	prepared map[*exec.Query]*planner.Prepared
	// scaled are the queries split across the processes of a Kafka
	// consumer group, run as a task per partition (scaledQuery).
	scaled []*scaledQuery
}

func (j *job) close() {
	for _, q := range j.queries {
		q.Discard()
	}
}

// plan executes every statement of script in sess: DDL at once, queries
// built but not started, so that a mistake anywhere leaves nothing printed.
func plan(sess *planner.Session, script string, out io.Writer, fmtName string, maxRows int) (*job, error) {
	return planFormats(sess, script, out, fmtName, fmtName, maxRows)
}

// planFormats is plan with one format (fmtName) for the results of SHOW,
// DESCRIBE and EXPLAIN and another (queryFmt) for the rows of queries.
func planFormats(sess *planner.Session, script string, out io.Writer, fmtName, queryFmt string, maxRows int) (*job, error) {
	stmts, err := sql.Parse(script)
	if err != nil {
		return nil, err
	}
	j := &job{consoles: map[*exec.Query]*consoleSink{}, prepared: map[*exec.Query]*planner.Prepared{}}
	for _, st := range stmts {
		res, err := sess.Execute(st)
		if err != nil {
			j.close()
			return nil, err
		}
		switch res.Kind {
		case planner.ResultRows:
			r := res
			j.printed = append(j.printed, func() error { return printRows(out, fmtName, r.Columns, r.Rows) })
		case planner.ResultQuery:
			if t, err := groupTable(res.Query, sess.NextID(), sess.Registry); err != nil || t != nil {
				if err != nil {
					j.close()
					return nil, err
				}
				j.scaled = append(j.scaled, &scaledQuery{p: res.Query, id: res.Query.ReserveID(), table: t, log: sess.Log})
				continue
			}
			var console *consoleSink
			if res.Query.Into == nil {
				if console, err = newConsoleSink(out, queryFmt, res.Query.Schema(), maxRows); err != nil {
					j.close()
					return nil, err
				}
			}
			q, err := res.Query.Build(console)
			if err != nil {
				j.close()
				return nil, err
			}
			j.queries = append(j.queries, q)
			j.prepared[q] = res.Query
			if console != nil {
				j.consoles[q] = console
			}
		}
	}
	return j, nil
}

func runMain(ctx context.Context, f *runFlags, args []string, stdin stdinInput, stdout, stderr io.Writer) error {
	// First of all: from here on a signal stops the run gracefully, even
	// one that comes while the script is read or planned.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if f.http != "" {
		if _, err := listenAddr(f.http); err != nil {
			return err
		}
	}
	exec.BoundGCHeadroom() // a large state takes its size in memory, not twice it
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); pf.Close() }()
	}
	var script, dir string
	var err error
	if f.example != "" {
		if len(args) > 0 || len(f.exprs) > 0 {
			return fmt.Errorf("give a script, -e or --example, not more than one")
		}
		script, dir, err = exampleScript(f.example)
	} else {
		script, dir, err = loadScript(ctx, f.exprs, args, stdin)
	}
	if err != nil {
		return err
	}
	if dir != "" {
		if f.example == "" {
			fmt.Fprintln(stderr, "weir: no script given: running the bundled word-count example (see weir run --help)")
		} else {
			fmt.Fprintf(stderr, "weir: running the bundled example %s: %s\n", f.example, examples[f.example])
		}
		defer os.RemoveAll(dir)
		// The example runs in its own directory: paths given relative to
		// the current one must still point there.
		for _, p := range []*string{&f.checkpointDir, &f.outputDir} {
			if *p != "" {
				if *p, err = filepath.Abs(*p); err != nil {
					return err
				}
			}
		}
		if err := os.Chdir(dir); err != nil {
			return err
		}
	}
	format, err := outputFormat(f.format, stdout)
	if err != nil {
		return err
	}
	queryFormat := format
	if f.outputDir != "" && f.format == "" {
		queryFormat = "jsonl" // files are not terminals
	}
	status := newStatusLine(stderr, f.progress && isTerminal(stderr))
	out := &statusWriter{w: stdout, status: status}
	bad := newBadRowReporter(&statusWriter{w: stderr, status: status})
	sess := planner.NewSession(registry())
	sess.BadRow = bad.report
	sess.Log = slog.New(&noticeHandler{w: stderr, status: status})
	if f.batchInterval != "" {
		if d, err := sql.ParseInterval(f.batchInterval); err != nil || d <= 0 {
			return fmt.Errorf("--batch-interval %q: want a positive interval such as 200ms or '1 second'", f.batchInterval)
		}
		sess.Settings["batch_interval"] = f.batchInterval
	}
	if f.reset && f.checkpointDir != "" {
		if err := os.RemoveAll(f.checkpointDir); err != nil {
			return err
		}
	}
	if f.parallelism != 0 {
		if _, err := planner.ParseParallelism(fmt.Sprint(f.parallelism)); err != nil {
			return fmt.Errorf("--parallelism: %v", err)
		}
		sess.Settings["parallelism"] = fmt.Sprint(f.parallelism)
	}
	sess.CheckpointDir = f.checkpointDir
	j, err := planFormats(sess, script, out, format, queryFormat, f.maxRows)
	if err != nil {
		return err
	}
	if err := j.routeOutput(f.outputDir, queryFormat); err != nil {
		j.close()
		return err
	}
	for _, p := range j.printed {
		if err := p(); err != nil {
			j.close()
			return err
		}
	}
	if len(j.queries) == 0 && len(j.scaled) == 0 {
		return nil
	}
	addr, from := f.http, "--http"
	if addr == "" {
		addr, from = sess.Settings["http"], "SET http"
	}
	var mon *monitor
	if addr != "" {
		if mon, err = startMonitor(from, addr, httpToken(f.httpToken), stderr); err != nil {
			j.close()
			return err
		}
		defer mon.close()
	}

	if f.checkpointDir != "" {
		for _, q := range j.queries {
			every, batches := j.prepared[q].CheckpointSettings()
			q.Checkpoint = &exec.Checkpointing{Dir: filepath.Join(f.checkpointDir, fmt.Sprintf("q%d", q.ID)),
				Every: every, EveryBatches: batches, Fingerprint: j.prepared[q].Fingerprint()}
			for _, in := range q.Inputs() {
				if _, ok := in.Source.(connectors.Seeker); !ok {
					fmt.Fprintf(stderr, "weir: warning: query %d: table %s cannot be replayed from a checkpoint: after a restart its source starts over, so rows may be counted twice or lost\n", q.ID, in.Table)
				}
			}
		}
	} else if f.reset {
		j.close()
		return fmt.Errorf("--reset needs --checkpoint-dir")
	}
	for _, sq := range j.scaled {
		if f.checkpointDir == "" {
			j.close()
			return fmt.Errorf("query %d reads table %s of Kafka consumer group %q: its partitions move between the group's processes with their state, which needs --checkpoint-dir (a directory every process of the group shares)", sq.id, sq.table.Name, sq.table.Options["group"])
		}
		every, batches := sq.p.CheckpointSettings()
		sq.ckDir, sq.every = f.checkpointDir, exec.Checkpointing{Every: every, EveryBatches: batches, Fingerprint: sq.p.Fingerprint()}
		sq.onBatch = func(q *exec.Query, b exec.BatchInfo) { status.update(q.ID, statusText(q, b, q.Interval)) }
	}
	for _, q := range j.queries {
		for _, table := range q.TablesWithoutWatermark() {
			fmt.Fprintf(stderr, "weir: warning: query %d: table %s declares no WATERMARK, so its event-time windows close only when its input ends; declare one, or window over PROCTIME()\n", q.ID, table)
		}
	}
	errs := make([]error, len(j.queries))
	var wg sync.WaitGroup
	for i, q := range j.queries {
		console := j.consoles[q]
		q.OnBatch = func(b exec.BatchInfo) {
			if console != nil {
				if err := console.endBatch(b); err != nil {
					fmt.Fprintf(stderr, "weir: query %d: %v\n", q.ID, err)
				}
			}
			span := q.Interval
			if b.SchedulingDelay == 0 && b.TotalDelay == 0 { // a file read back to back
				span = b.Processing
			}
			status.update(q.ID, statusText(q, b, span))
		}
		qctx, cancel := context.WithCancel(ctx) // its own: the dashboard may stop it alone
		var w *watched
		if mon != nil {
			w = mon.watchQuery(q, j.prepared[q], cancel)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer cancel()
			errs[i] = q.Run(qctx)
			if w != nil {
				mon.statusChanged(w)
			}
		}()
	}
	scaledErrs := make([]error, len(j.scaled))
	for i, sq := range j.scaled {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scaledErrs[i] = sq.run(ctx)
		}()
	}
	wg.Wait()
	status.done()
	bad.summary()
	failed := false
	for i, q := range j.queries {
		m := q.Metrics()
		if m.LateRows > 0 {
			fmt.Fprintf(stderr, "weir: query %d: dropped %d late rows (older than the watermark, their windows already emitted)\n", q.ID, m.LateRows)
		}
		if bs := q.Batches(); q.Live() && len(bs) > 0 {
			fmt.Fprintf(stderr, "weir: query %d: %s\n", q.ID, batchSummary(bs))
		}
		if f.stats {
			fmt.Fprintf(stderr, "weir: query %d: %d rows in, %d rows out, %d micro-batches, peak state %s in %d keys\n",
				q.ID, m.RowsIn, m.RowsOut, m.Batches, exec.FormatBytes(m.PeakStateBytes), m.PeakStateKeys)
		}
		if errs[i] != nil {
			fmt.Fprintf(stderr, "weir: %s\n", failureText(q.ID, errs[i]))
			failed = true
		}
		if errs[i] == nil && q.ResumedAtEnd() {
			fmt.Fprintf(stderr, "weir: query %d: the checkpoint in %s is at the end of its input: nothing left to do (run with --reset to start over)\n", q.ID, q.Checkpoint.Dir)
		}
	}
	for i, sq := range j.scaled {
		if scaledErrs[i] != nil {
			fmt.Fprintf(stderr, "weir: %s\n", failureText(sq.id, scaledErrs[i]))
			failed = true
		}
	}
	if failed {
		return exitError{1}
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// statusWriter serialises whole writes from concurrent queries and keeps
// the status line out of their way.
type statusWriter struct {
	mu     sync.Mutex
	w      io.Writer
	status *statusLine
}

// Write implements io.Writer.
func (s *statusWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.clear()
	defer s.status.restore()
	return s.w.Write(p)
}
