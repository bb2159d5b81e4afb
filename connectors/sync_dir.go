package connectors

import (
	"errors"
	"os"
	"syscall"
)

// SyncDir fsyncs directory dir, making a file created or renamed in it
// durable: the step after a rename that a sink's or source's state
// (a spill file, a write-ahead log, a file sink's part) relies on. File
// systems that cannot sync a directory (EINVAL, ENOTSUP) are let be.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}
