package exec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// partSnapMagic starts the snapshot of a Partitioned operator: the
// number of partitions follows, then each partition's snapshot with its
// length.
const partSnapMagic = "WEIRPART"

// Snapshot implements Snapshotter: every partition's state, in order.
func (p *Partitioned) Snapshot(w io.Writer) error {
	var hdr [12]byte
	copy(hdr[:8], partSnapMagic)
	binary.LittleEndian.PutUint32(hdr[8:], uint32(len(p.parts)))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, op := range p.parts {
		buf.Reset()
		if err := op.(Snapshotter).Snapshot(&buf); err != nil {
			return err
		}
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(buf.Len()))
		if _, err := w.Write(n[:]); err != nil {
			return err
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// Restore implements Snapshotter. A snapshot taken with another number of
// partitions is refused: a key's state lives in the partition its hash
// names, which depends on the number of partitions.
func (p *Partitioned) Restore(r io.Reader) error {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil || string(hdr[:8]) != partSnapMagic {
		return fmt.Errorf("%s: the snapshot was not taken at parallelism %d: restart at the parallelism it was taken at, or with --reset", p, len(p.parts))
	}
	if n := int(binary.LittleEndian.Uint32(hdr[8:])); n != len(p.parts) {
		return fmt.Errorf("%s: the snapshot was taken at parallelism %d, this run has %d: restart with --parallelism %d, or with --reset", p, n, len(p.parts), n)
	}
	for _, op := range p.parts {
		var n [8]byte
		if _, err := io.ReadFull(r, n[:]); err != nil {
			return fmt.Errorf("%s: truncated snapshot: %v", p, err)
		}
		// Each partition reads its own buffer: a snapshot reader may read
		// ahead of what it needs.
		size := binary.LittleEndian.Uint64(n[:])
		if size > 1<<40 {
			return fmt.Errorf("%s: corrupt snapshot: partition of %d bytes", p, size)
		}
		buf := make([]byte, size)
		if _, err := io.ReadFull(r, buf); err != nil {
			return fmt.Errorf("%s: truncated snapshot: %v", p, err)
		}
		if err := op.(Snapshotter).Restore(bytes.NewBuffer(buf)); err != nil {
			return err
		}
	}
	return nil
}
