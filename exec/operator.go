package exec

import "github.com/apache/arrow-go/v18/arrow"

// MaxWatermark is the watermark of a finished input: every window closes.
const MaxWatermark int64 = 1<<63 - 1

// MinWatermark is the watermark before any event time has been seen.
const MinWatermark int64 = -1 << 63

// Operator is one step of a query's pipeline.
//
// The contract, written once here for every operator:
//
//   - Ownership passes with the call. Process takes ownership of its input
//     batch: it releases it, or hands it on inside its output. Every batch
//     returned by Process or Advance belongs to the caller, who releases it.
//   - Process may return zero or more batches; none has zero rows.
//   - Watermarks travel in band, between batches: after the batches of a
//     micro-batch, the driver calls Advance once with the query's watermark
//     (milliseconds since the Unix epoch, UTC). The watermark asserts that no
//     later row has an event time below it. Windowed operators emit every
//     window whose end is <= the watermark, in order of window end; other
//     operators return nil. MaxWatermark means the input has ended.
//   - Advance's output is Processed by the operators downstream before their
//     own Advance is called with the same watermark.
//   - An operator is used by one goroutine at a time.
//   - Close releases any state; the operator is not used after it.
type Operator interface {
	// Schema is the schema of every batch the operator returns.
	Schema() *arrow.Schema
	// Process consumes one batch and returns the batches it produces.
	Process(batch arrow.RecordBatch) ([]arrow.RecordBatch, error)
	// Advance tells the operator the watermark reached wm.
	Advance(wm int64) ([]arrow.RecordBatch, error)
	// Close releases the operator's state.
	Close()
}
