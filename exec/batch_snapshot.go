package exec

import (
	"errors"
	"io"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The snapshots of the updating, session, cumulating and window-close
// aggregates share one shape: an Arrow IPC stream of one batch (the
// operator's groups), whose schema metadata holds "format" (which operator
// wrote it), "config" (the operator's fingerprint, so a snapshot of a
// differently configured operator is refused) and scalar counters.

// writeBatchSnapshot writes cols (rows rows, under fields) to w as such a
// snapshot, with metadata format, config and then the pairs of kv (key,
// value, ...). It releases cols.
func writeBatchSnapshot(w io.Writer, mem memory.Allocator, fields []arrow.Field, cols []arrow.Array, rows int, format, config string, kv ...string) error {
	keys, vals := []string{"format", "config"}, []string{format, config}
	for i := 0; i+1 < len(kv); i += 2 {
		keys, vals = append(keys, kv[i]), append(vals, kv[i+1])
	}
	meta := arrow.NewMetadata(keys, vals)
	schema := arrow.NewSchema(fields, &meta)
	rec := array.NewRecordBatch(schema, cols, int64(rows))
	releaseAll(cols)
	defer rec.Release()
	iw := ipc.NewWriter(w, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	if err := iw.Write(rec); err != nil {
		iw.Close()
		return err
	}
	return iw.Close()
}

// batchSnapshot is a snapshot written by writeBatchSnapshot, opened for
// reading; release it when done.
type batchSnapshot struct {
	*ipc.Reader
	md arrow.Metadata
}

// openBatchSnapshot opens a snapshot and checks that it was written by an
// operator of kind format configured as config; the errors otherwise are
// notFormat and otherConfig.
func openBatchSnapshot(r io.Reader, mem memory.Allocator, format, config, notFormat, otherConfig string) (*batchSnapshot, error) {
	ir, err := ipc.NewReader(r, ipc.WithAllocator(mem))
	if err != nil {
		return nil, err
	}
	s := &batchSnapshot{Reader: ir, md: ir.Schema().Metadata()}
	switch {
	case s.get("format") != format:
		err = errors.New(notFormat)
	case s.get("config") != config:
		err = errors.New(otherConfig)
	}
	if err != nil {
		ir.Release()
		return nil, err
	}
	return s, nil
}

// get is the metadata value of key k, "" if there is none.
func (s *batchSnapshot) get(k string) string {
	if i := s.md.FindKey(k); i >= 0 {
		return s.md.Values()[i]
	}
	return ""
}

// snapInt is a counter kept in a snapshot's metadata: its key and where
// it is restored to.
type snapInt struct {
	key string
	dst *int64
}

// ints parses the metadata values of the counters, in order.
func (s *batchSnapshot) ints(cs ...snapInt) error {
	for _, c := range cs {
		v, err := strconv.ParseInt(s.get(c.key), 10, 64)
		if err != nil {
			return err
		}
		*c.dst = v
	}
	return nil
}
