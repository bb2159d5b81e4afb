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
	table  map[string][]joinRow
	rows   int
	bytes  int64
	loaded bool
	check  bool // a micro-batch ended since the last check for changes
	reload int64
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
	keys := make([]int, len(j.cfg.TableKeys))
	copy(keys, j.cfg.TableKeys)
	table := map[string][]joinRow{}
	n, bytes := 0, int64(0)
	for _, b := range batches {
		rows, err := rowsOf(b, j.cfg.Table.NumFields())
		if err != nil {
			return err
		}
		for _, r := range rows {
			k, ok := joinKey(r, keys, nil)
			if !ok {
				continue
			}
			table[k] = append(table[k], r)
			n++
			bytes += rowBytes(r)
		}
	}
	j.table, j.rows, j.bytes, j.loaded = table, n, bytes, true
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
	rows, err := rowsOf(b, b.Schema().NumFields())
	if err != nil {
		return nil, err
	}
	keyCols := make([]arrow.Array, len(j.cfg.StreamKeys))
	for i, x := range j.cfg.StreamKeys {
		if keyCols[i], err = x.Eval(j.mem, b); err != nil {
			releaseAll(keyCols[:i])
			return nil, err
		}
	}
	kb := array.NewRecordBatch(arrow.NewSchema(keyFields(keyCols), nil), keyCols, b.NumRows())
	releaseAll(keyCols)
	keyRows, err := rowsOf(kb, len(keyCols))
	kb.Release()
	if err != nil {
		return nil, err
	}
	all := make([]int, len(keyCols))
	for i := range all {
		all[i] = i
	}
	var pairs []joinRow
	var owner []int // the stream row of each pair
	for i, r := range rows {
		k, ok := joinKey(keyRows[i], all, nil)
		if !ok {
			continue
		}
		for _, t := range j.table[k] {
			pairs = append(pairs, append(append(make(joinRow, 0, len(r)+len(t)), r...), t...))
			owner = append(owner, i)
		}
	}
	keep := make([]bool, len(pairs))
	for i := range keep {
		keep[i] = true
	}
	if j.cfg.Residual != nil && len(pairs) > 0 {
		in, err := buildBatch(j.mem, j.resIn, pairs)
		if err != nil {
			return nil, err
		}
		arr, err := j.cfg.Residual.Eval(j.mem, in)
		in.Release()
		if err != nil {
			return nil, err
		}
		bools, _ := arr.(*array.Boolean)
		for i := range keep {
			keep[i] = bools != nil && bools.IsValid(i) && bools.Value(i)
		}
		arr.Release()
	}
	var out []joinRow
	nt := j.cfg.Table.NumFields()
	p := 0
	for i, r := range rows {
		matched := false
		for ; p < len(pairs) && owner[p] == i; p++ {
			if keep[p] {
				out = append(out, pairs[p])
				matched = true
			}
		}
		if !matched && j.cfg.Kind == LeftJoin {
			out = append(out, append(append(make(joinRow, 0, len(r)+nt), r...), make(joinRow, nt)...))
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	res, err := buildBatch(j.mem, j.schema, out)
	if err != nil {
		return nil, err
	}
	return []arrow.RecordBatch{res}, nil
}

func keyFields(cols []arrow.Array) []arrow.Field {
	fs := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fs[i] = arrow.Field{Name: fmt.Sprintf("k%d", i), Type: c.DataType(), Nullable: true}
	}
	return fs
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
func (j *LookupJoin) Close() { j.table, j.rows, j.bytes = nil, 0, 0 }
