package connectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ErrEndOfInput is returned by Source.Next once a bounded source has
// delivered its last row. It is not a failure.
var ErrEndOfInput = errors.New("end of input")

// Source yields a table's rows as Arrow record batches.
//
// Ownership: every batch returned by Next belongs to the caller, who must
// Release it. Next, Position and Close are called from one goroutine.
type Source interface {
	// Schema is the schema of every batch Next returns; it equals the
	// table's schema.
	Schema() *arrow.Schema
	// Next returns the next batch of at most maxRows rows (at least one).
	// A bounded source returns (nil, ErrEndOfInput) after its last row and
	// on every call after that. A live source never waits for input: it
	// returns what has arrived, or (nil, ErrNoData) when nothing has; its
	// buffers are bounded, so a consumer that falls behind slows the
	// producer instead of growing memory. Rows that cannot be decoded are
	// reported to the spec's BadRow handler and skipped, never returned.
	Next(ctx context.Context, maxRows int) (arrow.RecordBatch, error)
	// Close releases the source's resources. It may be called once, at
	// any time.
	Close() error
}

// ErrNoData is returned by Next of a live (unbounded) source when nothing
// has arrived since the last call. It is not a failure: the scheduler asks
// again at the next batch interval.
var ErrNoData = errors.New("no data yet")

// Starter is implemented by sources that work in the background (reading
// a socket, watching a directory, generating rows). Start is called once,
// before the first Next; the work stops when ctx is done or Close is
// called, whichever comes first.
type Starter interface {
	Start(ctx context.Context) error
}

// Backlogger is implemented by live sources that can tell when input
// waits in their buffer faster than batches take it out: the scheduler
// then starts the next micro-batch at once instead of at the next tick.
type Backlogger interface {
	Backlogged() bool
}

// Seeker is implemented by sources whose read position can be saved and
// restored (replayable sources): checkpoints store it, recovery seeks to
// it.
type Seeker interface {
	// Position returns the position just after the last row returned by
	// Next, as opaque bytes.
	Position() ([]byte, error)
	// Seek moves to a position returned by Position; it is called once,
	// before the first Next.
	Seek(pos []byte) error
}

// Checkpointer is implemented by sinks that take part in checkpoints, for
// exactly-once output.
type Checkpointer interface {
	// Checkpoint makes everything written so far durable and visible, and
	// returns the sink's state to keep in the checkpoint.
	Checkpoint() ([]byte, error)
	// Restore rolls the sink back to a state returned by Checkpoint,
	// discarding output written after it; it is called once, before the
	// first Write.
	Restore(state []byte) error
}

// Completer is implemented by sources and sinks that act once a
// checkpoint is durable: a sink that hands its output to another system
// in a transaction (Kafka, PostgreSQL) commits it then, a source that
// belongs to a consumer group tells the group its position then.
//
// A sink's CheckpointComplete is called from the goroutine that calls
// Write, with the state its Checkpoint returned. A source's is called
// from another goroutine than Next (it may run while Next does), with the
// position its Position returned for that checkpoint. Restore (Seek)
// after a crash may see a state whose CheckpointComplete never ran: the
// connector then finishes that work itself. An error fails the query.
type Completer interface {
	CheckpointComplete(state []byte) error
}

// Aborter is implemented by checkpointing sinks that must not publish
// anything when the query fails before it restored its checkpoint (a
// checkpoint of another parallelism, a changed query): the output of the
// earlier runs stays as it was.
type Aborter interface {
	// Abort discards what was written and not published; Close then
	// publishes nothing.
	Abort()
}

// EventTimeFloor is implemented by sources whose input interleaves
// several streams, each in its own event-time order (a topic's
// partitions): the query's watermark then follows the slowest stream
// that still counts, not the fastest.
type EventTimeFloor interface {
	// EventTimeFloor returns the least event time (ms) the source's
	// streams have reached, over the streams that count (see the
	// source's documentation): math.MinInt64 holds the watermark where
	// it is, math.MaxInt64 leaves it to the rows alone. It is called from
	// the goroutine that calls Next, after it.
	EventTimeFloor() int64
}

// Transformer is implemented by sources that decode or generate on
// several workers: each worker applies a transform of its own to every
// batch it makes, right after making it, so that the row-wise operators
// at the head of a query (a filter, a projection, an UNNEST) run on the
// source's workers instead of on the goroutine that calls Next. The
// planner builds the transform; a source knows nothing of it but that it
// maps a batch to a batch.
//
// With a transform, Next returns the transform's outputs, in input order,
// and skips batches it left empty; Position is still the position just
// after the last source row behind the batch returned, so a batch and its
// position stay together. Schema stays the table's.
type Transformer interface {
	// Transform asks the source to apply t to every batch before Next
	// returns it. It is called at most once, before Seek and the first
	// Next, and reports whether the source will (false: nothing changed,
	// the batches stay the table's rows).
	Transform(t Transform) bool
}

// Transform is a transform of the batches a source makes, instantiated
// once per worker.
type Transform struct {
	// NewWorker returns the transform of one worker, used by one
	// goroutine at a time, and a function that frees it once the worker is
	// done. apply takes ownership of its batch and returns a batch of its
	// own, or nil when no row is left.
	NewWorker func() (apply func(arrow.RecordBatch) (arrow.RecordBatch, error), release func())
	// Read, when not nil, is called on the goroutine of Next before Next
	// returns a batch, with the rows the source read for it (including
	// those of batches the transform left empty just before it) and the
	// rows of the batch returned; and before Next returns the end of input
	// with the rows read since the last batch returned, and 0.
	Read func(read, returned int64)
}

// RegisterTransform declares that name's sources, opened with options for
// which accepts is true and a Parallelism above 1, take a Transform
// (connectors.Transformer); EXPLAIN says so. A connector not declared is
// taken not to.
func (r *Registry) RegisterTransform(name string, accepts func(options map[string]string) bool) {
	if r.transforms == nil {
		r.transforms = map[string]func(map[string]string) bool{}
	}
	r.transforms[strings.ToLower(name)] = accepts
}

// Transforms reports whether the source of a table with these options
// (its connector among them), at a parallelism above 1, takes a Transform.
func (r *Registry) Transforms(options map[string]string) bool {
	f, ok := r.transforms[strings.ToLower(options["connector"])]
	return ok && f(options)
}

// Bounded is implemented by sources that know whether their input ends.
type Bounded interface {
	// Bounded reports whether Next will eventually return ErrEndOfInput.
	Bounded() bool
}

// Sink writes the rows a query emits.
//
// Ownership: Write takes ownership of the batch and releases it (now or
// later). Write, Commit and Close are called from one goroutine.
type Sink interface {
	// Write writes one batch whose schema is the query's output schema.
	Write(batch arrow.RecordBatch) error
	// Commit makes every batch written so far durable and visible as one
	// epoch. Epochs increase by one per call.
	Commit(epoch int64) error
	// Close flushes and releases the sink. It may be called once.
	Close() error
}

// BadRow describes an input record that could not be decoded.
type BadRow struct {
	// Table is the table the record was read for.
	Table string
	// Position says where the record was: "path:line" or similar.
	Position string
	// Record is a copy of the offending record, possibly truncated.
	Record string
	// Err says what was wrong with it.
	Err error
}

// BadRowHandler is told of each bad record a source skips. It returns an
// error to make the record fatal (on_error = 'fail'), or nil to skip it.
type BadRowHandler func(BadRow) error

// SourceSpec is what a source factory is given.
type SourceSpec struct {
	// Table is the table's name, for messages.
	Table string
	// Schema is the table's schema; every batch must have it.
	Schema *arrow.Schema
	// Options are the table's WITH options, keys lower-cased.
	Options map[string]string
	// Alloc allocates the batches' buffers.
	Alloc memory.Allocator
	// BadRow is told of every skipped record; it is never nil.
	BadRow BadRowHandler
	// Log receives notices a person should see (a peer went away, a
	// reconnect); it is never nil.
	Log *slog.Logger
	// StateDir, when not empty, is a directory of the source's own for
	// durable state that checkpoints rely on (a socket's write-ahead log).
	// It is set only when the query is checkpointed.
	StateDir string
	// Contains, when not empty, is a hint: the query keeps only rows whose
	// first column contains this text (a LIKE '%text%' filter over a
	// one-column table). The planner sets it only for connectors that
	// declared, with Registry.RegisterContains, that they take it; EXPLAIN
	// shows it on the Scan. A source may skip other rows without decoding
	// them; unless it declared PushdownExact the filter still runs, so
	// ignoring the hint is always correct.
	Contains string
	// Parallelism is how many cores the query runs on. A source may use
	// that many goroutines to decode or generate batches ahead of the
	// reader, as long as Read still returns them in input order and
	// positions stay exact; 0 and 1 mean on the reading goroutine only.
	Parallelism int
}

// SinkSpec is what a sink factory is given.
type SinkSpec struct {
	// Table is the sink table's name, for messages.
	Table string
	// Schema is the schema of the batches the sink will be given.
	Schema *arrow.Schema
	// Options are the table's WITH options, keys lower-cased.
	Options map[string]string
	// Checkpointed is set when the query takes checkpoints: a sink that is
	// a Checkpointer then publishes output only at checkpoints.
	Checkpointed bool
	// StateDir, when not empty, is a directory of the sink's own for
	// durable state that checkpoints rely on (output waiting for its
	// checkpoint to complete). It is set only when the query is
	// checkpointed.
	StateDir string
	// Key lists the columns that identify a row of the result, in order:
	// the sink table's PRIMARY KEY (...) NOT ENFORCED, or, when it
	// declares none, the query's own key (the window bounds and GROUP BY
	// columns of an aggregation) when the planner knows one; nil
	// otherwise. Upserting sinks key their writes by it.
	Key []string
	// Query names the query in its script ("q1", "q2", ...); with Table it
	// identifies the sink across restarts of the same script (a Kafka
	// transactional id, a progress row).
	Query string
}

// SourceFactory builds a source; it validates the options and fails with a
// message naming the bad option.
type SourceFactory func(spec SourceSpec) (Source, error)

// SinkFactory builds a sink; it validates the options.
type SinkFactory func(spec SinkSpec) (Sink, error)

// Registry maps connector names to factories.
type Registry struct {
	sources     map[string]SourceFactory
	sinks       map[string]SinkFactory
	sourceSpecs map[string]ConfigSpec
	sinkSpecs   map[string]ConfigSpec
	contains    map[string]ContainsPushdown
	transforms  map[string]func(options map[string]string) bool
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{sources: map[string]SourceFactory{}, sinks: map[string]SinkFactory{},
		sourceSpecs: map[string]ConfigSpec{}, sinkSpecs: map[string]ConfigSpec{}}
}

// RegisterSource makes name usable as a source connector. spec, if given
// (once), declares the options the source takes: CheckOptions then
// refuses others. A source registered without one accepts any options.
func (r *Registry) RegisterSource(name string, f SourceFactory, spec ...ConfigSpec) {
	name = strings.ToLower(name)
	r.sources[name] = f
	for _, c := range spec {
		r.sourceSpecs[name] = c
	}
}

// RegisterSink makes name usable as a sink connector; spec is as for
// RegisterSource.
func (r *Registry) RegisterSink(name string, f SinkFactory, spec ...ConfigSpec) {
	name = strings.ToLower(name)
	r.sinks[name] = f
	for _, c := range spec {
		r.sinkSpecs[name] = c
	}
}

// SourceConfig returns the ConfigSpec the source connector name was
// registered with, and whether it has one.
func (r *Registry) SourceConfig(name string) (ConfigSpec, bool) {
	c, ok := r.sourceSpecs[strings.ToLower(name)]
	return c, ok
}

// SinkConfig returns the ConfigSpec the sink connector name was
// registered with, and whether it has one.
func (r *Registry) SinkConfig(name string) (ConfigSpec, bool) {
	c, ok := r.sinkSpecs[strings.ToLower(name)]
	return c, ok
}

// HasSource reports whether name is a registered source connector.
func (r *Registry) HasSource(name string) bool { _, ok := r.sources[strings.ToLower(name)]; return ok }

// HasSink reports whether name is a registered sink connector.
func (r *Registry) HasSink(name string) bool { _, ok := r.sinks[strings.ToLower(name)]; return ok }

// Names lists every registered connector, sorted.
func (r *Registry) Names() []string {
	seen := map[string]bool{}
	for n := range r.sources {
		seen[n] = true
	}
	for n := range r.sinks {
		seen[n] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// OpenSource builds a source with the factory registered under
// spec.Options["connector"].
func (r *Registry) OpenSource(spec SourceSpec) (Source, error) {
	name := strings.ToLower(spec.Options["connector"])
	f, ok := r.sources[name]
	if !ok {
		return nil, fmt.Errorf("table %s: unknown source connector %q (have %s)", spec.Table, name, names(r.sources))
	}
	return f(spec)
}

// OpenSink builds a sink with the factory registered under
// spec.Options["connector"].
func (r *Registry) OpenSink(spec SinkSpec) (Sink, error) {
	name := strings.ToLower(spec.Options["connector"])
	f, ok := r.sinks[name]
	if !ok {
		return nil, fmt.Errorf("table %s: unknown sink connector %q (have %s)", spec.Table, name, names(r.sinks))
	}
	return f(spec)
}

func names[V any](m map[string]V) string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}
