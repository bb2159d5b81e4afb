//go:build unix

package file

import (
	"os"
	"syscall"
)

// mapFile maps the first size bytes of f read-only. The mapping stays
// valid after f is closed; unmapFile releases it.
func mapFile(f *os.File, size int64) ([]byte, error) {
	if int64(int(size)) != size {
		return nil, syscall.EFBIG
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	// The file is read front to back: let the kernel read ahead.
	// _ = syscall.Madvise(b, syscall.MADV_SEQUENTIAL)
	return b, nil
}

// unmapFile releases a mapping made by mapFile.
func unmapFile(b []byte) error { return syscall.Munmap(b) }
