package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chzyer/readline"
	"github.com/mattn/go-isatty"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/spf13/cobra"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql"
)

const (
	shellPrompt     = "weir> "
	shellContinue   = "   ...> "
	shellSQLWidth   = 60              // SQL shown by SHOW QUERIES and Ctrl-C
	shellStopWait   = 5 * time.Second // how long STOP QUERY waits for a query to end
	shellRateWindow = 5               // batches the input rate is averaged over
)

// shellHelp lists the statements and keys; `help` in the shell and
// `weir shell --help` both show it.
const shellHelp = `Statements end with ';' and may span several lines:

  CREATE TABLE t (ts TIMESTAMP(3), n BIGINT, s VARCHAR,
                  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
    WITH (connector = 'file', path = 'data.csv', format = 'csv');
  DROP TABLE t;   SHOW TABLES;   DESCRIBE t;   EXPLAIN SELECT ...;
  SET batch_interval = '200ms';   SET batch_size = 8192;
  SELECT ...;                  start a continuous query in the background;
                               its rows print as they come
  INSERT INTO t SELECT ...;    start a query writing to a sink table
  SHOW QUERIES;                list the queries: status, rows in and out,
                               input rate, late and bad rows
  STOP QUERY n;                stop query n and wait for it to end
  help, exit, quit             (no ';' needed)

Keys:
  Enter           run the statement once it ends with ';'
  Ctrl-C          clear the line; on an empty line, stop the most recently
                  started query that is still running
  Ctrl-D          on an empty line: stop every query and leave
  Up, Down        recall earlier statements (kept in ~/.weir_history,
                  or the file $WEIR_HISTORY names)
  Ctrl-R          search the history
  Ctrl-A, Ctrl-E, Alt-B, Alt-F, Ctrl-W, Ctrl-K, Ctrl-U   edit as in bash
`

type shellFlags struct {
	format        string
	batchInterval string
	maxRows       int
	file          string
	http          string
	httpToken     string
}

func newShellCmd() *cobra.Command {
	f := &shellFlags{}
	cmd := &cobra.Command{
		Use:   "shell [flags]",
		Short: "Type SQL interactively; queries run in the background",
		Long: `Shell is an interactive SQL prompt with line editing and history. Tables
created there stay for the session; each SELECT or INSERT starts a continuous
query in the background and the prompt stays usable while it runs: its rows
print between prompts, SHOW QUERIES lists the queries and STOP QUERY n ends
one. A query over files ends by itself once its input is read.

With standard input not a terminal (weir shell < script.sql), the shell
prints no prompts: it runs the statements in turn, reporting a failing one
and going on with the next, waits at the end of input for the queries over
files to finish (and stops those over live sources), and exits 1 if any
statement or query failed. Query rows and tables then go to stdout, notices
and errors to stderr.

` + shellHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return shellMain(cmd.Context(), f, os.Stdin, os.Stdout, os.Stderr)
		},
	}
	cmd.Flags().StringVar(&f.format, "format", "", "output format of query results: table, csv or jsonl (default table on a terminal, jsonl otherwise)")
	cmd.Flags().StringVar(&f.batchInterval, "batch-interval", "", "time between micro-batches of live sources, e.g. 200ms (default 1s; SET batch_interval overrides)")
	cmd.Flags().IntVar(&f.maxRows, "max-rows", 20, "rows shown per batch in table format (0: all)")
	cmd.Flags().StringVarP(&f.file, "file", "f", "", "run the statements of this SQL script first")
	cmd.Flags().StringVar(&f.http, "http", "", httpFlagHelp+" (SET http = 'ADDR' in the shell does the same)")
	cmd.Flags().StringVar(&f.httpToken, "http-token", "", httpTokenHelp)
	return cmd
}

// shell is one session of `weir shell`: a planner session and the
// queries started in it.
type shell struct {
	ctx     context.Context
	sess    *planner.Session
	format  string
	maxRows int
	// out receives results and msg notices and errors; both write under
	// one lock, so that concurrent queries never interleave within a batch.
	out, msg io.Writer

	mu      sync.Mutex // guards queries and the shellQuery fields it marks
	queries []*shellQuery
	failed  atomic.Bool // a statement or a query failed

	// mon, once --http or SET http started it, serves the dashboard.
	mon       *monitor
	httpToken string
}

// shellQuery is a query started by the shell.
type shellQuery struct {
	q        *exec.Query
	cancel   context.CancelFunc
	done     chan struct{} // closed when Run has returned
	live     bool
	interval time.Duration

	// Guarded by shell.mu:
	err     error
	ended   bool // Run returned
	stopped bool // the user stopped it
	waiter  bool // someone waits to report its end
}

// lockedWriter serialises writes to w under a lock it shares with others.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

// Write implements io.Writer.
func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func shellMain(ctx context.Context, f *shellFlags, stdin io.Reader, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	format, err := outputFormat(f.format, stdout)
	if err != nil {
		return err
	}
	if f.batchInterval != "" {
		if d, err := sql.ParseInterval(f.batchInterval); err != nil || d <= 0 {
			return fmt.Errorf("--batch-interval %q: want a positive interval such as 200ms or '1 second'", f.batchInterval)
		}
	}
	if f.http != "" {
		if _, err := listenAddr(f.http); err != nil {
			return err
		}
	}
	var script []byte
	if f.file != "" {
		if script, err = os.ReadFile(f.file); err != nil {
			return err
		}
	}
	interactive := isTTY(stdin) && isTTY(stdout)
	var rl *readline.Instance
	if interactive {
		rl, err = readline.NewEx(&readline.Config{
			Prompt:                 shellPrompt,
			HistoryFile:            historyPath(),
			DisableAutoSaveHistory: true,
			HistorySearchFold:      true,
			InterruptPrompt:        "^C",
		})
		if err != nil {
			return err
		}
		defer rl.Close()
		stdout, stderr = rl.Stdout(), rl.Stderr()
	}
	var mu sync.Mutex
	sh := &shell{ctx: ctx, format: format, maxRows: f.maxRows,
		out: lockedWriter{&mu, stdout}, msg: lockedWriter{&mu, stderr}}
	sh.sess = planner.NewSession(registry())
	sh.sess.Log = slog.New(&noticeHandler{w: sh.msg})
	if f.batchInterval != "" {
		sh.sess.Settings["batch_interval"] = f.batchInterval
	}
	sh.httpToken = httpToken(f.httpToken)
	if f.http != "" {
		if sh.mon, err = startMonitor("--http", f.http, sh.httpToken, sh.msg); err != nil {
			return err
		}
	}
	defer func() { sh.mon.close() }()

	if interactive {
		fmt.Fprintf(sh.msg, "Weir %s shell. Statements end with ';'. Type help for more, Ctrl-D to leave.\n", version)
	}
	if script != nil && sh.runScript(strings.NewReader(string(script)), f.file) {
		sh.stopAll()
		return sh.exit(interactive)
	}
	if interactive {
		return sh.interact(rl)
	}
	if !sh.runScript(stdin, "") {
		sh.drain()
	} else {
		sh.stopAll()
	}
	return sh.exit(false)
}

// exit is the shell's result: non-interactive sessions fail if anything
// failed.
func (sh *shell) exit(interactive bool) error {
	if !interactive && sh.failed.Load() {
		return exitError{1}
	}
	return nil
}

func isTTY(v any) bool {
	f, ok := v.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// historyPath is $WEIR_HISTORY, else ~/.weir_history, else none.
func historyPath() string {
	if p := os.Getenv("WEIR_HISTORY"); p != "" {
		return p
	}
	if home := os.Getenv("HOME"); home != "" {
		return filepath.Join(home, ".weir_history")
	}
	return ""
}

// shellCommand recognises the shell's own words (help, exit, quit) typed
// alone on a line, with or without ';'.
func shellCommand(line string) string {
	w := strings.ToLower(strings.TrimSpace(line))
	w = strings.TrimSpace(strings.TrimSuffix(w, ";"))
	switch w {
	case "exit", "quit", `\q`:
		return "exit"
	case "help", `\?`, `\h`, "?":
		return "help"
	}
	return ""
}

// runScript runs the statements read from r without prompts, each error
// positioned in the whole input (name, if any, prefixes it). A statement
// left unterminated at the end of input runs too. It reports whether the
// input asked to leave (exit or quit).
func (sh *shell) runScript(r io.Reader, name string) (quit bool) {
	in := &shellInput{}
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
			if !in.pending() {
				switch shellCommand(line) {
				case "exit":
					return true
				case "help":
					fmt.Fprint(sh.out, shellHelp)
					continue
				}
			}
			in.add(line)
			sh.runComplete(in, name, true)
		}
		if err != nil {
			if err != io.EOF {
				sh.report(err, "")
			}
			break
		}
	}
	if off, end, ok := in.rest(); ok {
		sh.runText(in, off, end, name, true)
	}
	return false
}

// runComplete runs every complete statement in, and drops what is left
// if it is only blanks and comments.
func (sh *shell) runComplete(in *shellInput, name string, relocate bool) {
	for {
		off, end, ok := in.next()
		if !ok {
			break
		}
		sh.runText(in, off, end, name, relocate)
	}
	if !in.pending() {
		in.discard()
	}
}

// interact reads statements from the terminal until Ctrl-D or exit.
func (sh *shell) interact(rl *readline.Instance) error {
	// The terminal is in raw mode only while a line is read: a Ctrl-C
	// typed while a statement runs must not kill the shell.
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt)
	defer func() { signal.Stop(sigc); close(sigc) }()
	go func() {
		for range sigc {
		}
	}()

	in := &shellInput{}
	var typed []string // the lines of the statement being typed, for history
	for {
		if in.pending() {
			rl.SetPrompt(shellContinue)
		} else {
			rl.SetPrompt(shellPrompt)
		}
		line, err := rl.Readline()
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			if strings.TrimSpace(line) != "" || in.pending() {
				in.discard() // like bash: drop what was typed
				typed = nil
				continue
			}
			sh.interrupt()
			continue
		case errors.Is(err, io.EOF):
			sh.stopAll()
			fmt.Fprintln(sh.msg, "bye")
			return nil
		case err != nil:
			sh.stopAll()
			return err
		}
		if !in.pending() {
			switch shellCommand(line) {
			case "exit":
				rl.SaveHistory(strings.TrimSpace(line))
				sh.stopAll()
				fmt.Fprintln(sh.msg, "bye")
				return nil
			case "help":
				rl.SaveHistory(strings.TrimSpace(line))
				fmt.Fprint(sh.out, shellHelp)
				continue
			}
		}
		if strings.TrimSpace(line) != "" {
			typed = append(typed, strings.TrimSpace(line))
		}
		in.add(line)
		sh.runComplete(in, "", false)
		if !in.pending() && len(typed) > 0 {
			// One history entry per statement, on one line: the history
			// file holds a line per entry.
			rl.SaveHistory(strings.Join(typed, " "))
			typed = nil
		}
	}
}

// runText parses and runs the statement all[off:end] of in. Errors are
// printed and the session goes on; with relocate, their positions refer
// to the whole input rather than to the statement.
func (sh *shell) runText(in *shellInput, off, end int, name string, relocate bool) {
	stmts, err := sql.Parse(in.text(off, end))
	for _, st := range stmts {
		if err = sh.execute(st); err != nil {
			break
		}
	}
	if err != nil {
		if relocate {
			err = in.relocate(err, off)
		}
		sh.report(err, name)
	}
}

// report prints a failed statement's error: a positioned SQL error with
// the offending text underlined, anything else on one line.
func (sh *shell) report(err error, name string) {
	sh.failed.Store(true)
	if name != "" {
		name += ": "
	}
	var se *sql.Error
	if errors.As(err, &se) {
		fmt.Fprintf(sh.msg, "error: %s%s\n", name, se.Pretty())
		return
	}
	fmt.Fprintf(sh.msg, "error: %s%v\n", name, err)
}

// execute runs one statement.
func (sh *shell) execute(st *sql.Statement) error {
	switch st.Command {
	case "SHOW QUERIES":
		return sh.showQueries()
	case "STOP QUERY":
		id, err := strconv.Atoi(st.Args[0])
		sq := sh.lookup(id)
		if err != nil || sq == nil {
			return fmt.Errorf("no query %s (SHOW QUERIES lists them)", st.Args[0])
		}
		sh.stop(sq, "")
		return nil
	}
	res, err := sh.sess.Execute(st)
	if err != nil {
		return err
	}
	if addr := sh.sess.Settings["http"]; addr != "" && sh.mon == nil {
		if sh.mon, err = startMonitor("SET http", addr, sh.httpToken, sh.msg); err != nil {
			delete(sh.sess.Settings, "http")
			return err
		}
	}
	switch res.Kind {
	case planner.ResultRows:
		return printRows(sh.out, sh.format, res.Columns, res.Rows)
	case planner.ResultQuery:
		return sh.start(res.Query)
	}
	fmt.Fprintln(sh.msg, sh.confirmation(st, res))
	return nil
}

// confirmation is the line printed after a statement that changed the
// session.
func (sh *shell) confirmation(st *sql.Statement, res *planner.Result) string {
	switch n := st.Node.(type) {
	case *ast.DropTableStmt:
		names := make([]string, len(n.Tables))
		for i, t := range n.Tables {
			names[i] = t.Name.O
		}
		if len(names) == 1 {
			return "table " + names[0] + " dropped"
		}
		return "tables " + strings.Join(names, ", ") + " dropped"
	case *ast.SetStmt:
		parts := make([]string, len(n.Variables))
		for i, v := range n.Variables {
			name := strings.ToLower(v.Name)
			parts[i] = name + " = " + sh.sess.Settings[name]
		}
		return "set " + strings.Join(parts, ", ")
	}
	return res.Message
}

// start builds a prepared query and runs it in the background.
func (sh *shell) start(p *planner.Prepared) error {
	var console *consoleSink
	if p.Into == nil {
		var err error
		if console, err = newConsoleSink(sh.out, sh.format, p.Schema(), sh.maxRows); err != nil {
			return err
		}
	}
	// A reporter per query: each shows its own first bad rows.
	sh.sess.BadRow = newBadRowReporter(sh.msg).report
	q, err := p.Build(console)
	if err != nil {
		return err
	}
	if console != nil {
		console.label = fmt.Sprintf(" (query %d)", q.ID)
		q.OnBatch = func(b exec.BatchInfo) {
			if err := console.endBatch(b); err != nil {
				fmt.Fprintf(sh.msg, "query %d: %v\n", q.ID, err)
			}
		}
	}
	ctx, cancel := context.WithCancel(sh.ctx)
	sq := &shellQuery{q: q, cancel: cancel, done: make(chan struct{}), live: q.Live(), interval: q.Interval}
	if sq.interval <= 0 {
		sq.interval = time.Second
	}
	sh.mu.Lock()
	sh.queries = append(sh.queries, sq)
	sh.mu.Unlock()
	var w *watched
	if sh.mon != nil {
		w = sh.mon.watchQuery(q, p, func() {
			sh.mu.Lock()
			sq.stopped = !sq.ended
			sh.mu.Unlock()
			cancel()
		})
	}
	fmt.Fprintf(sh.msg, "query %d started\n", q.ID)
	go func() {
		err := q.Run(ctx)
		cancel()
		if w != nil {
			sh.mon.statusChanged(w)
		}
		sh.ended(sq, err)
	}()
	return nil
}

// ended records that a query's Run returned and says how it ended,
// unless whoever stopped it will.
func (sh *shell) ended(sq *shellQuery, err error) {
	sh.mu.Lock()
	sq.err, sq.ended = err, true
	stopped, waiter := sq.stopped, sq.waiter
	sh.mu.Unlock()
	// Say how it ended before anyone waiting on done (the end of a piped
	// script) can exit.
	defer close(sq.done)
	id := sq.q.ID
	switch {
	case stopped && waiter:
	case stopped:
		fmt.Fprintf(sh.msg, "query %d stopped\n", id)
	case err != nil:
		sh.failed.Store(true)
		fmt.Fprintln(sh.msg, failureText(id, err))
	default:
		m := sq.q.Metrics()
		fmt.Fprintf(sh.msg, "query %d finished (%d rows in, %d rows out%s)\n", id, m.RowsIn, m.RowsOut, lateBad(m))
	}
}

// lateBad describes a query's dropped rows, if any.
func lateBad(m exec.Metrics) string {
	var s string
	if m.LateRows > 0 {
		s += fmt.Sprintf(", %d late %s dropped", m.LateRows, plural(m.LateRows, "row", "rows"))
	}
	if m.BadRows > 0 {
		s += fmt.Sprintf(", %d bad %s skipped", m.BadRows, plural(m.BadRows, "row", "rows"))
	}
	return s
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// lookup finds a query by id.
func (sh *shell) lookup(id int) *shellQuery {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for _, sq := range sh.queries {
		if sq.q.ID == id {
			return sq
		}
	}
	return nil
}

// running returns the queries whose Run has not returned and that nobody
// has stopped, oldest first.
func (sh *shell) running() []*shellQuery {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var r []*shellQuery
	for _, sq := range sh.queries {
		if !sq.ended && !sq.stopped {
			r = append(r, sq)
		}
	}
	return r
}

// stop cancels a query and waits (a while) for it to end; note follows
// "query n stopped".
func (sh *shell) stop(sq *shellQuery, note string) {
	id := sq.q.ID
	sh.mu.Lock()
	if sq.ended || sq.stopped {
		status := sh.statusLocked(sq)
		sh.mu.Unlock()
		fmt.Fprintf(sh.msg, "query %d is not running (%s)\n", id, status)
		return
	}
	sq.stopped, sq.waiter = true, true
	sh.mu.Unlock()
	sq.cancel()
	select {
	case <-sq.done:
	case <-time.After(shellStopWait):
		sh.mu.Lock()
		ended := sq.ended
		sq.waiter = ended
		sh.mu.Unlock()
		if !ended {
			fmt.Fprintf(sh.msg, "query %d is stopping: its source has not returned yet (it will say when it stops)\n", id)
			return
		}
	}
	fmt.Fprintf(sh.msg, "query %d stopped%s\n", id, note)
}

// interrupt handles Ctrl-C on an empty line: it stops the most recently
// started query that is still running.
func (sh *shell) interrupt() {
	r := sh.running()
	if len(r) == 0 {
		fmt.Fprintln(sh.msg, "no query is running (Ctrl-D or exit leaves the shell)")
		return
	}
	sq := r[len(r)-1]
	sh.stop(sq, ": "+shorten(sq.q.SQL, shellSQLWidth))
}

// stopAll stops every running query, waiting a while for them to end.
func (sh *shell) stopAll() {
	r := sh.running()
	sh.mu.Lock()
	for _, sq := range r {
		sq.stopped, sq.waiter = true, true
	}
	sh.mu.Unlock()
	for _, sq := range r {
		sq.cancel()
	}
	deadline := time.After(shellStopWait)
	for _, sq := range r {
		select {
		case <-sq.done:
			fmt.Fprintf(sh.msg, "query %d stopped\n", sq.q.ID)
		case <-deadline:
			fmt.Fprintf(sh.msg, "query %d did not stop in time\n", sq.q.ID)
			return
		}
	}
}

// drain waits at the end of non-interactive input for the queries over
// bounded sources to finish, and stops those over live ones.
func (sh *shell) drain() {
	for _, sq := range sh.running() {
		if sq.live {
			fmt.Fprintf(sh.msg, "input ended: stopping live query %d\n", sq.q.ID)
			sh.stop(sq, "")
			continue
		}
		<-sq.done
	}
	// Queries that ended just before may still be saying so: wait for
	// every one's last word before the shell exits.
	sh.mu.Lock()
	var ended []*shellQuery
	for _, sq := range sh.queries {
		if sq.ended && !sq.stopped {
			ended = append(ended, sq)
		}
	}
	sh.mu.Unlock()
	for _, sq := range ended {
		<-sq.done
	}
}

// statusLocked is a query's status for SHOW QUERIES; sh.mu is held.
func (sh *shell) statusLocked(sq *shellQuery) string {
	switch {
	case sq.stopped && sq.ended:
		return "stopped"
	case sq.stopped:
		return "stopping"
	}
	return sq.q.Metrics().Status
}

// showQueries prints the table of SHOW QUERIES.
func (sh *shell) showQueries() error {
	cols := []string{"id", "status", "rows_in", "rows_out", "input_rate", "late", "bad", "sql"}
	sh.mu.Lock()
	rows := make([][]string, 0, len(sh.queries))
	for _, sq := range sh.queries {
		m := sq.q.Metrics()
		status := sh.statusLocked(sq)
		r := "-"
		if !sq.ended && !sq.stopped {
			r = inputRate(sq)
		}
		rows = append(rows, []string{strconv.Itoa(sq.q.ID), status,
			strconv.FormatInt(m.RowsIn, 10), strconv.FormatInt(m.RowsOut, 10), r,
			strconv.FormatInt(m.LateRows, 10), strconv.FormatInt(m.BadRows, 10),
			shorten(sq.q.SQL, shellSQLWidth)})
	}
	sh.mu.Unlock()
	if len(rows) == 0 {
		fmt.Fprintln(sh.msg, "no queries yet: a SELECT or INSERT INTO starts one")
		return nil
	}
	return printRows(sh.out, sh.format, cols, rows)
}

// inputRate is the rows per second a query read over its last few
// batches: a live batch spans the batch interval, a file's batch the time
// it took.
func inputRate(sq *shellQuery) string {
	bs := sq.q.Batches()
	if len(bs) == 0 {
		return "-"
	}
	if len(bs) > shellRateWindow {
		bs = bs[len(bs)-shellRateWindow:]
	}
	var rows int64
	var span time.Duration
	for _, b := range bs {
		rows += b.Rows
		if sq.live {
			span += sq.interval
		} else {
			span += b.Processing
		}
	}
	return rate(rows, span)
}

// shorten puts s on one line of at most n characters.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-3]) + "..."
	}
	return s
}
