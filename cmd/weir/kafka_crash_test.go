package main

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// TestKafkaSourceCrashExactlyOnce: `weir run --checkpoint-dir` counting
// words from a 3-partition topic is SIGKILLed at random moments 10 times,
// each time just after kcat wrote more lines, so that most runs die
// having read lines their last checkpoint does not hold; a last run
// reaches exactly
// the counts of all the lines written: each record counted once, though
// runs were killed between reading records and checkpointing them.
func TestKafkaSourceCrashExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	kcatBin(t)
	addr := startDevBroker(t, "words:3")
	dir := t.TempDir()
	// Small batches, frequent checkpoints: a run is cut short while it
	// still has records to read.
	script := "SET batch_size = '40';\n" + fmt.Sprintf(kafkaWordCount, addr)
	writeFile(t, dir, "q.sql", script)
	want := map[string]int{}
	n := 0
	write := func(lines int) {
		var out []string
		for range lines {
			l := fmt.Sprintf("w%d x%d", n%7, n%11)
			want[fmt.Sprintf("w%d", n%7)]++
			want[fmt.Sprintf("x%d", n%11)]++
			out = append(out, l)
			n++
		}
		kcatProduce(t, addr, "words", out...)
	}
	write(3000)

	const kills = 10
	killAfterWrites(t, dir, []string{filepath.Join(dir, "ck", "q1")}, kills, rand.New(rand.NewPCG(3, 4)), 40, func() { write(100) })
	w := startWeir(t, dir, "run", "q.sql", "--batch-interval", "10ms", "--checkpoint-dir", "ck")
	w.waitFor(t, time.Minute, "the counts of every line", func([]string, string) bool { return sameCounts(readCounts(t, dir), want) })
	w.stop(t)
	if got := readCounts(t, dir); !sameCounts(got, want) {
		t.Fatalf("after %d kills: counts %v, want %v", kills, got, want)
	}
}

// killAfterWrites runs `weir run q.sql --checkpoint-dir ck` in dir kills
// times (killLoop): each run, once every checkpoint directory of cks has
// a new checkpoint, gets more input from write (read by this run, which
// dies before or after its next checkpoint) and is SIGKILLed up to
// maxDelayMs later, at a moment r picks.
func killAfterWrites(t *testing.T, dir string, cks []string, kills int, r *rand.Rand, maxDelayMs int, write func()) {
	t.Helper()
	killLoop(t, dir, []string{"run", "q.sql", "--batch-interval", "10ms", "--checkpoint-dir", "ck"}, cks, kills, write,
		func(int) time.Duration { return time.Duration(r.IntN(maxDelayMs)) * time.Millisecond })
}
