// Package livetest has test helpers for live sources: a spec with a
// checked allocator, a log recorder, and a loop that polls Next until
// enough rows arrive or a deadline passes.
package livetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
)

// Env is what a test gives a source and what it records.
type Env struct {
	// Mem is the spec's allocator; Check asserts it ends empty.
	Mem *memory.CheckedAllocator
	// Bad collects the bad rows reported (by Next, on the test goroutine).
	Bad []connectors.BadRow
	// Log records the source's log messages.
	Log *Recorder
}

// NewEnv returns an Env; at the end of the test it checks that every byte
// allocated through Mem was freed (close the source before that).
func NewEnv(t testing.TB) *Env {
	e := &Env{Mem: memory.NewCheckedAllocator(memory.NewGoAllocator()), Log: &Recorder{}}
	t.Cleanup(func() { e.Mem.AssertSize(t, 0) })
	return e
}

// Spec returns a source spec for table "t" with the Env's allocator, bad
// row collector and logger.
func (e *Env) Spec(schema *arrow.Schema, opts map[string]string) connectors.SourceSpec {
	return connectors.SourceSpec{
		Table: "t", Schema: schema, Options: opts, Alloc: e.Mem,
		BadRow: func(b connectors.BadRow) error { e.Bad = append(e.Bad, b); return nil },
		Log:    slog.New(e.Log),
	}
}

// Poll calls Next until want rows have arrived (all returned, rendered by
// Render), the source returns an error other than ErrNoData, or timeout
// passes; it fails the test on an error or a timeout.
func Poll(t testing.TB, src connectors.Source, want int, maxRows int, timeout time.Duration) []string {
	t.Helper()
	var rows []string
	deadline := time.Now().Add(timeout)
	for len(rows) < want {
		b, err := src.Next(context.Background(), maxRows)
		if errors.Is(err, connectors.ErrNoData) {
			if time.Now().After(deadline) {
				t.Fatalf("after %v: %d rows of %d; last: %q", timeout, len(rows), want, tail(rows))
			}
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v (after %d rows)", err, len(rows))
		}
		if b.NumRows() < 1 || b.NumRows() > int64(maxRows) {
			t.Fatalf("batch of %d rows, maxRows %d", b.NumRows(), maxRows)
		}
		if !b.Schema().Equal(src.Schema()) {
			t.Fatalf("batch schema %v, want %v", b.Schema(), src.Schema())
		}
		rows = append(rows, Render(b)...)
		b.Release()
	}
	if len(rows) > want {
		t.Fatalf("%d rows, want %d; last: %q", len(rows), want, tail(rows))
	}
	return rows
}

func tail(rows []string) []string {
	return rows[max(0, len(rows)-5):]
}

// Render renders a batch's rows as "v1|v2", NULL as NULL.
func Render(b arrow.RecordBatch) []string {
	rows := make([]string, b.NumRows())
	var sb strings.Builder
	for r := range rows {
		sb.Reset()
		for c := 0; c < int(b.NumCols()); c++ {
			if c > 0 {
				sb.WriteByte('|')
			}
			col := b.Column(c)
			if col.IsNull(r) {
				sb.WriteString("NULL")
				continue
			}
			switch a := col.(type) {
			case *array.Int64:
				sb.WriteString(strconv.FormatInt(a.Value(r), 10))
			case *array.Float64:
				sb.WriteString(strconv.FormatFloat(a.Value(r), 'g', -1, 64))
			case *array.String:
				sb.WriteString(a.Value(r))
			case *array.Boolean:
				sb.WriteString(strconv.FormatBool(a.Value(r)))
			case *array.Timestamp:
				sb.WriteString(format.FormatTimestamp(int64(a.Value(r))))
			default:
				fmt.Fprintf(&sb, "%v", a.GetOneForMarshal(r))
			}
		}
		rows[r] = sb.String()
	}
	return rows
}

// Recorder is a slog.Handler that keeps every record's level, message
// and attributes as one line: "WARN msg k=v ...". It is safe for
// concurrent use.
type Recorder struct {
	mu    sync.Mutex
	lines []string
}

// Enabled reports true for every level.
func (r *Recorder) Enabled(context.Context, slog.Level) bool { return true }

// Handle records rec.
func (r *Recorder) Handle(_ context.Context, rec slog.Record) error {
	var sb strings.Builder
	h := slog.NewTextHandler(&sb, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	_ = h.Handle(context.Background(), rec)
	r.mu.Lock()
	r.lines = append(r.lines, strings.TrimSpace(sb.String()))
	r.mu.Unlock()
	return nil
}

// WithAttrs is not supported beyond returning r.
func (r *Recorder) WithAttrs([]slog.Attr) slog.Handler { return r }

// WithGroup is not supported beyond returning r.
func (r *Recorder) WithGroup(string) slog.Handler { return r }

// Lines returns the records so far.
func (r *Recorder) Lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// Count is how many records contain substr.
func (r *Recorder) Count(substr string) int {
	n := 0
	for _, l := range r.Lines() {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

// WaitFor waits until a record containing substr has been logged n times,
// failing the test after timeout.
func (r *Recorder) WaitFor(t testing.TB, substr string, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for r.Count(substr) < n {
		if time.Now().After(deadline) {
			t.Fatalf("after %v, %q logged %d times, want %d; log:\n%s", timeout, substr, r.Count(substr), n, strings.Join(r.Lines(), "\n"))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Discard is a logger that drops everything.
var Discard = slog.New(slog.NewTextHandler(io.Discard, nil))
