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
// two collections, at least. Go's default (GOGC=100, garbage up to the
// live heap) collects a small heap every few MiB allocated: a query whose
// live heap is 5 MiB but allocates its batches at 1 GB/s would collect
// 200 times a second, a quarter of its CPU time.
const gcHeadroomBytes = 64 << 20

// gcMinPercent is the least GOGC the tuner sets: garbage up to an eighth
// of the live heap.
const gcMinPercent = 12

// gcLiveFloor is the least live heap the tuner divides the headroom by: a
// GOGC of at most 6400.
const gcLiveFloor = 1 << 20

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
// that runs queries (weir run, weir bench) and is safe to call more than
// once.
func BoundGCHeadroom() {
	if os.Getenv("GOGC") != "" {
		return
	}
	gcTuneOnce.Do(func() {
		DefaultMaxStateBytes() // read the memory limit before the tuner sets one
		t := &gcTuner{percent: 100, scale: 1, limit: os.Getenv("GOMEMLIMIT") == "", sample: []metrics.Sample{
			{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/heap:bytes"},
			{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/cpu/classes/user:cpu-seconds"},
			{Name: "/cpu/classes/gc/mark/idle:cpu-seconds"},
		}}
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
	// scale multiplies the headroom of a heap above 64 MiB while the
	// collector takes too much of the CPU time (see gcShareHigh).
	scale uint64
	// The collector's and the program's CPU seconds at the last retune.
	gcSecs, userSecs float64
}

// A heap of many pointers (a join's rows, a changelog's keys) costs a
// collection a mark of all of them: with the headroom of a compact state,
// collecting took a fifth of Nexmark q5's CPU time. Over a cycle in which
// the collector took more than gcShareHigh of the CPU time (its own and
// the program's; marking on an idle core aside), the tuner doubles the
// part of the headroom the scannable heap sets (up to gcMaxScale times,
// never more garbage than Go's default); under gcShareLow, it halves it.
// Scaling the whole headroom instead let a GROUP BY over 10 M BIGINT keys,
// which collects often while its table grows, peak at 68 bytes a key
// rather than 61.
const (
	gcShareHigh = 0.05
	gcShareLow  = 0.02
	gcMaxScale  = 8
)

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
	if t.sample[2].Value.Kind() == metrics.KindFloat64 && t.sample[3].Value.Kind() == metrics.KindFloat64 && t.sample[4].Value.Kind() == metrics.KindFloat64 {
		// Marking on an idle core takes nothing from the program.
		gc, user := t.sample[2].Value.Float64()-t.sample[4].Value.Float64(), t.sample[3].Value.Float64()
		t.scale = gcScale(t.scale, gc-t.gcSecs, user-t.userSecs)
		t.gcSecs, t.userSecs = gc, user
	}
	h := gcHeadroomFor(t.sample[0].Value.Uint64(), t.sample[1].Value.Uint64(), t.scale)
	if p := h.percent; p != t.percent {
		t.percent = p
		debug.SetGCPercent(p)
	}
	if t.limit {
		debug.SetMemoryLimit(h.limit)
	}
}

// gcScale is the tuner's next scale, from the last one and the CPU
// seconds the collector and the program took since the last collection.
func gcScale(scale uint64, gc, user float64) uint64 {
	if gc <= 0 || gc+user <= 0 {
		return max(scale/2, 1)
	}
	switch share := gc / (gc + user); {
	case share > gcShareHigh:
		return min(scale*2, gcMaxScale)
	case share < gcShareLow:
		return max(scale/2, 1)
	}
	return scale
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
// pointers keeps Go's default. A small heap (up to 64 MiB live) thus gets
// 64 MiB of garbage, a GOGC above 100 (see gcHeadroomBytes). Above 64 MiB
// the scannable part counts scale times (see gcTuner), up to the live
// heap (Go's default): a pointer-free state stays compact however busy
// the collector is; GOGC is never below gcMinPercent; the limit is the live
// heap and twice the headroom, none up to 64 MiB live.
func gcHeadroomFor(live, scan, scale uint64) gcHeadroom {
	room := max(gcHeadroomBytes, live/8, scan)
	if live <= gcHeadroomBytes {
		return gcHeadroom{int(room * 100 / max(live, gcLiveFloor)), math.MaxInt64}
	}
	room = max(room, min(scan*scale, live))
	return gcHeadroom{
		percent: min(100, max(gcMinPercent, int(room*100/live))),
		limit:   int64(live + 2*room),
	}
}
