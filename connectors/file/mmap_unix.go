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
	return b, nil
}

// dropPages tells the kernel that the whole pages of b are not needed any
// more: they leave the process's resident memory (and stay in the page
// cache); reading them again maps them again.
func dropPages(b []byte) {
	_ = syscall.Madvise(b, syscall.MADV_DONTNEED)
}

// unmapFile releases a mapping made by mapFile.
func unmapFile(b []byte) error { return syscall.Munmap(b) }
