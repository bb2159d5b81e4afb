package exec

import (
	"slices"
	"sync"
	"time"
)

// BatchInfo describes one micro-batch, as Spark's streaming UI does.
type BatchInfo struct {
	// Seq numbers the query's batches from 1.
	Seq int64
	// Time is the batch time: for live sources, the start of the interval
	// whose input the batch holds.
	Time time.Time
	// Rows is the number of input rows.
	Rows int64
	// Processing is how long the batch took to run.
	Processing time.Duration
	// SchedulingDelay is how late the batch started after its time was due.
	SchedulingDelay time.Duration
	// TotalDelay is SchedulingDelay + Processing.
	TotalDelay time.Duration
	// Watermark is the query's watermark after the batch (ms).
	Watermark int64
	// LateRows and BadRows are the totals so far.
	LateRows, BadRows int64
	// StateKeys and StatePanes size the window state after the batch.
	StateKeys, StatePanes int
	// StateBytes estimates the window state's memory.
	StateBytes int64
	// State sizes each stateful operator's state after the batch, in
	// graph order (nodes in topological order).
	State []OperatorState
}

// batchLog keeps the last batches for percentiles.
type batchLog struct {
	mu   sync.Mutex
	ring []BatchInfo
	next int
	full bool
}

const batchLogSize = 1024

func (l *batchLog) add(b BatchInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ring == nil {
		l.ring = make([]BatchInfo, batchLogSize)
	}
	l.ring[l.next] = b
	l.next = (l.next + 1) % batchLogSize
	if l.next == 0 {
		l.full = true
	}
}

func (l *batchLog) all() []BatchInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.full {
		return append(slices.Clone(l.ring[l.next:]), l.ring[:l.next]...)
	}
	return slices.Clone(l.ring[:l.next])
}

// Percentile returns the p-th percentile (0..100) of f over batches, or 0.
func Percentile(batches []BatchInfo, p float64, f func(BatchInfo) time.Duration) time.Duration {
	if len(batches) == 0 {
		return 0
	}
	ds := make([]time.Duration, len(batches))
	for i, b := range batches {
		ds[i] = f(b)
	}
	slices.Sort(ds)
	i := int(p / 100 * float64(len(ds)-1))
	return ds[i]
}
