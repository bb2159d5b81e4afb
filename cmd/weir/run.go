package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql"
)

type runFlags struct {
	exprs  []string
	format string
}

func newRunCmd() *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run [SCRIPT.sql] [flags]",
		Short: "Run a SQL script until its inputs end (or forever, for live streams)",
		Long: `Run executes a SQL script: CREATE TABLE statements register streams and
sinks, SELECT queries print their results to stdout, INSERT INTO queries write
to sink tables. All queries of a script run together. A script whose sources
are all files runs to the end of its input, emits every open window, and exits.

With no script and no -e, run executes the bundled word-count example.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMain(cmd.Context(), f, args, os.Stdout, os.Stderr)
		},
	}
	cmd.Flags().StringArrayVarP(&f.exprs, "execute", "e", nil, "run these SQL statements instead of a script (repeatable)")
	cmd.Flags().StringVar(&f.format, "format", "", "output format of SELECT results: table, csv or jsonl (default table on a terminal, jsonl otherwise)")
	return cmd
}

func newExplainCmd() *cobra.Command {
	var exprs []string
	cmd := &cobra.Command{
		Use:   "explain [SCRIPT.sql]",
		Short: "Show the logical and physical plan of each query in a script",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			script, _, err := loadScript(exprs, args)
			if err != nil {
				return err
			}
			stmts, err := sql.Parse(script)
			if err != nil {
				return err
			}
			sess := newSession(io.Discard)
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

// loadScript returns the script text from -e or a file, or the bundled
// example; dir is the directory to run in ("" for the current one).
func loadScript(exprs []string, args []string) (script, dir string, err error) {
	switch {
	case len(exprs) > 0 && len(args) > 0:
		return "", "", fmt.Errorf("give a script or -e, not both")
	case len(exprs) > 0:
		for _, e := range exprs {
			script += e + ";\n"
		}
		return script, "", nil
	case len(args) == 1:
		b, err := os.ReadFile(args[0])
		if err != nil {
			return "", "", err
		}
		return string(b), "", nil
	}
	return exampleScript()
}

// newSession makes a planner session with every connector registered and
// bad rows reported on warn.
func newSession(warn io.Writer) *planner.Session {
	sess := planner.NewSession(registry())
	sess.BadRow = newBadRowReporter(warn).report
	return sess
}

func runMain(ctx context.Context, f *runFlags, args []string, stdout, stderr io.Writer) error {
	script, dir, err := loadScript(f.exprs, args)
	if err != nil {
		return err
	}
	if dir != "" {
		fmt.Fprintln(stderr, "weir: no script given: running the bundled word-count example (see weir run --help)")
		defer os.RemoveAll(dir)
		if err := os.Chdir(dir); err != nil {
			return err
		}
	}
	flagFormat := f.format
	if dir != "" && flagFormat == "" {
		flagFormat = "table" // the bundled example is a demo: show tables
	}
	format, err := outputFormat(flagFormat, stdout)
	if err != nil {
		return err
	}
	stmts, err := sql.Parse(script)
	if err != nil {
		return err
	}
	bad := newBadRowReporter(stderr)
	sess := planner.NewSession(registry())
	sess.BadRow = bad.report
	out := &lockedWriter{w: stdout}

	// Plan everything before anything runs or prints, so that a mistake in
	// the last statement leaves no half-printed output.
	var pending []func() error
	var queries []*exec.Query
	closeAll := func() {
		for _, q := range queries {
			q.Pipeline.Close()
			q.Input.Source.Close()
			q.Sink.Close()
		}
	}
	for _, st := range stmts {
		res, err := sess.Execute(st)
		if err != nil {
			closeAll()
			return err
		}
		switch res.Kind {
		case planner.ResultRows:
			r := res
			pending = append(pending, func() error { return printRows(out, format, r.Columns, r.Rows) })
		case planner.ResultQuery:
			var console connectors.Sink
			if res.Query.Into == nil {
				if console, err = newConsoleSink(out, format, res.Query.Schema()); err != nil {
					closeAll()
					return err
				}
			}
			q, err := res.Query.Build(console)
			if err != nil {
				closeAll()
				return err
			}
			queries = append(queries, q)
		}
	}
	for _, p := range pending {
		if err := p(); err != nil {
			closeAll()
			return err
		}
	}
	if len(queries) == 0 {
		return nil
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errs := make([]error, len(queries))
	var wg sync.WaitGroup
	for i, q := range queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = q.Run(ctx)
		}()
	}
	wg.Wait()
	bad.summary()
	failed := false
	for i, q := range queries {
		m := q.Metrics()
		if m.LateRows > 0 {
			fmt.Fprintf(stderr, "weir: query %d: dropped %d late rows (older than the watermark, their windows already emitted)\n", q.ID, m.LateRows)
		}
		if errs[i] != nil && ctx.Err() == nil {
			fmt.Fprintf(stderr, "weir: query %d failed: %v\n", q.ID, errs[i])
			failed = true
		}
	}
	if failed {
		return exitError{1}
	}
	if ctx.Err() != nil {
		return exitError{130}
	}
	return nil
}

// lockedWriter serialises whole writes from concurrent queries.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// Write implements io.Writer.
func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
