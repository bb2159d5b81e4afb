package file

import (
	"fmt"
	"os"
	"runtime"
)

// mapped reports whether the file is read through a memory mapping,
// deciding it on the first call (when reading starts): a regular file of at
// least minMapSize bytes is mapped, as long as it is then. A file that
// cannot be mapped is read.
func (s *Source) mapped() bool {
	if s.mapState == mapUndecided {
		s.mapState = mapNo
		st, err := s.f.Stat()
		if err == nil && st.Mode().IsRegular() && st.Size() >= minMapSize {
			if mm, err := mapFile(s.f, st.Size()); err == nil {
				s.mm, s.mapState = mm, mapYes
			}
		}
	}
	return s.mapState == mapYes
}

// fillMapped is fill for a mapped file: buf becomes the window of the
// mapping from s.offset (the undecoded tail) of chunkSize bytes, or twice
// the tail if that is more, but at most bufCap, so a record that does not
// fit is bad, exactly as when reading.
func (s *Source) fillMapped() (full bool, err error) {
	tail := s.end - s.start
	if tail >= s.bufCap {
		return true, nil
	}
	s.dropMapped(s.dropped, s.offset)
	s.dropped = max(s.dropped, s.offset)
	end := min(int64(len(s.mm)), s.offset+int64(min(s.bufCap, max(chunkSize, 2*tail))))
	s.buf = s.mm[s.offset:end:end]
	s.start, s.end = 0, len(s.buf)
	s.eof = end == int64(len(s.mm))
	return false, nil
}

// pageSize is the unit dropMapped works in.
var pageSize = int64(os.Getpagesize())

// dropMapped takes the whole pages of the mapping within [from, to), read
// and decoded already, out of the process's resident memory, so that
// reading a large file does not make the process look as large.
func (s *Source) dropMapped(from, to int64) {
	from = (from + pageSize - 1) / pageSize * pageSize
	to = to / pageSize * pageSize
	if to-from >= 16*pageSize {
		dropPages(s.mm[from:to])
	}
}

// refill drops what buf holds and reads the next part of the file into it.
func (s *Source) refill() error {
	s.start, s.end = 0, 0
	if s.mapped() {
		_, err := s.fillMapped()
		return err
	}
	var err error
	s.end, err = s.read(s.buf)
	return err
}

// faultError is the error a fault reading a mapped file becomes.
func (s *Source) faultError() error {
	return fmt.Errorf("table %s: %s got shorter while it was being read", s.table, s.path)
}

// recoverFault, deferred after debug.SetPanicOnFault(true), turns a fault
// reading the mapped file (it was truncated) into the source's fatal
// error, stored in *err. Other panics go on.
func (s *Source) recoverFault(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if _, ok := r.(interface{ Addr() uintptr }); !ok {
		panic(r)
	}
	if _, ok := r.(runtime.Error); !ok {
		panic(r)
	}
	*err = s.fail(s.faultError())
}
