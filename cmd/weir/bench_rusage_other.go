//go:build !unix

package main

import (
	"os"
	"time"
)

// processCPU is unknown here: CPU use is reported as 0.
func processCPU() time.Duration { return 0 }

// childUsage is a finished child's user+sys CPU time; its peak RSS is
// unknown here.
func childUsage(ps *os.ProcessState) (time.Duration, int64) {
	return ps.UserTime() + ps.SystemTime(), 0
}
