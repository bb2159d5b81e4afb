package exec

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// AggFunc is an aggregate function.
type AggFunc int

// The aggregate functions.
const (
	CountStar AggFunc = iota // COUNT(*): rows
	Count                    // COUNT(x): non-NULL values
	Sum                      // SUM(x) of Int64 (wrapping) or Float64
	Min                      // MIN(x) of Int64, Float64, String, Timestamp, Boolean
	Max                      // MAX(x), as MIN
	Avg                      // AVG(x) of Int64 or Float64, as Float64

	// ApproxCountDistinct is APPROX_COUNT_DISTINCT(x): a HyperLogLog
	// estimate of the distinct non-NULL values (exact up to a few
	// hundred), mergeable over panes but not retractable.
	ApproxCountDistinct
)

// String is the SQL name of the function.
func (f AggFunc) String() string {
	switch f {
	case CountStar, Count:
		return "COUNT"
	case Sum:
		return "SUM"
	case Min:
		return "MIN"
	case Max:
		return "MAX"
	case Avg, avgState, avgMerge:
		return "AVG"
	case ApproxCountDistinct:
		return "APPROX_COUNT_DISTINCT"
	}
	return fmt.Sprintf("AggFunc(%d)", int(f))
}

// AggSpec is one aggregate of a WindowAgg or an UpdatingAgg.
type AggSpec struct {
	Func AggFunc
	Arg  int    // input column index of the argument; -1 for COUNT(*)
	Name string // output column name
	// Distinct aggregates the distinct non-NULL values of the argument
	// (COUNT, SUM and AVG; SUM and AVG of BIGINT only).
	Distinct bool
	// HasFilter says the aggregate has FILTER (WHERE ...): only the rows
	// whose BOOLEAN input column Filter is true are fed to it.
	HasFilter bool
	Filter    int
}

// WindowKind is the kind of window an aggregation groups by.
type WindowKind int

// The window kinds.
const (
	NoWindow WindowKind = iota // a plain GROUP BY, emitted at end of input
	Tumble                     // TUMBLE(t, size): back-to-back windows
	Hop                        // HOP(t, slide, size): overlapping windows
)

// WindowSpec is the window of a WindowAgg.
type WindowSpec struct {
	Kind    WindowKind
	TimeCol int   // input column index of the Timestamp event time (not for NoWindow)
	Size    int64 // window length, milliseconds
	Slide   int64 // distance between window starts, milliseconds; Tumble: Size (or 0)
}

// WindowAggConfig configures a WindowAgg.
type WindowAggConfig struct {
	Input    *arrow.Schema    // schema of the input batches
	Keys     []int            // input column indexes of the GROUP BY keys
	KeyNames []string         // output names of the keys
	Aggs     []AggSpec        // the aggregates
	Window   WindowSpec       // the window
	Alloc    memory.Allocator // for output batches; nil means the Go allocator
}

// WindowStats describes a WindowAgg's state.
type WindowStats struct {
	LateRows     int64 // rows dropped because every window they fall in was already emitted
	NullTimeRows int64 // rows dropped because their event time is NULL
	GapRows      int64 // rows dropped because they fall in no window (HOP with slide > size)
	Keys         int   // distinct keys alive (in some pane still needed)
	Panes        int   // panes alive
	StateBytes   int64 // approximate memory held, bytes
	ExpiredKeys  int64 // keys dropped by the state TTL (UpdatingAgg)
}

// WindowAgg is a windowed (or plain) GROUP BY aggregation, kept
// incrementally.
//
// Semantics: windows are half-open [start, end), aligned to the Unix epoch;
// HOP puts a row in every window whose start is a multiple of Slide with
// start <= t < start+Size, TUMBLE is HOP with Slide == Size. A window is
// emitted once, by the Advance whose watermark reaches its end, if at least
// one row fell in it; Advance emits windows in order of window end, and the
// rows of one window in ascending key order (column by column, NULL first,
// false before true, NaN last) — deterministic and independent of how the
// input is split into batches. A row whose windows were all emitted when it
// arrives is late: it is dropped and counted (Stats.LateRows); a row with
// some windows still open counts in those. Rows with a NULL event time are
// dropped and counted apart. Aggregates ignore NULL arguments; over no
// non-NULL value they are NULL (COUNT is 0).
//
// NoWindow is a plain GROUP BY: one result, emitted by Advance(MaxWatermark);
// without keys it always has one row (COUNT 0 and NULLs over no input).
// Rows arriving after that are late.
//
// State: time is cut into panes of width gcd(Size, Slide), a window being
// Size/gcd consecutive panes. A row is added to the partial aggregates of
// one (pane, key) cell, so the cost of a batch does not depend on
// Size/Slide. Firing a window merges the panes that entered it into
// per-key running values and retracts those that left (COUNT, SUM, AVG);
// MIN and MAX keep a monotonic deque of pane partials per key. A TUMBLE
// window is a single pane and is emitted straight from its cells. Panes are
// freed when no window still to be emitted needs them, and a key is freed
// from the group table when its last pane is (Stats.Keys counts live keys).
//
// Event times and watermarks must lie within ±2^62 ms of the epoch.
type WindowAgg struct {
	cfg    WindowAggConfig
	schema *arrow.Schema
	mem    memory.Allocator
	win    bool  // windowed (Tumble or Hop)
	size   int64 // window size; NoWindow: 1
	slide  int64
	width  int64 // pane width: gcd(size, slide)
	span   int64 // panes per window

	table    *vector.GroupTable
	keyTypes []arrow.DataType
	accs     []accumulator
	args     []int            // argument column of each accumulator, -1 for none
	argTypes []arrow.DataType // its type, nil for none

	wm        int64 // highest watermark advanced to
	nextStart int64 // windows starting before it are emitted (or were empty)
	finished  bool  // Advance(MaxWatermark) happened
	ident     bool  // plain GROUP BY in the identity layout (window_state.go)
	closed    bool

	winPanes
	winGroups

	stats WindowStats
	out   winOutput
	label string // String, once built

	// scratch, reused across batches
	keyCols []arrow.Array
	ids     []uint32
	cells   []uint32
	slow    []winSlowRow
	dropped []int32
	masked  []uint32 // cells of a FILTER'ed aggregate
	// emit, during AdvanceEach, takes each output batch as it is built;
	// emitErr is its first error.
	emit    func(arrow.RecordBatch) error
	emitErr error
}

var _ Operator = (*WindowAgg)(nil)

// NewWindowAgg returns the aggregation described by cfg, after checking
// column indexes, argument types and window sizes.
func NewWindowAgg(cfg WindowAggConfig) (*WindowAgg, error) {
	in := cfg.Input
	if in == nil {
		return nil, errors.New("window aggregate: no input schema")
	}
	if len(cfg.KeyNames) != len(cfg.Keys) {
		return nil, fmt.Errorf("window aggregate: %d keys but %d key names", len(cfg.Keys), len(cfg.KeyNames))
	}
	col := func(i int, what string) (arrow.DataType, error) {
		if i < 0 || i >= in.NumFields() {
			return nil, fmt.Errorf("window aggregate: %s column %d out of range (input has %d columns)", what, i, in.NumFields())
		}
		return in.Field(i).Type, nil
	}
	w := &WindowAgg{cfg: cfg, mem: cfg.Alloc, wm: MinWatermark, nextStart: math.MinInt64, size: 1, slide: 1, width: 1, span: 1}
	if w.mem == nil {
		w.mem = memory.DefaultAllocator
	}
	var fields []arrow.Field
	switch spec := cfg.Window; spec.Kind {
	case NoWindow:
	case Tumble, Hop:
		t, err := col(spec.TimeCol, "time")
		if err != nil {
			return nil, err
		}
		if tt, ok := t.(*arrow.TimestampType); !ok || tt.Unit != arrow.Millisecond {
			return nil, fmt.Errorf("window aggregate: time column %q is %s, want TIMESTAMP(3)", in.Field(spec.TimeCol).Name, vector.TypeName(t))
		}
		size, slide := spec.Size, spec.Slide
		if spec.Kind == Tumble && slide == 0 {
			slide = size
		}
		switch {
		case size <= 0:
			return nil, fmt.Errorf("window aggregate: window size must be positive, got %d ms", size)
		case slide <= 0:
			return nil, fmt.Errorf("window aggregate: window slide must be positive, got %d ms", slide)
		case spec.Kind == Tumble && slide != size:
			return nil, fmt.Errorf("window aggregate: TUMBLE slide %d ms differs from size %d ms", slide, size)
		}
		w.win, w.size, w.slide = true, size, slide
		w.width = winGCD(size, slide)
		w.span = size / w.width
		fields = append(fields,
			arrow.Field{Name: "window_start", Type: vector.Timestamp, Nullable: true},
			arrow.Field{Name: "window_end", Type: vector.Timestamp, Nullable: true})
	default:
		return nil, fmt.Errorf("window aggregate: unknown window kind %d", spec.Kind)
	}
	keyTypes := make([]arrow.DataType, len(cfg.Keys))
	for i, k := range cfg.Keys {
		t, err := col(k, "key")
		if err != nil {
			return nil, err
		}
		keyTypes[i] = t
		fields = append(fields, arrow.Field{Name: cfg.KeyNames[i], Type: t, Nullable: true})
	}
	table, err := vector.NewGroupTable(keyTypes)
	if err != nil {
		return nil, fmt.Errorf("window aggregate: %w", err)
	}
	w.table, w.keyTypes = table, keyTypes
	w.ident = !w.win
	for _, a := range cfg.Aggs {
		var argType arrow.DataType
		arg := -1
		if a.Func != CountStar {
			if argType, err = col(a.Arg, a.Func.String()+" argument"); err != nil {
				return nil, err
			}
			arg = a.Arg
		}
		if err := aggCheckFilter(a, in, -1); err != nil {
			return nil, fmt.Errorf("window aggregate: %w", err)
		}
		acc, err := newAccumulator(a, argType)
		if err != nil {
			return nil, fmt.Errorf("window aggregate: %w", err)
		}
		w.accs = append(w.accs, acc)
		w.args = append(w.args, arg)
		w.argTypes = append(w.argTypes, argType)
		fields = append(fields, arrow.Field{Name: a.Name, Type: accumOutType(a.Func, argType), Nullable: true})
	}
	w.schema = arrow.NewSchema(fields, nil)
	w.keyCols = make([]arrow.Array, len(cfg.Keys))
	return w, nil
}

// Schema is the output schema: window_start and window_end (Timestamp,
// only if windowed), the keys (KeyNames, input types), then the aggregates
// (COUNT: Int64; SUM: Int64 of Int64, else Float64; AVG: Float64; MIN and
// MAX: the argument's type).
func (w *WindowAgg) Schema() *arrow.Schema { return w.schema }

// String names the operator for messages, with what it groups by:
// "WindowAgg (GROUP BY word, TUMBLE(ts, INTERVAL '1' MINUTE))".
func (w *WindowAgg) String() string {
	if w.label == "" {
		w.label = w.describe()
	}
	return w.label
}

func (w *WindowAgg) describe() string {
	by := slices.Clone(w.cfg.KeyNames)
	if spec := w.cfg.Window; w.win {
		t := w.cfg.Input.Field(spec.TimeCol).Name
		if spec.Kind == Hop {
			by = append(by, fmt.Sprintf("HOP(%s, %s, %s)", t, sqlInterval(w.slide), sqlInterval(w.size)))
		} else {
			by = append(by, fmt.Sprintf("TUMBLE(%s, %s)", t, sqlInterval(w.size)))
		}
	}
	if len(by) == 0 {
		return "WindowAgg"
	}
	return "WindowAgg (GROUP BY " + strings.Join(by, ", ") + ")"
}

// sqlInterval writes ms milliseconds as a SQL interval in the largest
// unit that divides it.
func sqlInterval(ms int64) string {
	for _, u := range []struct {
		name string
		ms   int64
	}{{"DAY", 86400000}, {"HOUR", 3600000}, {"MINUTE", 60000}, {"SECOND", 1000}} {
		if ms%u.ms == 0 {
			return fmt.Sprintf("INTERVAL '%d' %s", ms/u.ms, u.name)
		}
	}
	return fmt.Sprintf("INTERVAL '%d' MILLISECOND", ms)
}

var _ StateReporter = (*WindowAgg)(nil)

// Stats reports the dropped rows and the size of the state.
func (w *WindowAgg) Stats() WindowStats {
	s := w.stats
	s.Keys = w.table.Len()
	s.Panes = len(w.panes)
	s.StateBytes = w.table.Bytes() + w.panesBytes() + w.groupsBytes()
	for _, a := range w.accs {
		s.StateBytes += a.size()
	}
	return s
}

// Close releases the state. The operator is not used after it.
func (w *WindowAgg) Close() {
	if w.closed {
		return
	}
	w.closed = true
	w.out.discard()
	w.winPanes = winPanes{}
	w.winGroups = winGroups{}
	w.accs = nil
}

// winGCD is the greatest common divisor of two positive numbers.
func winGCD(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// winFloorDiv is a/b rounded down, for b > 0.
func winFloorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// winEnd is start+size, saturating at MaxWatermark.
func winEnd(start, size int64) int64 {
	if start > math.MaxInt64-size {
		return math.MaxInt64
	}
	return start + size
}
