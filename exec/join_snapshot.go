package exec

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// joinSnapFormat names the format of a HashJoin snapshot: one Arrow IPC
// stream of one batch, a row per row held, in insertion order: its side
// (0 left, 1 right), its match count, when it entered the state, then the
// left columns and the right columns (NULL on the other side's rows).
// The schema's metadata holds the counters and a fingerprint of the
// operator's configuration.
const joinSnapFormat = "weir.hash_join.v1"

var joinSnapCols = []arrow.Field{
	{Name: "side", Type: arrow.PrimitiveTypes.Int64},
	{Name: "matches", Type: arrow.PrimitiveTypes.Int64},
	{Name: "t", Type: arrow.PrimitiveTypes.Int64},
}

func (j *HashJoin) fingerprint() string {
	return fmt.Sprint(j.cfg.Left, j.cfg.Right, j.cfg.LeftKeys, j.cfg.RightKeys, j.cfg.Kind, j.cfg.Residual, j.cfg.Expire)
}

func (j *HashJoin) snapSchema() *arrow.Schema {
	fields := append([]arrow.Field(nil), joinSnapCols...)
	for i, f := range j.resIn.Fields() {
		f.Name = "c" + strconv.Itoa(i)
		fields = append(fields, f)
	}
	md := arrow.NewMetadata([]string{"format", "fingerprint", "seq", "expired"},
		[]string{joinSnapFormat, j.fingerprint(), strconv.FormatUint(j.seq, 10), strconv.FormatInt(j.expired, 10)})
	return arrow.NewSchema(fields, &md)
}

// Snapshot implements Snapshotter: it writes both sides' rows to w; the
// operator is unchanged.
func (j *HashJoin) Snapshot(w io.Writer) error {
	type held struct {
		side int
		e    *joinEntry
	}
	var all []held
	for i, s := range j.sides {
		for key := range s.buckets {
			for _, id := range s.appendBucket(nil, key) {
				all = append(all, held{i, s.store.at(id)})
			}
		}
	}
	slices.SortFunc(all, func(a, b held) int { return int(min(max(int64(a.e.seq)-int64(b.e.seq), -1), 1)) })
	nl := len(j.sides[0].fields)
	rows := make([]joinRow, len(all))
	for k, h := range all {
		r := make(joinRow, 3+len(j.resIn.Fields()))
		r[0], r[1], r[2] = int64(h.side), int64(h.e.matches), h.e.t
		off := 3
		if h.side == 1 {
			off += nl
		}
		copy(r[off:], j.sides[h.side].store.row(h.e))
		rows[k] = r
	}
	b, err := buildBatch(j.mem, j.snapSchema(), rows)
	if err != nil {
		return err
	}
	defer b.Release()
	iw := ipc.NewWriter(w, ipc.WithSchema(b.Schema()), ipc.WithAllocator(j.mem))
	if err := iw.Write(b); err != nil {
		iw.Close()
		return err
	}
	return iw.Close()
}

// Restore implements Snapshotter: it replaces the state of a fresh join
// with a snapshot of a join of the same configuration.
func (j *HashJoin) Restore(r io.Reader) error {
	ir, err := ipc.NewReader(r, ipc.WithAllocator(j.mem))
	if err != nil {
		return fmt.Errorf("join snapshot: %w", err)
	}
	defer ir.Release()
	md := ir.Schema().Metadata()
	get := func(k string) string {
		if i := md.FindKey(k); i >= 0 {
			return md.Values()[i]
		}
		return ""
	}
	if get("format") != joinSnapFormat {
		return errors.New("join snapshot: not a hash join snapshot")
	}
	if get("fingerprint") != j.fingerprint() {
		return errors.New("join snapshot: taken by a join of another configuration")
	}
	if !ir.Next() {
		if err := ir.Err(); err != nil {
			return fmt.Errorf("join snapshot: %w", err)
		}
		return errors.New("join snapshot: no rows batch")
	}
	rows, err := rowsOf(ir.RecordBatch(), ir.Schema().NumFields())
	if err != nil {
		return fmt.Errorf("join snapshot: %w", err)
	}
	j.Close()
	nl := len(j.sides[0].fields)
	for k, r := range rows {
		side, _ := r[0].(int64)
		if side != 0 && side != 1 {
			return fmt.Errorf("join snapshot: row %d has side %v", k, r[0])
		}
		s := j.sides[side]
		off := 3
		if side == 1 {
			off += nl
		}
		row := append(joinRow(nil), r[off:off+len(s.fields)]...)
		key, ok := joinKey(row, s.keys, nil)
		if !ok {
			return fmt.Errorf("join snapshot: row %d has a NULL key", k)
		}
		matches, _ := r[1].(int64)
		t, _ := r[2].(int64)
		j.track(int(side), row, packRow(row), key, int32(matches), t, uint64(k+1))
	}
	for _, s := range j.sides {
		slices.SortStableFunc(s.ttl, func(a, b joinRef) int {
			return int(min(max(s.store.at(a.id).t-s.store.at(b.id).t, -1), 1))
		})
	}
	j.seq = uint64(len(rows))
	if v, err := strconv.ParseInt(get("expired"), 10, 64); err == nil {
		j.expired = v
	}
	return nil
}
