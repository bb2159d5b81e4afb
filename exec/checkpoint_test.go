package exec

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// checkpointedQuery is a small bounded query that checkpoints into dir.
func checkpointedQuery(t *testing.T, dir string, sink *memSink) *Query {
	t.Helper()
	mem := winTestMem(t)
	s := winTestSchema("ts:ts", "v:int")
	src := &sliceSource{mem: mem, schema: s, rows: [][]any{{int64(1), int64(1)}, {int64(2), int64(2)}}}
	return &Query{Input: Input{Table: "t", Source: src, TimeCol: -1}, Pipeline: Pipeline{NewLimit(s, 10)}, Sink: sink,
		Checkpoint: &Checkpointing{Dir: dir, Fingerprint: "f"}}
}

func releaseSink(m *memSink) {
	for _, b := range m.batches {
		b.Release()
	}
}

// TestCheckpointRemovesTempLeftovers: the temporary directories of
// checkpoints a killed process was writing are removed when a query
// starts; complete checkpoints stay.
func TestCheckpointRemovesTempLeftovers(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{".tmp-chk-123", ".tmp-chk-456/sub"} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ".tmp-chk-123", "op-0.snap"), []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	defer releaseSink(sink)
	if err := checkpointedQuery(t, dir, sink).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "chk-000000000001" {
		t.Errorf("checkpoint directory holds %q, want only chk-000000000001", got)
	}
}

// TestResumedAtEnd: a query restarted on the checkpoint of a finished
// run says so and reads nothing; a fresh one does not.
func TestResumedAtEnd(t *testing.T) {
	dir := t.TempDir()
	first := &memSink{}
	defer releaseSink(first)
	q := checkpointedQuery(t, dir, first)
	if err := q.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if q.ResumedAtEnd() || q.Metrics().RowsIn != 2 {
		t.Fatalf("first run: ResumedAtEnd %v, rows in %d", q.ResumedAtEnd(), q.Metrics().RowsIn)
	}
	again := &memSink{}
	defer releaseSink(again)
	q = checkpointedQuery(t, dir, again)
	if err := q.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !q.ResumedAtEnd() || len(again.batches) != 0 || !again.closed || q.Metrics().Status != "finished" {
		t.Errorf("second run: ResumedAtEnd %v, %d batches written, closed %v, status %q",
			q.ResumedAtEnd(), len(again.batches), again.closed, q.Metrics().Status)
	}
}

// completingSink is a checkpointing sink that records, in order, its
// checkpoints and the completions the query tells it of.
type completingSink struct {
	memSink
	events []string
}

func (c *completingSink) Checkpoint() ([]byte, error) {
	c.events = append(c.events, fmt.Sprintf("checkpoint %d", len(c.batches)))
	return []byte(fmt.Sprintf("s%d", len(c.batches))), nil
}
func (c *completingSink) Restore([]byte) error { return nil }
func (c *completingSink) CheckpointComplete(st []byte) error {
	c.events = append(c.events, "complete "+string(st))
	return nil
}

// completingSource is a slice source with a position that records the
// completions it is told of.
type completingSource struct {
	sliceSource
	mu       sync.Mutex
	complete []string
}

func (c *completingSource) Position() ([]byte, error) {
	return []byte(fmt.Sprint("left ", len(c.rows))), nil
}
func (c *completingSource) Seek([]byte) error { return nil }
func (c *completingSource) CheckpointComplete(pos []byte) error {
	c.mu.Lock()
	c.complete = append(c.complete, string(pos))
	c.mu.Unlock()
	return nil
}

// TestCheckpointComplete: a Completer sink is told of each checkpoint
// once it is durable (after its Checkpoint, with the state it returned,
// and with the checkpoint on disk), and so is a Completer source, with
// the position saved; at every parallelism.
func TestCheckpointComplete(t *testing.T) {
	for _, par := range []int{1, 2} {
		t.Run(fmt.Sprint(par), func(t *testing.T) {
			dir := t.TempDir()
			mem := winTestMem(t)
			s := winTestSchema("ts:ts", "v:int")
			src := &completingSource{sliceSource: sliceSource{mem: mem, schema: s, rows: [][]any{{int64(1), int64(1)}, {int64(2), int64(2)}}}}
			sink := &completingSink{}
			defer releaseSink(&sink.memSink)
			q := &Query{Input: Input{Table: "t", Source: src, TimeCol: -1}, Pipeline: Pipeline{NewLimit(s, 10)}, Sink: sink,
				Checkpoint: &Checkpointing{Dir: dir, Fingerprint: "f"}, Parallelism: par}
			if err := q.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(sink.events, ", "), "checkpoint 1, complete s1"; got != want {
				t.Errorf("sink saw %q, want %q", got, want)
			}
			if got := strings.Join(src.complete, ","); got != "left 0" {
				t.Errorf("source was told of positions %q, want \"left 0\"", got)
			}
		})
	}
}

// abortingSink records whether it was aborted.
type abortingSink struct {
	completingSink
	aborted bool
}

func (a *abortingSink) Abort() { a.aborted = true }

// TestAbandon: a query abandoned and then cancelled writes no last
// checkpoint and aborts its sink; one only cancelled checkpoints.
func TestAbandon(t *testing.T) {
	for _, abandon := range []bool{false, true} {
		dir := t.TempDir()
		mem := winTestMem(t)
		s := winTestSchema("ts:ts", "v:int")
		sink := &abortingSink{}
		defer releaseSink(&sink.memSink)
		q := &Query{Input: Input{Table: "t", Source: &sliceSource{mem: mem, schema: s, rows: [][]any{{int64(1), int64(1)}}}, TimeCol: -1},
			Pipeline: Pipeline{NewLimit(s, 10)}, Sink: sink, Checkpoint: &Checkpointing{Dir: dir, Fingerprint: "f"}}
		ctx, cancel := context.WithCancel(context.Background())
		if abandon {
			q.Abandon()
		}
		cancel()
		if err := q.Run(ctx); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(dir)
		if got, want := len(entries), map[bool]int{false: 1, true: 0}[abandon]; got != want || sink.aborted != abandon {
			t.Errorf("abandon %v: %d checkpoints, sink aborted %v", abandon, got, sink.aborted)
		}
	}
}
