package exec

import "github.com/apache/arrow-go/v18/arrow"

// Pipeline is a chain of operators, each feeding the next.
type Pipeline []Operator

// Push runs b through every operator and returns what comes out of the
// last one. Ownership of b passes to the pipeline. A panic in an operator
// is returned as a *PanicError naming it.
func (p Pipeline) Push(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	return p.pushFrom(0, []arrow.RecordBatch{b})
}

func (p Pipeline) pushFrom(i int, in []arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	for ; i < len(p) && len(in) > 0; i++ {
		var next []arrow.RecordBatch
		for k, b := range in {
			out, err := opProcess(p[i], b)
			if err != nil {
				releaseBatches(in[k+1:])
				releaseBatches(next)
				return nil, err
			}
			next = append(next, out...)
		}
		in = next
	}
	return in, nil
}

// Advance moves the watermark to wm through the pipeline: each operator's
// emitted batches are processed by the operators after it before they, in
// turn, see the watermark.
func (p Pipeline) Advance(wm int64) ([]arrow.RecordBatch, error) {
	var out []arrow.RecordBatch
	for i, op := range p {
		emitted, err := opAdvance(op, wm)
		if err != nil {
			releaseBatches(out)
			return nil, err
		}
		if len(emitted) > 0 {
			rest, err := p.pushFrom(i+1, emitted)
			if err != nil {
				releaseBatches(out)
				return nil, err
			}
			out = append(out, rest...)
		}
	}
	return out, nil
}

// Close closes every operator.
func (p Pipeline) Close() {
	for _, op := range p {
		opClose(op)
	}
}

func releaseBatches(bs []arrow.RecordBatch) {
	for _, b := range bs {
		if b != nil {
			b.Release()
		}
	}
}
