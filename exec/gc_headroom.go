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
// pile up between collections to max(64 MiB, 1/8 of the live heap)
// instead of Go's default of the whole live heap, unless the GOGC
// environment variable chooses otherwise; unless GOMEMLIMIT is set, it
// also sets a soft memory limit of the live heap and twice that headroom
// (gcLimitFor), so that memory freed is returned to the system. The
// limit follows the live heap after every collection; the default
// max_state_bytes is read from the memory limit before any is set. A query holding a large state
// (GROUP BY over millions of keys) then takes about its state's size in
// memory rather than twice that; the state is pointer-free, so the more
// frequent collections cost little. After every collection the live
// heap sets GOGC for the next one (gcPercentFor). It is for the process
// that runs queries (weir run) and is safe to call more than once.
func BoundGCHeadroom() {
	if os.Getenv("GOGC") != "" {
		return
	}
	gcTuneOnce.Do(func() {
		DefaultMaxStateBytes() // read the memory limit before the tuner sets one
		t := &gcTuner{percent: 100, limit: os.Getenv("GOMEMLIMIT") == "", sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
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
	if t.sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	live := t.sample[0].Value.Uint64()
	if p := gcPercentFor(live); p != t.percent {
		t.percent = p
		debug.SetGCPercent(p)
	}
	if t.limit {
		debug.SetMemoryLimit(gcLimitFor(live))
	}
}

// gcPercentFor is the GOGC that lets garbage reach max(gcHeadroomBytes,
// live/8) over a live heap of live bytes: 100 up to 64 MiB live, less
// above, down to gcMinPercent from 512 MiB.
func gcPercentFor(live uint64) int {
	if live <= gcHeadroomBytes {
		return 100
	}
	return max(gcMinPercent, int(gcHeadroomBytes*100/live))
}

// gcLimitFor is the soft memory limit over a live heap of live bytes: none
// up to 64 MiB live; above, the live heap and twice the headroom, so that
// the runtime returns to the system the memory it freed rather than keep
// it until it needs it again.
func gcLimitFor(live uint64) int64 {
	if live <= gcHeadroomBytes {
		return math.MaxInt64
	}
	return int64(live + 2*max(gcHeadroomBytes, live/8))
}
