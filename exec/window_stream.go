package exec

import "github.com/apache/arrow-go/v18/arrow"

// StreamingAdvance is implemented by operators whose Advance can emit a
// large result at once (a GROUP BY over millions of keys at the end of
// its input): the stage hands each batch downstream as soon as it is
// built, so the result never has to be held whole, rather than taking
// them all from Advance.
type StreamingAdvance interface {
	// AdvanceEach is Advance, with each batch passed to emit as it is
	// made (emit takes ownership) instead of returned. It returns emit's
	// first error; later batches are released.
	AdvanceEach(wm int64, emit func(arrow.RecordBatch) error) error
}

// AdvanceEach implements StreamingAdvance.
func (w *WindowAgg) AdvanceEach(wm int64, emit func(arrow.RecordBatch) error) error {
	w.emit, w.emitErr = emit, nil
	defer func() { w.emit = nil }()
	out, err := w.Advance(wm)
	for _, b := range out { // none: every batch went to emit
		w.hand(b)
	}
	if err != nil {
		return err
	}
	return w.emitErr
}

// hand passes a finished output batch on: to the stage streaming this
// Advance, or to the batches Advance returns.
func (w *WindowAgg) hand(b arrow.RecordBatch) {
	switch {
	case w.emit == nil:
		w.out.done = append(w.out.done, b)
	case w.emitErr != nil:
		b.Release()
	default:
		w.emitErr = w.emit(b)
	}
}
