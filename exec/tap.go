package exec

import "github.com/apache/arrow-go/v18/arrow"

// tap calls the query's Tap, if set, with a batch about to be written to
// the sink. The batch is valid only for the call: Tap must copy what it
// keeps, or Retain the batch itself.
func (q *Query) tap(b arrow.RecordBatch) {
	if q.Tap != nil && b.NumRows() > 0 {
		q.Tap(b)
	}
}
