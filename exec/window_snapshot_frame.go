package exec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// winSnapCRC is the table of CRC-32C, the checksum of frames.
var winSnapCRC = crc32.MakeTable(crc32.Castagnoli)

// winSnapFrameWriter cuts what is written into frames of at most
// winSnapFrame bytes, each preceded by its length and CRC-32C (uint32s);
// Close writes what is left and an empty frame, the end.
type winSnapFrameWriter struct {
	w   io.Writer
	buf []byte
	err error
}

// Write buffers p; an error is kept and returned by later calls and Close.
func (f *winSnapFrameWriter) Write(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	n := len(p)
	for len(p) > 0 {
		if f.buf == nil {
			f.buf = make([]byte, 8, 8+winSnapFrame)
		}
		k := min(len(p), 8+winSnapFrame-len(f.buf))
		f.buf = append(f.buf, p[:k]...)
		p = p[k:]
		if len(f.buf) == 8+winSnapFrame {
			if err := f.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// flush writes the buffered frame.
func (f *winSnapFrameWriter) flush() error {
	if f.buf == nil {
		f.buf = make([]byte, 8, 8+winSnapFrame)
	}
	data := f.buf[8:]
	binary.LittleEndian.PutUint32(f.buf, uint32(len(data)))
	binary.LittleEndian.PutUint32(f.buf[4:], crc32.Checksum(data, winSnapCRC))
	if _, err := f.w.Write(f.buf); err != nil {
		f.err = err
		return err
	}
	f.buf = f.buf[:8]
	return nil
}

// Close writes the last frames.
func (f *winSnapFrameWriter) Close() error {
	if f.err != nil {
		return f.err
	}
	if len(f.buf) > 8 {
		if err := f.flush(); err != nil {
			return err
		}
	}
	return f.flush() // the empty frame
}

// winSnapFrameReader reads the frames winSnapFrameWriter writes, checking
// each one's length and checksum before handing out its bytes, up to the
// empty frame: it reads no byte beyond it.
type winSnapFrameReader struct {
	r    io.Reader
	buf  []byte
	pos  int
	done bool
	err  error // a damaged frame
}

// Read implements io.Reader; it returns io.EOF after the last frame.
func (f *winSnapFrameReader) Read(p []byte) (int, error) {
	for f.pos == len(f.buf) {
		if f.err != nil {
			return 0, f.err
		}
		if f.done {
			return 0, io.EOF
		}
		var hdr [8]byte
		if _, err := io.ReadFull(f.r, hdr[:]); err != nil {
			f.err = fmt.Errorf("corrupt snapshot: truncated: %w", err)
			continue
		}
		n := binary.LittleEndian.Uint32(hdr[:])
		if n > winSnapFrame {
			f.err = fmt.Errorf("corrupt snapshot: frame of %d bytes", n)
			continue
		}
		if n == 0 {
			f.done = true
			continue
		}
		if cap(f.buf) < int(n) {
			f.buf = make([]byte, n)
		}
		f.buf, f.pos = f.buf[:n], 0
		if _, err := io.ReadFull(f.r, f.buf); err != nil {
			f.buf, f.err = f.buf[:0], fmt.Errorf("corrupt snapshot: truncated: %w", err)
			continue
		}
		if crc32.Checksum(f.buf, winSnapCRC) != binary.LittleEndian.Uint32(hdr[4:]) {
			f.buf, f.err = f.buf[:0], errors.New("corrupt snapshot: checksum mismatch")
		}
	}
	n := copy(p, f.buf[f.pos:])
	f.pos += n
	return n, nil
}
