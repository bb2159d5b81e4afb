package datagen

import (
	"context"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live"
)

const (
	// tick is how often rows are generated.
	tick = 10 * time.Millisecond
	// maxBatchRows bounds one generated batch.
	maxBatchRows = 8192
)

// run generates rows at the configured rate until the end, ctx ending,
// or the queue refusing them.
func (s *Source) run(ctx context.Context) {
	t := time.NewTicker(tick)
	defer t.Stop()
	rate := s.cfg.rate
	// The schedule: by time now, baseRows + rate*(now-baseTime) rows are
	// due. After a stall it is moved so at most one second's worth is due.
	burst := math.Max(rate, 1)
	baseTime := time.Now()
	baseRows := 0.0
	var done int64
	last := baseTime.UnixMilli()
	batchRows := int64(256) // until the size of a row is known
	for {
		now := time.Now()
		due := baseRows + rate*now.Sub(baseTime).Seconds() - float64(done)
		if due > burst {
			baseTime, baseRows = now, float64(done)+burst
			due = burst
		}
		n := int64(due)
		if left, ok := s.left(done); ok && left <= n {
			n = left
		}
		nowMs := now.UnixMilli()
		t0 := max(last, nowMs-1000)
		for k := int64(0); k < n; {
			m := min(n-k, batchRows)
			// Timestamps: this batch's share of (t0, now].
			b0 := t0 + (nowMs-t0)*k/n
			b1 := t0 + (nowMs-t0)*(k+m)/n
			b := s.generate(int(m), b0, b1)
			// Keep batches to about a quarter of the buffer, so that the
			// buffer, not one batch, bounds memory.
			if perRow := live.BatchBytes(b) / m; perRow > 0 {
				batchRows = max(1, min(maxBatchRows, s.q.Budget()/4/perRow))
			}
			if err := s.q.Put(ctx, live.Item{Batch: b}); err != nil {
				return
			}
			k += m
			done += m
			s.generated.Store(done)
		}
		if n > 0 {
			last = nowMs
		}
		if left, ok := s.left(done); ok && left == 0 {
			_ = s.q.Put(ctx, live.Item{Err: connectors.ErrEndOfInput})
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// left is how many rows remain to be generated, if the source ends.
func (s *Source) left(done int64) (int64, bool) {
	n, ends := int64(math.MaxInt64), false
	if s.cfg.limit >= 0 {
		n, ends = s.cfg.limit-done, true
	}
	for _, seq := range s.seqs {
		if r, _ := seq.remaining(); r < n {
			n = r
		}
		ends = true
	}
	return n, ends
}

// generate makes a batch of n rows generated during (t0, t1].
func (s *Source) generate(n int, t0, t1 int64) arrow.RecordBatch {
	cols := make([]arrow.Array, len(s.gens))
	for i, g := range s.gens {
		g.append(n, t0, t1)
		cols[i] = g.newArray()
	}
	b := array.NewRecordBatch(s.schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return b
}
