package exec

import (
	"fmt"
	"strings"

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

// Process splits every value of the column.
func (u *Unnest) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	src := b.Column(u.col).(*array.String)
	n := src.Len()
	words := array.NewStringBuilder(u.mem)
	defer words.Release()
	words.Reserve(n)
	offs := src.ValueOffsets()
	words.ReserveData(int(offs[n] - offs[0]))
	u.idx = u.idx[:0]
	single := b.NumCols() == 1
	for i := 0; i < n; i++ {
		if src.IsNull(i) {
			continue
		}
		s := src.Value(i)
		if s == "" {
			continue
		}
		if u.sep == "" {
			words.Append(s)
			u.idx = append(u.idx, int32(i))
			continue
		}
		for {
			k := strings.Index(s, u.sep)
			if k < 0 {
				words.Append(s)
				u.idx = append(u.idx, int32(i))
				break
			}
			words.Append(s[:k])
			u.idx = append(u.idx, int32(i))
			s = s[k+len(u.sep):]
		}
	}
	if len(u.idx) == 0 {
		return nil, nil
	}
	w := words.NewArray()
	defer w.Release()
	cols := make([]arrow.Array, b.NumCols())
	for c := range cols {
		if c == u.col {
			w.Retain()
			cols[c] = w
			continue
		}
		if single {
			break
		}
		t, err := takeArray(u.mem, b.Column(c), u.idx)
		if err != nil {
			releaseAll(cols)
			return nil, err
		}
		cols[c] = t
	}
	out := array.NewRecordBatch(b.Schema(), cols, int64(len(u.idx)))
	releaseAll(cols)
	return []arrow.RecordBatch{out}, nil
}

// Advance does nothing: unnesting holds no state.
func (u *Unnest) Advance(int64) ([]arrow.RecordBatch, error) { return nil, nil }

// Close does nothing.
func (u *Unnest) Close() {}
