package kafka

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// The points at which sinkCrashRun can crash the sink: after a batch's
// Write and Commit; after Checkpoint returned but before its checkpoint
// was durable; after it was durable but before CheckpointComplete; in
// CheckpointComplete's transaction before it is committed, and after it
// was committed before the spill file is deleted; after
// CheckpointComplete.
var sinkCrashPoints = []string{"after-write", "after-checkpoint", "after-durable", "before-end", "after-end", "after-complete"}

// sinkCrashBatch is input batch i of sinkCrashRun: three words.
func sinkCrashBatch(i int) arrow.RecordBatch {
	return countsBatch([]string{fmt.Sprintf("w%d-0", i), fmt.Sprintf("w%d-1", i), fmt.Sprintf("w%d-2", i)}, []int64{int64(i), int64(i), int64(i)})
}

// sinkCrashWant is what a read_committed consumer must see after
// sinkCrashRun of n batches: each row once.
func sinkCrashWant(n int) string {
	var rs []sinkTestRecord
	for i := range n {
		for j := range 3 {
			w := fmt.Sprintf("w%d-%d", i, j)
			rs = append(rs, sinkTestRecord{w, fmt.Sprintf(`{"word":"%s","n":%d}`, w, i)})
		}
	}
	return sinkSortedRecords(rs)
}

// sinkCrashRun plays the engine over n input batches, checkpointing every
// `every` batches: it writes them to a checkpointed sink, and whenever
// crash says so at one of sinkCrashPoints it drops the sink as a killed
// process would, opens a new one, restores the last durable checkpoint's
// state and replays the input from that checkpoint's position. It returns
// how many times it crashed.
func sinkCrashRun(t *testing.T, opts map[string]string, dir string, n, every int, crash func(point string) bool) int {
	t.Helper()
	var durable []byte // the last durable checkpoint's sink state
	pos := 0           // and its input position
	crashes := 0
	for run := 0; ; run++ {
		if run > 1000 {
			t.Fatal("no progress")
		}
		s := openTestSink(t, wordCounts, opts, nil, dir)
		s.crashAt = crash
		if g := s.Guarantee(); g != "exactly once" {
			t.Fatalf("Guarantee() = %q", g)
		}
		crashed := func(err error) bool {
			t.Helper()
			if errors.Is(err, errSinkCrashed) {
				return true
			}
			sinkMust(t, err)
			return false
		}
		down := false
		if durable != nil {
			down = crashed(s.Restore(durable))
		}
		for i := pos; i < n && !down; {
			sinkMust(t, s.Write(sinkCrashBatch(i)))
			sinkMust(t, s.Commit(int64(i)))
			i++
			if down = crash("after-write"); down {
				break
			}
			if i%every != 0 && i != n {
				continue
			}
			st, err := s.Checkpoint()
			sinkMust(t, err)
			if down = crash("after-checkpoint"); down {
				break
			}
			durable, pos = st, i
			if down = crash("after-durable"); down {
				break
			}
			if down = crashed(s.CheckpointComplete(st)); down {
				break
			}
			down = crash("after-complete")
		}
		if down {
			crashes++
			s.crash()
			continue
		}
		sinkMust(t, s.Close())
		return crashes
	}
}

// sinkCheckEmptyDir fails unless dir holds no file.
func sinkCheckEmptyDir(t *testing.T, dir string) {
	t.Helper()
	es, err := os.ReadDir(dir)
	sinkMust(t, err)
	if len(es) > 0 {
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		t.Errorf("state directory holds %s after a clean end", strings.Join(names, ", "))
	}
}

// TestSinkExactlyOnceCrashPoints crashes the sink once at each point, at
// the second of three checkpoints, and checks that a read_committed
// consumer sees every row exactly once.
func TestSinkExactlyOnceCrashPoints(t *testing.T) {
	for _, point := range sinkCrashPoints {
		t.Run(point, func(t *testing.T) {
			brokers := sinkTestCluster(t, 3, "out")
			opts := map[string]string{"brokers": brokers, "topic": "out", "key": "word"}
			seen := 0
			crashes := sinkCrashRun(t, opts, t.TempDir(), 6, 2, func(p string) bool {
				if p != point {
					return false
				}
				seen++
				// after-write: the third batch's; the others: at the
				// second checkpoint.
				return (point == "after-write" && seen == 3) || (point != "after-write" && seen == 2)
			})
			if crashes != 1 {
				t.Fatalf("%d crashes, want 1", crashes)
			}
			if got, want := sinkSortedRecords(sinkTestRead(t, brokers, "out")), sinkCrashWant(6); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestSinkExactlyOnceRandomCrashes crashes the sink at random points, many
// times per run, over several seeds: every row is still seen exactly once,
// and a clean end leaves no spill file.
func TestSinkExactlyOnceRandomCrashes(t *testing.T) {
	total := 0
	for seed := range uint64(12) {
		topic := "out"
		brokers := sinkTestCluster(t, 3, topic)
		rng := rand.New(rand.NewPCG(seed, 7))
		opts := map[string]string{"brokers": brokers, "topic": topic, "key": "word"}
		dir := t.TempDir()
		crashes := sinkCrashRun(t, opts, dir, 10, 2, func(string) bool { return rng.IntN(8) == 0 })
		total += crashes
		if got, want := sinkSortedRecords(sinkTestRead(t, brokers, topic)), sinkCrashWant(10); got != want {
			t.Fatalf("seed %d, %d crashes: got\n%s\nwant\n%s", seed, crashes, got, want)
		}
		sinkCheckEmptyDir(t, dir)
	}
	if total < 12 {
		t.Errorf("only %d crashes over 12 runs: the test does not test much", total)
	}
}
