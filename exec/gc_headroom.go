package exec

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// gcHeadroomBytes is the garbage the collector may let pile up between
// two collections, at least: with a live heap smaller than it, Go's
// default (GOGC=100, garbage up to the live heap) holds.
const gcHeadroomBytes = 64 << 20

// gcMinPercent is the least GOGC the tuner sets: garbage up to an eighth
// of the live heap.
const gcMinPercent = 12

var gcTuneOnce sync.Once

// BoundGCHeadroom makes the garbage collector keep the garbage it lets
// pile up between collections to max(64 MiB, 1/8 of the live heap, its
// scannable part) instead of Go's default of the whole live heap (see
// gcHeadroomFor), unless the GOGC
// environment variable chooses otherwise; unless GOMEMLIMIT is set, it
// also sets a soft memory limit of the live heap and twice that headroom,
// so that memory freed is returned to the system. The
// limit follows the live heap after every collection; the default
// max_state_bytes is read from the memory limit before any is set. A query holding a large state
// (GROUP BY over millions of keys) then takes about its state's size in
// memory rather than twice that; the state is pointer-free, so the more
// frequent collections cost little. After every collection the live
// heap sets GOGC for the next one. It is for the process
// that runs queries (weir run) and is safe to call more than once.
func BoundGCHeadroom() {
	if os.Getenv("GOGC") != "" {
		return
	}
	gcTuneOnce.Do(func() {
		DefaultMaxStateBytes() // read the memory limit before the tuner sets one
		t := &gcTuner{percent: 100, limit: os.Getenv("GOMEMLIMIT") == "", sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/heap:bytes"}}}
		t.arm()
	})
}

// gcTuner resets GOGC after every collection, from a finalizer that runs
// once per cycle and arms the next one.
type gcTuner struct {
	mu      sync.Mutex
	limit   bool // also set the memory limit (GOMEMLIMIT not set)
	percent int
	sample  []metrics.Sample
}

// gcSentinel is an object whose finalizer tells that a collection ran.
type gcSentinel struct{ t *gcTuner }

func (t *gcTuner) arm() {
	s := &gcSentinel{t}
	runtime.SetFinalizer(s, func(s *gcSentinel) {
		s.t.retune()
		s.t.arm()
	})
}

func (t *gcTuner) retune() {
	t.mu.Lock()
	defer t.mu.Unlock()
	metrics.Read(t.sample)
	if t.sample[0].Value.Kind() != metrics.KindUint64 || t.sample[1].Value.Kind() != metrics.KindUint64 {
		return
	}
	h := gcHeadroomFor(t.sample[0].Value.Uint64(), t.sample[1].Value.Uint64())
	if p := h.percent; p != t.percent {
		t.percent = p
		debug.SetGCPercent(p)
	}
	if t.limit {
		debug.SetMemoryLimit(h.limit)
	}
}

// gcHeadroom is the collector's setting for a live heap: GOGC and the soft
// memory limit.
type gcHeadroom struct {
	percent int
	limit   int64 // math.MaxInt64: none
}

// gcHeadroomFor is the setting over a live heap of live bytes, scan of
// them scannable (holding pointers). The garbage allowed between two
// collections is the largest of 64 MiB, live/8 and scan: a collection
// costs about the scannable heap, so between two of them the program
// allocates at least that much and collecting stays as cheap, per byte
// allocated, as under Go's default. A large pointer-free state (the
// columns of a GROUP BY) thus gets little headroom, and a heap of
// pointers keeps Go's default. GOGC is 100 up to 64 MiB live, never
// below gcMinPercent; the limit is the live heap and twice the headroom,
// none up to 64 MiB live.
func gcHeadroomFor(live, scan uint64) gcHeadroom {
	if live <= gcHeadroomBytes {
		return gcHeadroom{100, math.MaxInt64}
	}
	room := max(gcHeadroomBytes, live/8, scan)
	return gcHeadroom{
		percent: min(100, max(gcMinPercent, int(room*100/live))),
		limit:   int64(live + 2*room),
	}
}
