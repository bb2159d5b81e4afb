package exec

import (
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// LookupJoinConfig configures a LookupJoin.
type LookupJoinConfig struct {
	// Input is the stream's schema (append-only).
	Input *arrow.Schema
	// Table is the looked-up table's schema.
	Table *arrow.Schema
	// StreamKeys are expressions over the stream, equal to the table
	// columns TableKeys, pairwise, of the same types.
	StreamKeys []vector.Expr
	TableKeys  []int
	// Kind is InnerJoin or LeftJoin (a stream row without a match is
	// padded with NULLs).
	Kind JoinKind
	// Residual, if not nil, is a Boolean condition over the stream's
	// columns then the table's that a pair with equal keys must meet.
	Residual vector.Expr
	// Load reads the whole table.
	Load func() ([]arrow.RecordBatch, error)
	// Changed reports whether the table changed since the last Load; it
	// is asked at most once per micro-batch. Nil: never.
	Changed func() (bool, error)
	// Alloc allocates output batches; nil is the Go allocator.
	Alloc memory.Allocator
}

// LookupJoin joins each row of a stream with the rows of a bounded table
// held whole in a hash table, as Flink's processing-time temporal
// (lookup) join does: a row is joined with the table as it is when the
// row arrives, and is never revisited when the table changes. The table
// is read before the first row and read again, at most once per
// micro-batch, when Changed says it changed. The output (the stream's
// columns, then the table's) is append-only.
type LookupJoin struct {
	cfg    LookupJoinConfig
	mem    memory.Allocator
	schema *arrow.Schema
	resIn  *arrow.Schema
	// table maps each key to its rows: indices into cols, the table's
	// columns concatenated, with one all-NULL row at the end (nullRow)
	// that pads a left join's unmatched rows.
	table   map[string][]int32
	cols    []arrow.Array
	nullRow int32
	rows    int
	bytes   int64
	loaded  bool
	check   bool // a micro-batch ended since the last check for changes
	reload  int64
}

var (
	_ Snapshotter   = (*LookupJoin)(nil)
	_ StateReporter = (*LookupJoin)(nil)
)

// NewLookupJoin returns a lookup join of cfg.Input with cfg.Table.
func NewLookupJoin(cfg LookupJoinConfig) (*LookupJoin, error) {
	if vector.IsChangelog(cfg.Input) {
		return nil, errors.New("lookup join: the stream must be append-only")
	}
	if len(cfg.StreamKeys) == 0 || len(cfg.StreamKeys) != len(cfg.TableKeys) {
		return nil, errors.New("lookup join: needs as many stream keys as table keys, at least one")
	}
	if cfg.Kind != InnerJoin && cfg.Kind != LeftJoin {
		return nil, fmt.Errorf("lookup join: %s join is not supported", cfg.Kind)
	}
	for i, k := range cfg.TableKeys {
		if k < 0 || k >= cfg.Table.NumFields() || !arrow.TypeEqual(cfg.Table.Field(k).Type, cfg.StreamKeys[i].Type()) {
			return nil, fmt.Errorf("lookup join: key %d: the stream's and the table's types differ", i+1)
		}
	}
	if cfg.Load == nil {
		return nil, errors.New("lookup join: no table to load")
	}
	j := &LookupJoin{cfg: cfg, mem: cfg.Alloc}
	if j.mem == nil {
		j.mem = memory.DefaultAllocator
	}
	var fs []arrow.Field
	for _, s := range []*arrow.Schema{cfg.Input, cfg.Table} {
		for _, f := range s.Fields() {
			f.Nullable = true
			fs = append(fs, f)
		}
	}
	j.schema = arrow.NewSchema(fs, nil)
	j.resIn = j.schema
	return j, nil
}

// String names the operator.
func (j *LookupJoin) String() string { return "LookupJoin" }

// Schema is the stream's columns, then the table's.
func (j *LookupJoin) Schema() *arrow.Schema { return j.schema }

// load reads the table into the hash table.
func (j *LookupJoin) load() error {
	batches, err := j.cfg.Load()
	if err != nil {
		return fmt.Errorf("lookup join: reading the table: %w", err)
	}
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	cols := make([]arrow.Array, j.cfg.Table.NumFields())
	n := 0
	for _, b := range batches {
		n += int(b.NumRows())
	}
	for c, f := range j.cfg.Table.Fields() {
		parts := make([]arrow.Array, 0, len(batches)+1)
		for _, b := range batches {
			parts = append(parts, b.Column(c))
		}
		pad := array.MakeArrayOfNull(j.mem, f.Type, 1)
		parts = append(parts, pad)
		cols[c], err = array.Concatenate(parts, j.mem)
		pad.Release()
		if err != nil {
			releaseAll(cols[:c])
			return fmt.Errorf("lookup join: reading the table: %w", err)
		}
	}
	keyCols := make([]arrow.Array, len(j.cfg.TableKeys))
	for i, k := range j.cfg.TableKeys {
		keyCols[i] = cols[k]
	}
	table := map[string][]int32{}
	var buf []byte
	bytes, keyed := int64(0), 0
	for i := range n {
		k, ok := colsKey(buf[:0], keyCols, i)
		buf = k
		if !ok {
			continue
		}
		table[string(k)] = append(table[string(k)], int32(i))
		keyed++
	}
	for _, c := range cols {
		for _, bf := range c.Data().Buffers() {
			if bf != nil {
				bytes += int64(bf.Len())
			}
		}
	}
	bytes += int64(len(table)) * 64
	j.Close()
	j.table, j.cols, j.nullRow, j.rows, j.bytes, j.loaded = table, cols, int32(n), keyed, bytes, true
	return nil
}

// Process joins each row of b with the table's rows of its key.
func (j *LookupJoin) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	if !j.loaded {
		if err := j.load(); err != nil {
			return nil, err
		}
	} else if j.check && j.cfg.Changed != nil {
		j.check = false
		changed, err := j.cfg.Changed()
		if err != nil {
			return nil, fmt.Errorf("lookup join: %w", err)
		}
		if changed {
			if err := j.load(); err != nil {
				return nil, err
			}
			j.reload++
		}
	}
	if b.NumRows() == 0 {
		return nil, nil
	}
	keyCols := make([]arrow.Array, len(j.cfg.StreamKeys))
	for i, x := range j.cfg.StreamKeys {
		var err error
		if keyCols[i], err = x.Eval(j.mem, b); err != nil {
			releaseAll(keyCols[:i])
			return nil, err
		}
	}
	// The pairs of equal keys: stream row sIdx[p] with table row tIdx[p].
	var sIdx, tIdx []int32
	var buf []byte
	for i := range int(b.NumRows()) {
		k, ok := colsKey(buf[:0], keyCols, i)
		buf = k
		if !ok {
			continue
		}
		for _, t := range j.table[string(k)] {
			sIdx = append(sIdx, int32(i))
			tIdx = append(tIdx, t)
		}
	}
	releaseAll(keyCols)
	if j.cfg.Residual != nil && len(sIdx) > 0 {
		var err error
		if sIdx, tIdx, err = j.residual(b, sIdx, tIdx); err != nil {
			return nil, err
		}
	}
	if j.cfg.Kind == LeftJoin {
		sIdx, tIdx = j.pad(int(b.NumRows()), sIdx, tIdx)
	}
	if len(sIdx) == 0 {
		return nil, nil
	}
	out, err := j.gather(b, sIdx, tIdx, j.schema)
	if err != nil {
		return nil, err
	}
	return []arrow.RecordBatch{out}, nil
}

// gather builds a batch of schema: the columns of b at sIdx, then the
// table's at tIdx.
func (j *LookupJoin) gather(b arrow.RecordBatch, sIdx, tIdx []int32, schema *arrow.Schema) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, 0, schema.NumFields())
	add := func(a arrow.Array, idx []int32) error {
		c, err := takeArray(j.mem, a, idx)
		if err != nil {
			releaseAll(cols)
			return err
		}
		cols = append(cols, c)
		return nil
	}
	for c := range int(b.NumCols()) {
		if err := add(b.Column(c), sIdx); err != nil {
			return nil, err
		}
	}
	for _, a := range j.cols {
		if err := add(a, tIdx); err != nil {
			return nil, err
		}
	}
	out := array.NewRecordBatch(schema, cols, int64(len(sIdx)))
	releaseAll(cols)
	return out, nil
}

// residual keeps the pairs the residual condition holds for.
func (j *LookupJoin) residual(b arrow.RecordBatch, sIdx, tIdx []int32) ([]int32, []int32, error) {
	in, err := j.gather(b, sIdx, tIdx, j.resIn)
	if err != nil {
		return nil, nil, err
	}
	arr, err := j.cfg.Residual.Eval(j.mem, in)
	in.Release()
	if err != nil {
		return nil, nil, err
	}
	defer arr.Release()
	bools, _ := arr.(*array.Boolean)
	k := 0
	for p := range sIdx {
		if bools != nil && bools.IsValid(p) && bools.Value(p) {
			sIdx[k], tIdx[k] = sIdx[p], tIdx[p]
			k++
		}
	}
	return sIdx[:k], tIdx[:k], nil
}

// pad adds, in stream order, each of the n stream rows without a pair,
// paired with the all-NULL row.
func (j *LookupJoin) pad(n int, sIdx, tIdx []int32) ([]int32, []int32) {
	var s, t []int32
	p := 0
	for i := range int32(n) {
		if p < len(sIdx) && sIdx[p] == i {
			for ; p < len(sIdx) && sIdx[p] == i; p++ {
				s, t = append(s, i), append(t, tIdx[p])
			}
			continue
		}
		s, t = append(s, i), append(t, j.nullRow)
	}
	return s, t
}

// Advance marks the end of a micro-batch: the next row checks whether
// the table changed. A lookup join emits nothing on the watermark.
func (j *LookupJoin) Advance(int64) ([]arrow.RecordBatch, error) {
	j.check = true
	return nil, nil
}

// Reloads counts the times the table was read again after it changed.
func (j *LookupJoin) Reloads() int64 { return j.reload }

// Stats reports the table held: its keys and an estimate of its bytes.
func (j *LookupJoin) Stats() WindowStats {
	return WindowStats{Keys: len(j.table), StateBytes: j.bytes}
}

// lookupSnapFormat is a LookupJoin's snapshot: the name alone. The table
// is not saved: a restored join reads it again, as it is then.
const lookupSnapFormat = "weir.lookup_join.v1\n"

// Snapshot implements Snapshotter.
func (j *LookupJoin) Snapshot(w io.Writer) error {
	_, err := io.WriteString(w, lookupSnapFormat)
	return err
}

// Restore implements Snapshotter: the table is read again before the
// next row.
func (j *LookupJoin) Restore(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if string(b) != lookupSnapFormat {
		return errors.New("lookup join snapshot: not a lookup join snapshot")
	}
	j.loaded = false
	return nil
}

// Close drops the table.
func (j *LookupJoin) Close() {
	releaseAll(j.cols)
	j.table, j.cols, j.rows, j.bytes = nil, nil, 0, 0
}
