package exec

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// sessSnapFormat names the format of a SessionAgg snapshot: one Arrow IPC
// stream of one batch, a row per open session: its keys, start and end,
// then each aggregate's accumulator State columns (state_J_K). The
// schema's metadata holds the watermark, the counters and a fingerprint
// of the operator's configuration.
const sessSnapFormat = "weir.session_agg.v1"

// fingerprint identifies the operator's configuration in its snapshots.
func (s *SessionAgg) fingerprint() string {
	return fmt.Sprint(s.cfg.Input, s.schema, s.cfg.TimeCol, s.cfg.Gap)
}

// Snapshot implements Snapshotter: it writes the open sessions to w; the
// operator is unchanged.
func (s *SessionAgg) Snapshot(w io.Writer) error {
	if s.table == nil {
		return errors.New("session window: Snapshot after Close")
	}
	var keys, groups []uint32
	sb, eb := array.NewInt64Builder(s.mem), array.NewInt64Builder(s.mem)
	defer sb.Release()
	defer eb.Release()
	for id, ss := range s.sessions {
		for _, sp := range ss {
			keys, groups = append(keys, uint32(id)), append(groups, sp.g)
			sb.Append(sp.start)
			eb.Append(sp.end)
		}
	}
	nk := len(s.cfg.Keys)
	var cols []arrow.Array
	if nk > 0 {
		cols = s.table.Keys(keys, s.mem)
	}
	fields := append([]arrow.Field(nil), s.schema.Fields()[2:2+nk]...)
	fields = append(fields, arrow.Field{Name: "start", Type: arrow.PrimitiveTypes.Int64}, arrow.Field{Name: "end", Type: arrow.PrimitiveTypes.Int64})
	cols = append(cols, sb.NewArray(), eb.NewArray())
	for j, acc := range s.accs {
		st, err := acc.State(s.mem, groups)
		if err != nil {
			releaseAll(cols)
			return err
		}
		for k, c := range st {
			fields = append(fields, arrow.Field{Name: fmt.Sprintf("state_%d_%d", j, k), Type: c.DataType(), Nullable: true})
		}
		cols = append(cols, st...)
	}
	if err := writeBatchSnapshot(w, s.mem, fields, cols, len(groups), sessSnapFormat, s.fingerprint(),
		"wm", strconv.FormatInt(s.wm, 10), "late", strconv.FormatInt(s.late, 10), "null_time", strconv.FormatInt(s.nullTime, 10)); err != nil {
		return fmt.Errorf("session window: snapshot: %w", err)
	}
	return nil
}

// Restore implements Snapshotter: it replaces the state of a freshly built
// operator with a snapshot written by Snapshot of the same query.
func (s *SessionAgg) Restore(r io.Reader) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt snapshot: %v", p)
		}
		if err != nil {
			err = fmt.Errorf("session window: restore: %w", err)
		}
	}()
	if s.table == nil || s.table.NumIDs() != 0 || s.open != 0 || s.wm != MinWatermark {
		return errors.New("the operator is not freshly built")
	}
	ir, err := openBatchSnapshot(r, s.mem, sessSnapFormat, s.fingerprint(),
		"not a session window snapshot", "the snapshot was taken by a differently configured session window")
	if err != nil {
		return err
	}
	defer ir.Release()
	if err := ir.ints(snapInt{"wm", &s.wm}, snapInt{"late", &s.late}, snapInt{"null_time", &s.nullTime}); err != nil {
		return err
	}
	batches := 0
	for ir.Next() {
		if batches++; batches > 1 {
			return errors.New("more than one batch of sessions")
		}
		if err := s.restoreBatch(ir.RecordBatch()); err != nil {
			return err
		}
	}
	if err := ir.Err(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if batches == 0 {
		return errors.New("the snapshot ends before its sessions")
	}
	return nil
}

// restoreBatch restores the sessions of one snapshot batch.
func (s *SessionAgg) restoreBatch(rec arrow.RecordBatch) error {
	nk := len(s.cfg.Keys)
	n := int(rec.NumRows())
	if int(rec.NumCols()) < nk+2 {
		return errors.New("too few columns")
	}
	ids := make([]uint32, n)
	if nk == 0 {
		if n > 0 {
			id, err := s.table.InsertEmpty()
			if err != nil {
				return err
			}
			for i := range ids {
				ids[i] = id
			}
		}
	} else {
		var err error
		if ids, err = s.table.Insert(rec.Columns()[:nk], ids); err != nil {
			return err
		}
	}
	starts, ok1 := rec.Column(nk).(*array.Int64)
	ends, ok2 := rec.Column(nk + 1).(*array.Int64)
	if !ok1 || !ok2 {
		return errors.New("the session columns have the wrong types")
	}
	groups := make([]uint32, n)
	for i, id := range ids {
		if int(id) >= len(s.sessions) {
			s.sessions = accumGrow(s.sessions, int(id)+1)
		}
		sp := sessSpan{start: starts.Value(i), end: ends.Value(i), g: s.newGroup()}
		if sp.end <= sp.start {
			return fmt.Errorf("session %d ends before it starts", i)
		}
		groups[i] = sp.g
		s.sessions[id] = append(s.sessions[id], sp)
		s.open++
		heap.Push(&s.ends, sessEnd{end: sp.end, key: id, g: sp.g})
	}
	for _, ss := range s.sessions {
		sort.Slice(ss, func(a, b int) bool { return ss[a].start < ss[b].start })
	}
	c := rec.Columns()[nk+2:]
	fs := rec.Schema().Fields()[nk+2:]
	for j, acc := range s.accs {
		prefix := fmt.Sprintf("state_%d_", j)
		k := 0
		for k < len(c) && len(fs[k].Name) > len(prefix) && fs[k].Name[:len(prefix)] == prefix {
			k++
		}
		if k == 0 {
			return fmt.Errorf("missing the state of aggregate %d", j)
		}
		if err := acc.Merge(groups, c[:k]); err != nil {
			return err
		}
		c, fs = c[k:], fs[k:]
	}
	return nil
}
