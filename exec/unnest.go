package exec

import (
	"bytes"
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Unnest replaces a VARCHAR column by the pieces of each value split on a
// separator, one output row per piece, repeating the row's other columns:
// UNNEST(STRING_TO_ARRAY(col, sep)). As in PostgreSQL, a NULL or empty
// value yields no rows, and an empty separator yields the whole value.
type Unnest struct {
	input *arrow.Schema
	col   int
	sep   string
	mem   memory.Allocator
	idx   []int32
}

var _ Operator = (*Unnest)(nil)

// NewUnnest splits column col (which must be VARCHAR) of its input on sep.
func NewUnnest(mem memory.Allocator, input *arrow.Schema, col int, sep string) (*Unnest, error) {
	if t := input.Field(col).Type; t.ID() != arrow.STRING {
		return nil, fmt.Errorf("UNNEST(STRING_TO_ARRAY(...)) needs a VARCHAR value, got %s", t)
	}
	return &Unnest{input: input, col: col, sep: sep, mem: mem}, nil
}

// Column is the index of the column that is split.
func (u *Unnest) Column() int { return u.col }

// Separator is the string the column is split on.
func (u *Unnest) Separator() string { return u.sep }

// Schema is the input schema: the split column stays VARCHAR.
func (u *Unnest) Schema() *arrow.Schema { return u.input }

// Process splits every value of the column. It works on the column's
// buffers directly: one pass counts the pieces, a second copies them into
// one data buffer and writes their offsets, with no per-piece allocation.
func (u *Unnest) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	src := b.Column(u.col).(*array.String)
	n := src.Len()
	offs := src.ValueOffsets()
	data := src.ValueBytes()
	base := offs[0]
	sep := unsafe.Slice(unsafe.StringData(u.sep), len(u.sep))
	nulls := src.NullN() > 0

	// Pass 1: how many pieces, and how many bytes they hold.
	pieces, size := 0, 0
	for i := 0; i < n; i++ {
		if nulls && src.IsNull(i) {
			continue
		}
		line := data[offs[i]-base : offs[i+1]-base]
		if len(line) == 0 {
			continue
		}
		c := 0
		if len(sep) > 0 {
			c = bytes.Count(line, sep)
		}
		pieces += c + 1
		size += len(line) - c*len(sep)
	}
	if pieces == 0 {
		return nil, nil
	}

	// Pass 2: copy the pieces and write their offsets.
	valBuf := memory.NewResizableBuffer(u.mem)
	valBuf.Resize(size)
	offBuf := memory.NewResizableBuffer(u.mem)
	offBuf.Resize((pieces + 1) * 4)
	vals := valBuf.Bytes()
	outOffs := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(offBuf.Bytes()))), pieces+1)
	repeat := b.NumCols() > 1
	u.idx = u.idx[:0]
	pos, k := 0, 0
	outOffs[0] = 0
	for i := 0; i < n; i++ {
		if nulls && src.IsNull(i) {
			continue
		}
		line := data[offs[i]-base : offs[i+1]-base]
		if len(line) == 0 {
			continue
		}
		for {
			j := -1
			switch len(sep) {
			case 0:
			case 1:
				j = bytes.IndexByte(line, sep[0])
			default:
				j = bytes.Index(line, sep)
			}
			piece := line
			if j >= 0 {
				piece = line[:j]
			}
			pos += copy(vals[pos:], piece)
			k++
			outOffs[k] = int32(pos)
			if repeat {
				u.idx = append(u.idx, int32(i))
			}
			if j < 0 {
				break
			}
			line = line[j+len(sep):]
		}
	}
	d := array.NewData(arrow.BinaryTypes.String, pieces, []*memory.Buffer{nil, offBuf, valBuf}, nil, 0, 0)
	words := array.NewStringData(d)
	d.Release()
	offBuf.Release()
	valBuf.Release()
	defer words.Release()

	cols := make([]arrow.Array, b.NumCols())
	for c := range cols {
		if c == u.col {
			words.Retain()
			cols[c] = words
			continue
		}
		t, err := takeArray(u.mem, b.Column(c), u.idx)
		if err != nil {
			releaseAll(cols)
			return nil, err
		}
		cols[c] = t
	}
	out := array.NewRecordBatch(b.Schema(), cols, int64(pieces))
	releaseAll(cols)
	return []arrow.RecordBatch{out}, nil
}

// Advance does nothing: unnesting holds no state.
func (u *Unnest) Advance(int64) ([]arrow.RecordBatch, error) { return nil, nil }

// Close does nothing.
func (u *Unnest) Close() {}
