package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
)

// benchScript is the SQL of a workload's engine run. A socket run windows
// the word count by processing time, one window per batch interval.
func (b *benchRunner) benchScript(src string, port int) string {
	var ddl string
	if src == "file" {
		ddl = fmt.Sprintf("CREATE TABLE t (line VARCHAR) WITH (connector='file', path=%s, format='text')", sqlString(b.path))
	} else {
		opts := ""
		if b.f.socketBuffer != "" {
			opts = ", buffer_bytes=" + sqlString(b.f.socketBuffer)
		}
		ddl = fmt.Sprintf("CREATE TABLE t (line VARCHAR) WITH (connector='socket', host='127.0.0.1', port='%d', format='text'%s)", port, opts)
	}
	var query string
	if b.workload == "grep" {
		query = "SELECT line FROM t WHERE line LIKE " + sqlString("%"+b.f.pattern+"%")
	} else {
		query = "SELECT word, COUNT(*) AS n FROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM t) AS w GROUP BY word"
		if src == "socket" {
			query += fmt.Sprintf(", TUMBLE(PROCTIME(), INTERVAL '%d' MILLISECOND)", b.f.batchInterval.Milliseconds())
		}
	}
	return ddl + ";\n" + query + ";\n"
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// engine runs the workload's SQL with the real engine, in-process, as
// `weir run --format jsonl` would, its output going to a resultCounter
// that checks it; src is file or socket. profile, if not empty, receives
// a CPU profile of the run.
func (b *benchRunner) engine(ctx context.Context, src, profile string) (benchRun, error) {
	var ln net.Listener
	port := 0
	if src == "socket" {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return benchRun{}, err
		}
		defer ln.Close()
		port = ln.Addr().(*net.TCPAddr).Port
	}
	script := b.benchScript(src, port)

	res := newResultCounter(b.workload == "wordcount")
	if b.workload == "grep" {
		res.target = b.grep.Matches
	} else {
		res.target = b.gen.Words
	}
	sess := planner.NewSession(registry())
	var badRows atomic.Int64
	sess.BadRow = func(connectors.BadRow) error { badRows.Add(1); return nil }
	sess.Log = slog.New(slog.DiscardHandler) // reconnect notices after the feeder hangs up
	sess.Settings["batch_interval"] = fmt.Sprintf("%dms", b.f.batchInterval.Milliseconds())
	j, err := plan(sess, script, res, "jsonl", 0)
	if err != nil {
		return benchRun{}, fmt.Errorf("%w\n%s", err, script)
	}
	if len(j.queries) != 1 {
		j.close()
		return benchRun{}, fmt.Errorf("want one query, planned %d", len(j.queries))
	}
	q := j.queries[0]

	b.prog.phase(fmt.Sprintf("%s: weir %s", b.workload, src), b.engineProgress(q, res), b.gen.Lines)
	var pf *os.File
	if profile != "" {
		if pf, err = os.Create(profile); err != nil {
			j.close()
			return benchRun{}, err
		}
	}
	m := startMeter()
	if pf != nil {
		if err := pprof.StartCPUProfile(pf); err != nil {
			m.stop()
			pf.Close()
			j.close()
			return benchRun{}, err
		}
	}
	stopProfile := func() {
		if pf != nil {
			pprof.StopCPUProfile()
			pf.Close()
			pf = nil
		}
	}
	defer stopProfile()

	var meas measurement
	var runErr error
	if src == "file" {
		m.mark()
		runErr = q.Run(ctx)
		meas = m.stop()
		stopProfile()
	} else {
		meas, runErr = b.socketRun(ctx, q, ln, res, m)
		stopProfile()
	}
	if runErr != nil {
		return benchRun{}, runErr
	}

	r := meas.run("weir "+src, src, b.gen)
	r.Engine = true
	r.ProfileFile = profile
	bs := q.Batches()
	if src == "socket" { // leave out the idle batches before and after the data
		kept := bs[:0]
		for _, bi := range bs {
			if bi.Rows > 0 {
				kept = append(kept, bi)
			}
		}
		bs = kept
	}
	r.Batches = len(bs)
	proc := func(bi exec.BatchInfo) time.Duration { return bi.Processing }
	p50 := float64(exec.Percentile(bs, 50, proc)) / 1e6
	p99 := float64(exec.Percentile(bs, 99, proc)) / 1e6
	r.BatchP50Ms, r.BatchP99Ms = &p50, &p99
	r.Check = b.checkResult(res, badRows.Load())
	return r, nil
}

// engineProgress estimates the lines an engine run has done, for the
// progress line: from the file offset the source has reached, or else
// from the rows the query has read or the share of the result counted,
// whichever is more (a source may drop rows before the query counts them:
// the file source searches for a LIKE '%text%' itself).
func (b *benchRunner) engineProgress(q *exec.Query, res *resultCounter) func() int64 {
	if o, ok := q.Inputs()[0].Source.(interface{ Offset() int64 }); ok && b.gen.Bytes > 0 {
		return func() int64 { return int64(float64(o.Offset()) / float64(b.gen.Bytes) * float64(b.gen.Lines)) }
	}
	return func() int64 {
		done := q.Metrics().RowsIn
		if res.target > 0 {
			done = max(done, int64(float64(res.progress())/float64(res.target)*float64(b.gen.Lines)))
		}
		return done
	}
}

// socketRun runs a socket query: it accepts the source's connection,
// writes the file to it at full speed and closes it, and stops the query
// when the result is complete, or when it stops growing for long after the
// whole file was sent. The time counts from the first byte written to the
// last row counted.
func (b *benchRunner) socketRun(ctx context.Context, q *exec.Query, ln net.Listener, res *resultCounter, m *meter) (measurement, error) {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runDone := make(chan error, 1)
	go func() { runDone <- q.Run(ctx) }()
	// stopQuery cancels the query and waits for it; being cancelled is no
	// error then, unless the benchmark itself was.
	stopQuery := func() error {
		cancel()
		err := <-runDone
		if errors.Is(err, context.Canceled) && parent.Err() == nil {
			return nil
		}
		return err
	}

	type accepted struct {
		c   net.Conn
		err error
	}
	acc := make(chan accepted, 1)
	go func() { c, err := ln.Accept(); acc <- accepted{c, err} }()
	var conn net.Conn
	select {
	case a := <-acc:
		if a.err != nil {
			stopQuery()
			return measurement{}, a.err
		}
		conn = a.c
	case err := <-runDone:
		if err == nil {
			err = errors.New("query ended before connecting")
		}
		return measurement{}, err
	case <-time.After(30 * time.Second):
		stopQuery()
		return measurement{}, errors.New("the socket source did not connect within 30s")
	}
	ln.Close() // the source reconnects when the feeder hangs up: refuse it

	in, err := os.Open(b.path)
	if err != nil {
		conn.Close()
		stopQuery()
		return measurement{}, err
	}
	defer in.Close()
	fed := make(chan error, 1)
	m.mark()
	go func() {
		_, err := io.Copy(conn, in)
		if cerr := conn.Close(); err == nil {
			err = cerr
		}
		fed <- err
	}()

	// Wait for the result, the query's end, or a stall.
	stall := max(10*time.Second, 20*b.f.batchInterval)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var fedAt time.Time
	last, lastAt := int64(-1), time.Now()
	for {
		select {
		case <-res.done:
			meas := m.stopAt(res.doneAt)
			return meas, stopQuery()
		case err := <-fed:
			if err != nil {
				stopQuery()
				return measurement{}, fmt.Errorf("feeding the socket: %w", err)
			}
			fedAt = time.Now()
		case err := <-runDone:
			m.stop()
			if err == nil {
				err = errors.New("the query stopped before its result was complete")
			}
			return measurement{}, err
		case <-ctx.Done():
			m.stop()
			return measurement{}, errors.Join(ctx.Err(), stopQuery())
		case now := <-tick.C:
			if p := res.progress(); p != last {
				last, lastAt = p, now
			} else if !fedAt.IsZero() && now.Sub(lastAt) > stall {
				// Incomplete: the check reports what is missing.
				meas := m.stopAt(lastAt)
				return meas, stopQuery()
			}
		}
	}
}

// checkResult compares an engine run's output with the Go baseline's.
func (b *benchRunner) checkResult(res *resultCounter, badRows int64) benchCheck {
	res.mu.Lock()
	defer res.mu.Unlock()
	c := benchCheck{Rows: res.rows.Load()}
	var problems []string
	if badRows > 0 {
		problems = append(problems, fmt.Sprintf("%d bad rows", badRows))
	}
	if res.parseErr != nil {
		problems = append(problems, res.parseErr.Error())
	}
	if b.workload == "grep" {
		if c.Rows != b.grep.Matches {
			problems = append(problems, fmt.Sprintf("%d rows, want %d matching lines", c.Rows, b.grep.Matches))
		}
	} else {
		c.Words, c.Distinct = res.sum.Load(), int64(len(res.counts))
		if c.Words != b.gen.Words {
			problems = append(problems, fmt.Sprintf("counts sum to %d, want %d words", c.Words, b.gen.Words))
		}
		if c.Distinct != int64(len(b.wc.Counts)) {
			problems = append(problems, fmt.Sprintf("%d distinct words, want %d", c.Distinct, len(b.wc.Counts)))
		}
		wrong := 0
		example := ""
		for w, n := range b.wc.Counts {
			if got := res.counts[w]; got != n {
				if wrong == 0 {
					example = fmt.Sprintf(" (%q: %d, want %d)", w, got, n)
				}
				wrong++
			}
		}
		if wrong > 0 {
			problems = append(problems, fmt.Sprintf("%d words with a wrong count%s", wrong, example))
		}
	}
	c.OK = len(problems) == 0
	c.Detail = strings.Join(problems, "; ")
	return c
}

// resultCounter is the output of an engine run: it takes the JSON lines
// the console sink writes, and throws them away after counting them
// (grep) or adding up each word's count (wordcount, which may see the
// same word in several windows). It signals done when the rows (grep) or
// the sum of the counts (wordcount) reach target.
type resultCounter struct {
	wordcount bool
	target    int64
	rows, sum atomic.Int64

	mu       sync.Mutex
	rest     []byte
	counts   map[string]int64
	parseErr error

	once   sync.Once
	done   chan struct{}
	doneAt time.Time
}

func newResultCounter(wordcount bool) *resultCounter {
	return &resultCounter{wordcount: wordcount, counts: map[string]int64{}, done: make(chan struct{})}
}

// progress is the rows (grep) or words (wordcount) counted so far.
func (r *resultCounter) progress() int64 {
	if r.wordcount {
		return r.sum.Load()
	}
	return r.rows.Load()
}

// Write implements io.Writer.
func (r *resultCounter) Write(p []byte) (int, error) {
	if !r.wordcount {
		if r.rows.Add(int64(bytes.Count(p, newlineBytes))) >= r.target {
			r.finish()
		}
		return len(p), nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	data := p
	if len(r.rest) > 0 {
		r.rest = append(r.rest, p...)
		data = r.rest
	}
	var rows, sum int64
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		n, err := r.addCount(data[:i])
		if err != nil && r.parseErr == nil {
			r.parseErr = err
		}
		rows++
		sum += n
		data = data[i+1:]
	}
	r.rest = append(r.rest[:0], data...)
	r.rows.Add(rows)
	if r.sum.Add(sum) >= r.target {
		r.finish()
	}
	return len(p), nil
}

var newlineBytes = []byte{'\n'}

// addCount adds one {"word":"...","n":N} line to the counts.
func (r *resultCounter) addCount(line []byte) (int64, error) {
	const pre, mid = `{"word":"`, `","n":`
	if bytes.HasPrefix(line, []byte(pre)) && bytes.HasSuffix(line, []byte("}")) {
		if i := bytes.LastIndex(line, []byte(mid)); i >= len(pre) {
			word := line[len(pre):i]
			n, err := strconv.ParseInt(string(line[i+len(mid):len(line)-1]), 10, 64)
			if err == nil && bytes.IndexByte(word, '\\') < 0 {
				r.counts[string(word)] += n
				return n, nil
			}
		}
	}
	var v struct {
		Word *string
		N    int64
	}
	if err := json.Unmarshal(line, &v); err != nil || v.Word == nil {
		return 0, fmt.Errorf("unexpected output line %q", line)
	}
	r.counts[*v.Word] += v.N
	return v.N, nil
}

func (r *resultCounter) finish() {
	r.once.Do(func() {
		r.doneAt = time.Now()
		close(r.done)
	})
}
