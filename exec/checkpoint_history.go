package exec

import (
	"slices"
	"sync"
	"time"
)

// CheckpointInfo describes one completed checkpoint of a query.
type CheckpointInfo struct {
	// Seq is the checkpoint's sequence number (its chk-N directory).
	Seq int64
	// Time is when the checkpoint completed.
	Time time.Time
	// Duration is how long writing it took.
	Duration time.Duration
	// Bytes is the size of what it wrote: operator snapshots and metadata.
	Bytes int64
}

// checkpointHistorySize is how many checkpoints CheckpointHistory keeps.
const checkpointHistorySize = 50

// checkpointLog keeps a query's most recent checkpoints.
type checkpointLog struct {
	mu   sync.Mutex
	last []CheckpointInfo
}

func (l *checkpointLog) add(c CheckpointInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.last) == checkpointHistorySize {
		l.last = slices.Delete(l.last, 0, 1)
	}
	l.last = append(l.last, c)
}

// CheckpointHistory returns the query's most recent checkpoints (up to
// 50), oldest first. It is safe to call at any time, from any goroutine.
func (q *Query) CheckpointHistory() []CheckpointInfo {
	q.ckLog.mu.Lock()
	defer q.ckLog.mu.Unlock()
	return slices.Clone(q.ckLog.last)
}
