package exec

import (
	"encoding/gob"
	"fmt"
	"io"
)

// topnSnapshot is a TopN's state as written to a checkpoint.
type topnSnapshot struct {
	Seq   uint64
	Wm    int64
	Parts []topnPartSnapshot
}

// topnPartSnapshot is one partition: its rows (cells and arrival numbers)
// and the rows last emitted.
type topnPartSnapshot struct {
	Key     string
	End     int64
	First   uint64
	Rows    [][]Cell
	Seqs    []uint64
	Emitted [][]Cell
	Ranks   []int64 // of Emitted
}

// Snapshot implements Snapshotter: every partition's rows, gob-encoded.
// It is taken between micro-batches, when no partition is dirty.
func (t *TopN) Snapshot(w io.Writer) error {
	s := topnSnapshot{Seq: t.seq, Wm: t.wm}
	t.parts.each(func(p *topnPart) {
		ps := topnPartSnapshot{Key: t.parts.keyOf(p, len(t.cfg.Partition)), End: p.end, First: p.first}
		for _, r := range p.rows {
			ps.Rows = append(ps.Rows, unpackCells(r.data, t.types))
			ps.Seqs = append(ps.Seqs, r.seq)
		}
		for _, r := range p.emitted {
			ps.Emitted = append(ps.Emitted, unpackCells(r.data, t.types))
		}
		ps.Ranks = p.ranks
		s.Parts = append(s.Parts, ps)
	})
	if err := gob.NewEncoder(w).Encode(&s); err != nil {
		return fmt.Errorf("top-N: %w", err)
	}
	return nil
}

// Restore implements Snapshotter.
func (t *TopN) Restore(r io.Reader) error {
	var s topnSnapshot
	if err := gob.NewDecoder(r).Decode(&s); err != nil {
		return fmt.Errorf("top-N: %w", err)
	}
	t.Close()
	t.seq, t.wm = s.Seq, s.Wm
	now := t.clock.Now().UnixNano()
	for _, ps := range s.Parts {
		if len(ps.Seqs) != len(ps.Rows) {
			return fmt.Errorf("top-N: corrupt snapshot: %d rows, %d arrival numbers", len(ps.Rows), len(ps.Seqs))
		}
		// The key is made again from a row's partition cells, so that it
		// is this version's encoding whatever the snapshot's was.
		pk, key, err := t.restoredKey(ps)
		if err != nil {
			return err
		}
		p := newTopnPart(key, ps.End, ps.First)
		for i, cells := range ps.Rows {
			if len(cells) != len(t.types) {
				return fmt.Errorf("top-N: snapshot rows have %d columns, the query %d", len(cells), len(t.types))
			}
			p.rows = append(p.rows, topnRow{data: string(packCells(nil, cells, t.types)), seq: ps.Seqs[i]})
			t.rows++
			t.bytes += topnRowBytes(p.rows[i])
		}
		if len(ps.Ranks) != len(ps.Emitted) && (t.cfg.Rank || len(ps.Ranks) > 0) {
			return fmt.Errorf("top-N: corrupt snapshot: %d rows emitted, %d ranks", len(ps.Emitted), len(ps.Ranks))
		}
		p.ranks = ps.Ranks
		for _, cells := range ps.Emitted {
			if len(cells) != len(t.types) {
				return fmt.Errorf("top-N: snapshot rows have %d columns, the query %d", len(cells), len(t.types))
			}
			p.emitted = append(p.emitted, topnRow{data: string(packCells(nil, cells, t.types))})
		}
		t.parts.put(p, pk)
		if t.cfg.TTL > 0 && t.cfg.WindowEnd < 0 {
			// Idle times are not saved: a restored partition counts as
			// updated now.
			p.touched = now
			t.ttlQueue = append(t.ttlQueue, topnTouch{p, now})
		}
	}
	return nil
}

// restoredKey returns the partition cells and encoded key (for the string
// map) of a partition from a snapshot, from one of its rows.
func (t *TopN) restoredKey(ps topnPartSnapshot) ([]Cell, string, error) {
	var row []Cell
	switch {
	case len(ps.Rows) > 0:
		row = ps.Rows[0]
	case len(ps.Emitted) > 0:
		row = ps.Emitted[0]
	}
	var pk []Cell
	if row != nil {
		for _, c := range t.cfg.Partition {
			if c >= len(row) {
				return nil, "", fmt.Errorf("top-N: snapshot rows have %d columns, the query %d", len(row), len(t.types))
			}
			pk = append(pk, row[c])
		}
	} else if t.parts.ints {
		var ok bool
		if pk, ok = cellsOfKey(ps.Key, len(t.cfg.Partition)); !ok {
			return nil, "", fmt.Errorf("top-N: corrupt snapshot: a partition key of %d bytes", len(ps.Key))
		}
	} else {
		return nil, ps.Key, nil
	}
	if t.parts.ints {
		return pk, "", nil
	}
	return pk, string(encodeCells(nil, pk)), nil
}
