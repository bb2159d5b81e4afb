package exec

import (
	"math"
	"testing"
)

// TestGCHeadroomFor: Go's default up to 64 MiB live; above, garbage of
// 64 MiB, an eighth of the live heap, or its scannable part, whichever is
// largest, and a memory limit of the live heap and twice that.
func TestGCHeadroomFor(t *testing.T) {
	const mi = 1 << 20
	for _, c := range []struct {
		live, scan uint64
		want       gcHeadroom
	}{
		{0, 0, gcHeadroom{100, math.MaxInt64}},
		{64 * mi, 64 * mi, gcHeadroom{100, math.MaxInt64}},
		{128 * mi, 1 * mi, gcHeadroom{50, 256 * mi}},
		{256 * mi, 1 * mi, gcHeadroom{25, 384 * mi}},
		{1024 * mi, 1 * mi, gcHeadroom{12, 1280 * mi}},
		{4096 * mi, 1 * mi, gcHeadroom{12, 5120 * mi}},
		{1024 * mi, 512 * mi, gcHeadroom{50, 2048 * mi}},   // half of it pointers
		{1024 * mi, 1024 * mi, gcHeadroom{100, 3072 * mi}}, // all pointers: Go's default
	} {
		if got := gcHeadroomFor(c.live, c.scan); got != c.want {
			t.Errorf("gcHeadroomFor(%d MiB live, %d MiB scannable) = %+v, want %+v", c.live/mi, c.scan/mi, got, c.want)
		}
	}
}
