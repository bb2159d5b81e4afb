package planner

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
)

// MaxParallelism is the largest parallelism a query may ask for.
const MaxParallelism = 256

// DefaultParallelism is the parallelism of a session that did not SET
// one: the number of cores the process may use.
func DefaultParallelism() int { return max(1, runtime.GOMAXPROCS(0)) }

// ParseParallelism reads a parallelism: a whole number from 1 to
// MaxParallelism.
func ParseParallelism(text string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil || n < 1 || n > MaxParallelism {
		return 0, fmt.Errorf("need a whole number of workers from 1 to %d, got %q", MaxParallelism, text)
	}
	return n, nil
}

// Parallelism is the number of workers each query of the session runs
// on: SET parallelism, or DefaultParallelism.
func (s *Session) Parallelism() int {
	if v, ok := s.Settings["parallelism"]; ok {
		if n, err := ParseParallelism(v); err == nil {
			return n
		}
	}
	return DefaultParallelism()
}
