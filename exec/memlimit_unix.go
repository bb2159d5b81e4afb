//go:build unix

package exec

import (
	"math"
	"syscall"
)

// addressSpaceLimit is the process's address-space limit (RLIMIT_AS,
// ulimit -v) in bytes, or 0 if there is none (unlimited is all ones).
func addressSpaceLimit() int64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &r); err != nil || r.Cur == 0 || r.Cur > math.MaxInt64 {
		return 0
	}
	return int64(r.Cur)
}
