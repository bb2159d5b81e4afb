package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"
	"github.com/weirdb/weir/exec"
)

// statusLine keeps a one-line live status of the running queries at the
// bottom of a terminal (on stderr), and erases it around other output.
type statusLine struct {
	mu      sync.Mutex
	w       io.Writer
	enabled bool
	text    map[int]string
	shown   bool
	drawn   time.Time
	// width is the terminal's width in columns, asked at every draw (the
	// window may have been resized); 0 when unknown.
	width func() int
}

func newStatusLine(w io.Writer, enabled bool) *statusLine {
	return &statusLine{w: w, enabled: enabled, text: map[int]string{}, width: terminalWidth(w)}
}

// terminalWidth returns a function that reports w's terminal width, or 0.
func terminalWidth(w io.Writer) func() int {
	f, ok := w.(*os.File)
	return func() int {
		if !ok {
			return 0
		}
		_, cols, err := pty.Getsize(f)
		if err != nil {
			return 0
		}
		return cols
	}
}

// fit cuts line to fewer than width columns, so that it never wraps (a
// wrapped line cannot be erased with \r and leaves fragments behind).
func fit(line string, width int) string {
	if width <= 1 {
		return line
	}
	n := 0
	for i := range line {
		if n == width-1 {
			return line[:i]
		}
		n++
	}
	return line
}

// update sets query id's status and redraws, at most ten times a second.
func (s *statusLine) update(id int, text string) {
	if s == nil || !s.enabled {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.text[id] = text
	if time.Since(s.drawn) < 100*time.Millisecond {
		return
	}
	s.drawLocked()
}

func (s *statusLine) drawLocked() {
	ids := make([]int, 0, len(s.text))
	for id := range s.text {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = s.text[id]
	}
	line := fit(strings.Join(parts, " | "), s.width())
	fmt.Fprintf(s.w, "\r\x1b[K%s", line)
	s.shown, s.drawn = line != "", time.Now()
}

// clear erases the line; the caller then writes and calls restore.
func (s *statusLine) clear() {
	if s == nil || !s.enabled {
		return
	}
	s.mu.Lock()
	if s.shown {
		fmt.Fprint(s.w, "\r\x1b[K")
	}
}

// restore redraws the line after clear.
func (s *statusLine) restore() {
	if s == nil || !s.enabled {
		return
	}
	if s.shown {
		s.drawLocked()
	}
	s.mu.Unlock()
}

// done erases the line for good.
func (s *statusLine) done() {
	if s == nil || !s.enabled {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown {
		fmt.Fprint(s.w, "\r\x1b[K")
	}
	s.enabled = false
}

// statusText summarises a query after a batch.
// span is the time the batch's rows took to arrive: the batch interval
// for a live source, the processing time for a file read back to back.
func statusText(q *exec.Query, b exec.BatchInfo, span time.Duration) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "q%d batch %d: %s rows (%s)", q.ID, b.Seq, humanCount(float64(b.Rows)), rate(b.Rows, span))
	fmt.Fprintf(&sb, ", proc %s, sched delay %s", round(b.Processing), round(b.SchedulingDelay))
	if b.Watermark != exec.MinWatermark && b.Watermark != exec.MaxWatermark {
		fmt.Fprintf(&sb, ", wm %s", time.UnixMilli(b.Watermark).UTC().Format("15:04:05"))
	}
	fmt.Fprintf(&sb, ", late %d, bad %d, state %s", b.LateRows, b.BadRows, stateText(b))
	return sb.String()
}

// stateText sizes a batch's state: "12 keys/3 panes/1.5 KiB", per
// stateful operator when there are several.
func stateText(b exec.BatchInfo) string {
	if len(b.State) <= 1 {
		return fmt.Sprintf("%d keys/%d panes/%s", b.StateKeys, b.StatePanes, exec.FormatBytes(b.StateBytes))
	}
	parts := make([]string, len(b.State))
	for i, o := range b.State {
		parts[i] = fmt.Sprintf("op%d %d keys/%d panes/%s", i+1, o.Keys, o.Panes, exec.FormatBytes(o.Bytes))
	}
	return strings.Join(parts, "; ")
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// batchSummary describes a live query's recent batches for its exit line.
func batchSummary(bs []exec.BatchInfo) string {
	var rows int64
	for _, b := range bs {
		rows += b.Rows
	}
	proc := func(b exec.BatchInfo) time.Duration { return b.Processing }
	sched := func(b exec.BatchInfo) time.Duration { return b.SchedulingDelay }
	return fmt.Sprintf("last %d batches: %s rows; processing p50 %s p99 %s; scheduling delay p50 %s p99 %s",
		len(bs), humanCount(float64(rows)),
		round(exec.Percentile(bs, 50, proc)), round(exec.Percentile(bs, 99, proc)),
		round(exec.Percentile(bs, 50, sched)), round(exec.Percentile(bs, 99, sched)))
}

// failureText is the message for query id's error: "query N failed: ...",
// without a second "query N: " from the error itself, followed by the
// stack when the query panicked (an internal error: the stack is for the
// bug report).
func failureText(id int, err error) string {
	msg := strings.TrimPrefix(err.Error(), fmt.Sprintf("query %d: ", id))
	text := fmt.Sprintf("query %d failed: %s", id, msg)
	var pe *exec.PanicError
	if errors.As(err, &pe) && len(pe.Stack) > 0 {
		text += "\n" + strings.TrimRight(string(pe.Stack), "\n")
	}
	return text
}
