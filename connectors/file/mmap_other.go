//go:build !unix

package file

import (
	"errors"
	"os"
)

// mapFile is not supported here: the source reads the file instead.
func mapFile(*os.File, int64) ([]byte, error) {
	return nil, errors.New("memory-mapped files are not supported on this system")
}

// unmapFile is never called here.
func unmapFile([]byte) error { return nil }

// dropPages is never called here.
func dropPages([]byte) {}
