package datagen

import (
	"math"
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// generator makes one column's values, straight into an Arrow builder.
type generator interface {
	// append appends n values. Rows are generated during (t0, t1], in
	// Unix milliseconds.
	append(n int, t0, t1 int64)
	// newArray hands over the values appended since the last call.
	newArray() arrow.Array
	release()
}

// base is what every generator has: its own random stream (so a seeded
// column's values do not depend on how rows are batched) and a null rate.
type base struct {
	rng      *rand.Rand
	nullRate float64
	b        array.Builder
}

// null decides whether the next value is NULL.
func (g *base) null() bool {
	return g.nullRate > 0 && g.rng.Float64() < g.nullRate
}

func (g *base) newArray() arrow.Array { return g.b.NewArray() }
func (g *base) release()              { g.b.Release() }

// int64Random draws BIGINTs uniformly from [min, min+span-1]; span 0
// means all of int64.
type int64Random struct {
	base
	ib   *array.Int64Builder
	min  int64
	span uint64
}

func (g *int64Random) append(n int, _, _ int64) {
	g.ib.Reserve(n)
	for range n {
		if g.null() {
			g.ib.UnsafeAppendBoolToBitmap(false)
			continue
		}
		var u uint64
		if g.span == 0 {
			u = g.rng.Uint64()
		} else {
			u = g.rng.Uint64N(g.span)
		}
		g.ib.UnsafeAppend(g.min + int64(u))
	}
}

// int64Seq counts from start to end (inclusive), then stops or wraps.
type int64Seq struct {
	base
	ib         *array.Int64Builder
	next       int64
	start, end int64
	hasEnd     bool
	wrap       bool
	done       bool // end was reached, without wrap
}

func (g *int64Seq) append(n int, _, _ int64) {
	g.ib.Reserve(n)
	for range n {
		v := g.next
		switch {
		case !g.hasEnd || v != g.end:
			g.next++
		case g.wrap:
			g.next = g.start
		default:
			g.done = true // remaining() stops the source
		}
		if g.null() {
			g.ib.UnsafeAppendBoolToBitmap(false)
			continue
		}
		g.ib.UnsafeAppend(v)
	}
}

// remaining is how many rows the sequence has left, if it ends.
func (g *int64Seq) remaining() (int64, bool) {
	if !g.hasEnd || g.wrap {
		return 0, false
	}
	if g.done {
		return 0, true
	}
	r := uint64(g.end - g.next)
	if r >= math.MaxInt64 {
		return math.MaxInt64, true
	}
	return int64(r) + 1, true
}

// float64Random draws DOUBLEs uniformly from [min, min+width).
type float64Random struct {
	base
	fb         *array.Float64Builder
	min, width float64
}

func (g *float64Random) append(n int, _, _ int64) {
	g.fb.Reserve(n)
	for range n {
		if g.null() {
			g.fb.UnsafeAppendBoolToBitmap(false)
			continue
		}
		g.fb.UnsafeAppend(g.min + g.rng.Float64()*g.width)
	}
}

// boolRandom draws BOOLEANs, true half the time, 64 from each random
// word; the unused bits carry over to the next batch.
type boolRandom struct {
	base
	bb   *array.BooleanBuilder
	bits uint64
	left int
}

func (g *boolRandom) append(n int, _, _ int64) {
	g.bb.Reserve(n)
	for range n {
		if g.null() {
			g.bb.UnsafeAppendBoolToBitmap(false)
			continue
		}
		if g.left == 0 {
			g.bits, g.left = g.rng.Uint64(), 64
		}
		g.bb.UnsafeAppend(g.bits&1 != 0)
		g.bits >>= 1
		g.left--
	}
}

// timestamps are the generation time, spread evenly over (t0, t1], minus
// a random delay of up to maxPast milliseconds.
type timestamps struct {
	base
	tb      *array.TimestampBuilder
	maxPast int64
}

func (g *timestamps) append(n int, t0, t1 int64) {
	g.tb.Reserve(n)
	span := t1 - t0
	for i := range n {
		if g.null() {
			g.tb.UnsafeAppendBoolToBitmap(false)
			continue
		}
		t := t0 + span*int64(i+1)/int64(n)
		if g.maxPast > 0 {
			t -= g.rng.Int64N(g.maxPast + 1)
		}
		g.tb.UnsafeAppend(arrow.Timestamp(t))
	}
}

// stringKind is how a VARCHAR column's values are made.
type stringKind uint8

const (
	oneWord  stringKind = iota // a word of the vocabulary
	manyWord                   // n words separated by spaces
	chars                      // n random characters
)

// alphabet is what random strings of a given length are made of.
const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// stringsGen makes VARCHARs from the vocabulary or random characters,
// copying bytes straight into the builder's value buffer.
type stringsGen struct {
	base
	sb      *array.StringBuilder
	kind    stringKind
	n       int
	scratch []byte
}

func (g *stringsGen) append(n int, _, _ int64) {
	g.sb.Reserve(n)
	switch g.kind {
	case oneWord:
		g.sb.ReserveData(n * 7)
	default:
		g.sb.ReserveData(n * g.n * 7)
	}
	for range n {
		if g.null() {
			g.sb.AppendNull()
			continue
		}
		switch g.kind {
		case oneWord:
			g.sb.BinaryBuilder.Append(vocab.word(g.rng.IntN(vocabSize)))
		case manyWord:
			s := g.scratch[:0]
			for j := range g.n {
				if j > 0 {
					s = append(s, ' ')
				}
				s = append(s, vocab.word(g.rng.IntN(vocabSize))...)
			}
			g.scratch = s
			g.sb.BinaryBuilder.Append(s)
		case chars:
			// Six random bits per try; tries of 36 or more are rejected, so
			// every character is equally likely.
			s := g.scratch[:0]
			var bits uint64
			left := 0
			for len(s) < g.n {
				if left == 0 {
					bits, left = g.rng.Uint64(), 10
				}
				c := bits & 63
				bits >>= 6
				left--
				if c < uint64(len(alphabet)) {
					s = append(s, alphabet[c])
				}
			}
			g.scratch = s
			g.sb.BinaryBuilder.Append(s)
		}
	}
}
