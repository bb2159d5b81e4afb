package exec

import (
	"math"
	"testing"
)

// TestGCHeadroomFor: garbage of 64 MiB, an eighth of the live heap, or
// its scannable part, whichever is largest, and above 64 MiB live a memory
// limit of the live heap and twice that.
func TestGCHeadroomFor(t *testing.T) {
	const mi = 1 << 20
	for _, c := range []struct {
		live, scan uint64
		want       gcHeadroom
	}{
		{0, 0, gcHeadroom{6400, math.MaxInt64}},
		{4 * mi, 1 * mi, gcHeadroom{1600, math.MaxInt64}},
		{32 * mi, 32 * mi, gcHeadroom{200, math.MaxInt64}},
		{64 * mi, 64 * mi, gcHeadroom{100, math.MaxInt64}},
		{128 * mi, 1 * mi, gcHeadroom{50, 256 * mi}},
		{256 * mi, 1 * mi, gcHeadroom{25, 384 * mi}},
		{1024 * mi, 1 * mi, gcHeadroom{12, 1280 * mi}},
		{4096 * mi, 1 * mi, gcHeadroom{12, 5120 * mi}},
		{1024 * mi, 512 * mi, gcHeadroom{50, 2048 * mi}},   // half of it pointers
		{1024 * mi, 1024 * mi, gcHeadroom{100, 3072 * mi}}, // all pointers: Go's default
	} {
		if got := gcHeadroomFor(c.live, c.scan, 1); got != c.want {
			t.Errorf("gcHeadroomFor(%d MiB live, %d MiB scannable) = %+v, want %+v", c.live/mi, c.scan/mi, got, c.want)
		}
	}
}

// TestGCHeadroomScaled: a scale multiplies the scannable part's share of
// the headroom of a heap above 64 MiB, never past Go's default; a
// pointer-free heap and a small one keep theirs.
func TestGCHeadroomScaled(t *testing.T) {
	const mi = 1 << 20
	for _, c := range []struct {
		live, scan, scale uint64
		want              gcHeadroom
	}{
		{32 * mi, 32 * mi, 8, gcHeadroom{200, math.MaxInt64}},
		{1024 * mi, 1 * mi, 2, gcHeadroom{12, 1280 * mi}}, // pointer-free: stays compact
		{1024 * mi, 256 * mi, 2, gcHeadroom{50, 2048 * mi}},
		{1024 * mi, 256 * mi, 8, gcHeadroom{100, 3072 * mi}},
	} {
		if got := gcHeadroomFor(c.live, c.scan, c.scale); got != c.want {
			t.Errorf("gcHeadroomFor(%d MiB live, %d MiB scannable, scale %d) = %+v, want %+v", c.live/mi, c.scan/mi, c.scale, got, c.want)
		}
	}
}

// TestGCScale: the scale doubles while the collector takes more than
// gcShareHigh of the CPU time, up to gcMaxScale, and halves under
// gcShareLow, down to 1.
func TestGCScale(t *testing.T) {
	for _, c := range []struct {
		scale    uint64
		gc, user float64
		want     uint64
	}{
		{1, 0.2, 0.8, 2},
		{4, 0.2, 0.8, 8},
		{8, 0.5, 0.5, 8},
		{4, 0.03, 0.97, 4},
		{4, 0.01, 0.99, 2},
		{1, 0.01, 0.99, 1},
		{2, 0, 0, 1},
	} {
		if got := gcScale(c.scale, c.gc, c.user); got != c.want {
			t.Errorf("gcScale(%d, %g, %g) = %d, want %d", c.scale, c.gc, c.user, got, c.want)
		}
	}
}
