package postgres

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirdb/weir/connectors/postgres/pgtest"
	"github.com/weirdb/weir/vector"
)

// crashRun drives checkpointed sinks the way the engine does, with the
// rows of "batch" i being {w<i>, i}: it keeps the engine's last durable
// checkpoint state and what has been replayed.
type crashRun struct {
	t     *testing.T
	dsn   string
	dir   string
	key   []string
	s     *Sink
	state []byte // the state of the last checkpoint the engine made durable
}

func (c *crashRun) open() {
	c.s = mustSink(c.t, c.dsn, "counts", wordSchema, c.key, c.dir)
	if c.state != nil {
		if err := c.s.Restore(c.state); err != nil {
			c.t.Fatal(err)
		}
	}
}

func (c *crashRun) write(i int) {
	c.t.Helper()
	if err := c.s.Write(batch(c.t, wordSchema, []any{fmt.Sprintf("w%d", i), i})); err != nil {
		c.t.Fatal(err)
	}
	if err := c.s.Commit(int64(i)); err != nil {
		c.t.Fatal(err)
	}
}

// checkpoint takes a checkpoint; durable says whether the engine's
// checkpoint got written (else the process died before).
func (c *crashRun) checkpoint(durable bool) []byte {
	c.t.Helper()
	st, err := c.s.Checkpoint()
	if err != nil {
		c.t.Fatal(err)
	}
	if durable {
		c.state = st
	}
	return st
}

func (c *crashRun) complete(st []byte) {
	c.t.Helper()
	if err := c.s.CheckpointComplete(st); err != nil {
		c.t.Fatal(err)
	}
}

// crash drops the sink without Close, as SIGKILL would: its connection is
// cut, its files stay as they are.
func (c *crashRun) crash() {
	c.s.conn.PgConn().Conn().Close()
	c.s = nil
}

// TestCrashAtEachStep: a checkpointed sink killed after a Write, after a
// Checkpoint (durable in the engine or not), or after a
// CheckpointComplete, then restored from the engine's last checkpoint and
// fed the rows replayed since, leaves the table with every row once and
// the progress row at the last checkpoint, with and without a key.
func TestCrashAtEachStep(t *testing.T) {
	for _, keyed := range []bool{false, true} {
		for _, step := range []string{"write", "checkpoint-lost", "checkpoint", "complete"} {
			t.Run(fmt.Sprintf("%s/key=%v", step, keyed), func(t *testing.T) {
				dsn := pgtest.Start(t)
				conn := connect(t, dsn)
				c := &crashRun{t: t, dsn: dsn, dir: t.TempDir()}
				if keyed {
					c.key = []string{"word"}
				}
				c.open()
				if g := c.s.Guarantee(); g != "exactly once" {
					t.Errorf("Guarantee() = %q", g)
				}
				c.write(1)
				c.write(2)
				c.complete(c.checkpoint(true))
				wantRows(t, conn, "SELECT word, n FROM counts", "w1|1", "w2|2")
				c.write(3) // after checkpoint 1: replayed after the crash
				var replay []int
				switch step {
				case "write":
					replay = []int{3}
				case "checkpoint-lost": // the engine died before its checkpoint was durable
					c.checkpoint(false)
					replay = []int{3}
				case "checkpoint": // durable, but not yet in the table
					c.checkpoint(true)
				case "complete":
					c.complete(c.checkpoint(true))
				}
				c.crash()
				if step == "checkpoint" {
					wantRows(t, conn, "SELECT word, n FROM counts", "w1|1", "w2|2")
				}
				c.open()
				for _, i := range replay {
					c.write(i)
				}
				c.write(4)
				c.complete(c.checkpoint(true))
				c.s.Close()
				wantRows(t, conn, "SELECT word, n FROM counts", "w1|1", "w2|2", "w3|3", "w4|4")
				n := 3
				if len(replay) > 0 {
					n = 2
				}
				wantRows(t, conn, "SELECT sink, epoch FROM weir_sink_progress", fmt.Sprintf("q1/counts|%d", n))
				if left, _ := filepath.Glob(filepath.Join(c.dir, "spill-*")); len(left) != 0 {
					t.Errorf("spill files left: %v", left)
				}
			})
		}
	}
}

// TestRestoreRemovesLaterSpills: a spill file of rows written after the
// restored checkpoint is removed, not written.
func TestRestoreRemovesLaterSpills(t *testing.T) {
	dsn := pgtest.Start(t)
	conn := connect(t, dsn)
	c := &crashRun{t: t, dsn: dsn, dir: t.TempDir()}
	c.open()
	c.write(1)
	c.complete(c.checkpoint(true))
	c.write(2)
	c.checkpoint(false)
	c.write(3) // a spill file of checkpoint 3 in the making
	c.s.spill.buf.Flush()
	c.crash()
	if left, _ := filepath.Glob(filepath.Join(c.dir, "spill-*")); len(left) != 2 {
		t.Fatalf("spill files before the restart: %v, want 2", left)
	}
	c.open()
	if left, _ := filepath.Glob(filepath.Join(c.dir, "spill-*")); len(left) != 0 {
		t.Errorf("spill files after Restore: %v", left)
	}
	c.s.Close()
	wantRows(t, conn, "SELECT word, n FROM counts", "w1|1")
}

// TestFreshRunCountsOn: a sink that starts without a checkpoint (a new
// checkpoint directory, --reset) numbers its checkpoints after the
// progress row, so they are written, not taken for done; one that starts
// without one after a crash before its first checkpoint removes the spill
// files left behind.
func TestFreshRunCountsOn(t *testing.T) {
	dsn := pgtest.Start(t)
	conn := connect(t, dsn)
	c := &crashRun{t: t, dsn: dsn, dir: t.TempDir()}
	c.open()
	c.write(1)
	c.complete(c.checkpoint(true))
	c.write(2)
	c.complete(c.checkpoint(true))
	c.write(9)
	c.s.spill.buf.Flush()
	c.crash()
	c.state = nil
	c.open()
	c.write(3)
	st := c.checkpoint(true)
	if !strings.Contains(string(st), `"n":3`) {
		t.Errorf("first checkpoint of a fresh run: %s, want n 3", st)
	}
	c.complete(st)
	c.s.Close()
	wantRows(t, conn, "SELECT word, n FROM counts", "w1|1", "w2|2", "w3|3")
	wantRows(t, conn, "SELECT epoch FROM weir_sink_progress", "3")
}

// TestCheckpointChangelog: an updating result goes through the spill file
// with its row kinds; an empty checkpoint writes nothing; the progress row
// lives beside a schema-qualified table and progress_key names it.
func TestCheckpointChangelog(t *testing.T) {
	dsn := pgtest.Start(t)
	conn := connect(t, dsn)
	exec1(t, conn, "CREATE SCHEMA out")
	cl := vector.WithOpColumn(wordSchema)
	dir := t.TempDir()
	s := mustSink(t, dsn, "counts", cl, []string{"word"}, dir, "table", "out.counts", "progress_key", "p/7")
	for _, rows := range [][][]any{
		{{"a", 1, "+I"}, {"b", 1, "+I"}},
		{{"a", 1, "-U"}, {"a", 2, "+U"}, {"b", 1, "-D"}},
	} {
		if err := s.Write(batch(t, cl, rows...)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := s.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckpointComplete(st); err != nil {
		t.Fatal(err)
	}
	wantRows(t, conn, "SELECT word, n FROM out.counts", "a|2")
	if st, err = s.Checkpoint(); err != nil || string(st) != `{"n":2}` {
		t.Errorf("empty checkpoint: %s, %v", st, err)
	}
	if err := s.CheckpointComplete(st); err != nil {
		t.Fatal(err)
	}
	s.Close()
	wantRows(t, conn, "SELECT sink, epoch FROM out.weir_sink_progress", "p/7|1")
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("state directory not empty: %v", entries)
	}
}
