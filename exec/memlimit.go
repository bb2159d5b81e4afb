package exec

import (
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// minDefaultStateBytes is the smallest default state limit: below it a
// query could hardly keep any state.
const minDefaultStateBytes = 64 << 20

// DefaultMaxStateBytes is the state limit of a query that sets none (SET
// max_state_bytes): half the memory the process may use, and at least
// 64 MiB. That memory is GOMEMLIMIT when it is set; otherwise the
// smallest of the cgroup v2 memory limit, half the address-space limit
// (ulimit -v: Go's address space runs to about twice its heap) and the
// machine's memory, of those that are known. It is 0 (no limit) when none
// is.
func DefaultMaxStateBytes() int64 {
	return defaultStateBytes()
}

var defaultStateBytes = sync.OnceValue(func() int64 {
	return stateBytesFor(memoryLimit())
})

// stateBytesFor is the default state limit under a memory limit (0:
// unknown).
func stateBytesFor(limit int64) int64 {
	if limit <= 0 {
		return 0
	}
	return max(limit/2, minDefaultStateBytes)
}

// memoryLimit is the memory the process may use, as DefaultMaxStateBytes
// describes, or 0 if unknown.
func memoryLimit() int64 {
	if l := debug.SetMemoryLimit(-1); l > 0 && l != math.MaxInt64 {
		return l
	}
	var limit int64
	lower := func(n int64) {
		if n > 0 && (limit == 0 || n < limit) {
			limit = n
		}
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		lower(parseCgroupMax(string(b)))
	}
	// Go's address space runs to about twice its heap: an address-space
	// limit counts for half as much memory.
	lower(addressSpaceLimit() / 2)
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		lower(parseMemTotal(string(b)))
	}
	return limit
}

// parseCgroupMax reads a cgroup v2 memory.max file: a number of bytes,
// or "max" (no limit: 0).
func parseCgroupMax(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// parseMemTotal reads MemTotal (in kB) from /proc/meminfo, in bytes; 0
// if it is missing.
func parseMemTotal(s string) int64 {
	for _, line := range strings.Split(s, "\n") {
		rest, ok := strings.CutPrefix(line, "MemTotal:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n <= 0 || n > math.MaxInt64>>10 {
			return 0
		}
		return n << 10
	}
	return 0
}
