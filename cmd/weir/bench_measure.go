package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirdb/weir/bench"
)

// memSampleEvery is how often a meter samples memory.
const memSampleEvery = 50 * time.Millisecond

// meter measures one in-process run: wall time and CPU time from mark to
// stop, and peak memory from its start to stop.
type meter struct {
	// hwm is true when the kernel's peak RSS (VmHWM) was reset at the
	// start, so that it is this run's peak.
	hwm      bool
	start    time.Time
	cpu0     time.Duration
	peakHeap atomic.Int64
	peakRSS  atomic.Int64
	quit     chan struct{}
	done     chan struct{}
	stopped  bool
	result   measurement
}

// startMeter collects and returns the garbage of earlier runs to the OS,
// resets the peak RSS, and starts sampling memory.
func startMeter() *meter {
	runtime.GC()
	debug.FreeOSMemory()
	m := &meter{quit: make(chan struct{}), done: make(chan struct{})}
	m.hwm = resetPeakRSS()
	m.sample()
	go func() {
		defer close(m.done)
		t := time.NewTicker(memSampleEvery)
		defer t.Stop()
		for {
			select {
			case <-m.quit:
				m.sample()
				return
			case <-t.C:
				m.sample()
			}
		}
	}()
	m.mark()
	return m
}

// heapSample reads the heap in use (HeapInuse) without stopping the world.
var heapSample = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
}

func (m *meter) sample() {
	s := make([]metrics.Sample, len(heapSample))
	copy(s, heapSample)
	metrics.Read(s)
	var heap int64
	for _, v := range s {
		if v.Value.Kind() == metrics.KindUint64 {
			heap += int64(v.Value.Uint64())
		}
	}
	storeMax(&m.peakHeap, heap)
	if !m.hwm {
		if rss, ok := procStatusBytes("VmRSS"); ok {
			storeMax(&m.peakRSS, rss)
		}
	}
}

func storeMax(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// mark starts the clocks: wall time and CPU time count from here.
func (m *meter) mark() {
	m.start = time.Now()
	m.cpu0 = processCPU()
}

// stop ends the measurement now.
func (m *meter) stop() measurement { return m.stopAt(time.Now()) }

// stopAt ends the measurement, with end as the end of the wall time.
// Later calls return the first result.
func (m *meter) stopAt(end time.Time) measurement {
	if m.stopped {
		return m.result
	}
	m.stopped = true
	cpu := processCPU() - m.cpu0
	close(m.quit)
	<-m.done
	r := measurement{wall: end.Sub(m.start), cpu: cpu, peakHeap: m.peakHeap.Load()}
	switch hwm, ok := procStatusBytes("VmHWM"); {
	case m.hwm && ok:
		r.peakMem, r.peakMemSource = hwm, "VmHWM"
	case m.peakRSS.Load() > 0:
		r.peakMem, r.peakMemSource = m.peakRSS.Load(), "VmRSS"
	default:
		r.peakMem, r.peakMemSource = r.peakHeap, "HeapInuse"
	}
	m.result = r
	return r
}

// resetPeakRSS resets the process's VmHWM to its current RSS (Linux 4.0+),
// and reports whether it did.
func resetPeakRSS() bool {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return false
	}
	hwm, ok1 := procStatusBytes("VmHWM")
	rss, ok2 := procStatusBytes("VmRSS")
	// Right after a reset the peak is the current RSS (give or take the
	// pages touched in between).
	return ok1 && ok2 && hwm <= rss+(4<<20)
}

// procStatusBytes reads a "kB" field of /proc/self/status, in bytes.
func procStatusBytes(key string) (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	return statusBytes(b, key)
}

// statusBytes reads a "kB" field of a /proc/PID/status text, in bytes.
func statusBytes(b []byte, key string) (int64, bool) {
	i := bytes.Index(b, []byte(key+":"))
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+len(key)+1:])
	if len(f) < 2 || string(f[1]) != "kB" {
		return 0, false
	}
	kb, err := strconv.ParseInt(string(f[0]), 10, 64)
	return kb * 1024, err == nil
}

// measurement is what a meter measured.
type measurement struct {
	wall, cpu     time.Duration
	peakMem       int64
	peakMemSource string
	peakHeap      int64
}

// run turns a measurement over the generated text into a benchRun.
func (m measurement) run(name, source string, gen bench.TextStats) benchRun {
	r := benchRun{Name: name, Source: source, Seconds: m.wall.Seconds(), PeakMemBytes: m.peakMem,
		PeakMemSource: m.peakMemSource, PeakHeapInuseBytes: m.peakHeap, CPUSeconds: m.cpu.Seconds()}
	if s := m.wall.Seconds(); s > 0 {
		r.LinesPerSec = float64(gen.Lines) / s
		r.MBPerSec = float64(gen.Bytes) / 1e6 / s
		r.Cores = m.cpu.Seconds() / s
	}
	return r
}

// benchProgress draws a one-line progress report on a terminal: the
// phase, the percentage of lines done and the rate.
type benchProgress struct {
	w       io.Writer
	enabled bool
	mu      sync.Mutex
	name    string
	done    func() int64
	total   int64
	start   time.Time
	quit    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once

	// unit is what is counted ("lines" if empty).
	unit string
}

func newBenchProgress(w io.Writer, enabled bool) *benchProgress {
	p := &benchProgress{w: w, enabled: enabled, quit: make(chan struct{})}
	if enabled {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-p.quit:
					return
				case <-t.C:
					p.draw()
				}
			}
		}()
	}
	return p
}

// phase starts a new phase; done, if not nil, counts the lines done of
// total.
func (p *benchProgress) phase(name string, done func() int64, total int64) {
	if !p.enabled {
		return
	}
	p.mu.Lock()
	p.name, p.done, p.total, p.start = name, done, total, time.Now()
	p.mu.Unlock()
	p.draw()
}

func (p *benchProgress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.name == "" {
		return
	}
	el := time.Since(p.start)
	line := fmt.Sprintf("%s  %s", p.name, el.Round(100*time.Millisecond))
	if p.done != nil && p.total > 0 {
		d := p.done()
		unit := p.unit
		if unit == "" {
			unit = "lines"
		}
		frac := min(1, max(0, float64(d)/float64(p.total)))
		const width = 24
		bar := strings.Repeat("#", int(frac*width)) + strings.Repeat(" ", width-int(frac*width))
		line = fmt.Sprintf("%s  [%s] %3.0f%%  %s %s/s", p.name, bar, 100*frac, humanCount(float64(d)/max(el.Seconds(), 1e-9)), unit)
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
}

// println writes line on its own line, above the progress line when
// there is one.
func (p *benchProgress) println(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.enabled {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	fmt.Fprintln(p.w, line)
}

// stop erases the line for good; it may be called more than once.
func (p *benchProgress) stop() {
	p.once.Do(func() {
		if !p.enabled {
			return
		}
		close(p.quit)
		p.wg.Wait()
		fmt.Fprint(p.w, "\r\x1b[K")
	})
}
