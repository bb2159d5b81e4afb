package exec

import (
	"math"
	"testing"
)

// TestGCPercentFor: Go's default up to 64 MiB live, then garbage of 64
// MiB, then an eighth of the live heap.
func TestGCPercentFor(t *testing.T) {
	for live, want := range map[uint64]int{
		0: 100, 10 << 20: 100, 64 << 20: 100, 128 << 20: 50, 256 << 20: 25, 512 << 20: 12, 4 << 30: 12,
	} {
		if got := gcPercentFor(live); got != want {
			t.Errorf("gcPercentFor(%d MiB) = %d, want %d", live>>20, got, want)
		}
	}
}

// TestGCLimitFor: no limit up to 64 MiB live, then the live heap and twice
// the headroom.
func TestGCLimitFor(t *testing.T) {
	for live, want := range map[uint64]int64{
		0: math.MaxInt64, 64 << 20: math.MaxInt64, 128 << 20: 256 << 20, 1 << 30: 1<<30 + 256<<20,
	} {
		if got := gcLimitFor(live); got != want {
			t.Errorf("gcLimitFor(%d MiB) = %d, want %d", live>>20, got, want)
		}
	}
}
