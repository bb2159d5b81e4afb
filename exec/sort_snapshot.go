package exec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// Snapshot implements Snapshotter: the last watermark seen, then the rows
// held for the next emission as an Arrow IPC stream.
func (s *Sort) Snapshot(w io.Writer) error {
	if err := binary.Write(w, binary.BigEndian, s.wm); err != nil {
		return err
	}
	iw := ipc.NewWriter(w, ipc.WithSchema(s.schema), ipc.WithAllocator(s.mem))
	for _, b := range s.buf {
		if err := iw.Write(b); err != nil {
			iw.Close()
			return fmt.Errorf("sort: %w", err)
		}
	}
	return iw.Close()
}

// Restore implements Snapshotter.
func (s *Sort) Restore(r io.Reader) error {
	if err := binary.Read(r, binary.BigEndian, &s.wm); err != nil {
		return fmt.Errorf("sort: %w", err)
	}
	ir, err := ipc.NewReader(r, ipc.WithSchema(s.schema), ipc.WithAllocator(s.mem))
	if err != nil {
		return fmt.Errorf("sort: %w", err)
	}
	defer ir.Release()
	releaseBatches(s.buf)
	s.buf = nil
	for ir.Next() {
		b := ir.RecordBatch()
		b.Retain()
		s.buf = append(s.buf, b)
	}
	if err := ir.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("sort: %w", err)
	}
	return nil
}
