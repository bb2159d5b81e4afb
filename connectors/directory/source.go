package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/connectors/live"
)

const (
	defaultPoll    = 200 * time.Millisecond
	defaultMaxLine = 16 << 20
	defaultBuffer  = 4 << 20
)

// extFormats maps pattern extensions to formats.
var extFormats = map[string]string{
	".csv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json",
	".txt": "text", ".log": "text", ".text": "text",
}

// Source is a live source reading the files that appear in a directory.
// It is unbounded; see the package documentation for its options.
type Source struct {
	table   string
	dir     string
	pattern string
	format  string
	opts    map[string]string
	schema  *arrow.Schema
	alloc   memory.Allocator
	poll    time.Duration
	maxLine int
	log     *slog.Logger
	badRow  connectors.BadRowHandler
	// contains is spec.Contains, for the text decoder.
	contains string

	q      *live.Queue
	worker live.Worker
	closed bool

	mu   sync.Mutex
	done []string // base names, in the order they were finished
	// The file Next is in (set by its start marker) and how many of its
	// rows and bad rows Next has returned or reported: rows for the
	// batches fully returned and bad rows, inCur for the part of the
	// current batch returned so far.
	file        string
	rows, inCur int64
	// Set by the Done hook of a batch item, for Next.
	itemDone bool
	itemFile string
	// From Seek: the files to skip, the file partly returned and how many
	// of its rows and bad rows are still to be dropped.
	seekDone map[string]bool
	seekFile string
	skip     int64

	began     bool
	ready     chan struct{} // closed by Seek or the first Next
	readyOnce sync.Once
}

var (
	_ connectors.Source  = (*Source)(nil)
	_ connectors.Starter = (*Source)(nil)
	_ connectors.Bounded = (*Source)(nil)
	_ connectors.Seeker  = (*Source)(nil)
)

// NewSource validates spec's options and returns a *Source. The
// directory is first listed by Start.
func NewSource(spec connectors.SourceSpec) (connectors.Source, error) {
	o := spec.Options
	dir := o["path"]
	if dir == "" {
		return nil, fmt.Errorf("table %s: connector 'directory' needs option path (the directory to watch)", spec.Table)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("table %s: option path: %w", spec.Table, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("table %s: option path: %s is not a directory", spec.Table, dir)
	}
	pattern := o["pattern"]
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("table %s: option pattern: bad glob %q: %w", spec.Table, pattern, err)
	}
	fmtName := strings.ToLower(o["format"])
	if fmtName == "" {
		if fmtName = extFormats[strings.ToLower(path.Ext(pattern))]; fmtName == "" {
			return nil, fmt.Errorf("table %s: connector 'directory' needs option format ('csv', 'json' or 'text')", spec.Table)
		}
	}
	alloc := spec.Alloc
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	dec, err := format.NewDecoder(fmtName, spec.Schema, o, alloc)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	dec.Release()
	s := &Source{
		table: spec.Table, dir: dir, pattern: pattern, format: fmtName, opts: o, schema: spec.Schema,
		alloc: alloc, poll: defaultPoll, maxLine: defaultMaxLine, log: spec.Log, badRow: spec.BadRow,
		ready: make(chan struct{}), contains: spec.Contains,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if v, ok := o["poll_interval"]; ok {
		d, err := live.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("table %s: option poll_interval: want a positive duration such as '200ms', got %q", spec.Table, v)
		}
		s.poll = d
	}
	if v, ok := o["max_record_bytes"]; ok {
		n, err := live.ParseBytes(v)
		if err != nil || n > 1<<30 {
			return nil, fmt.Errorf("table %s: option max_record_bytes: want a size from 1 byte to 1GiB such as '16MiB', got %q", spec.Table, v)
		}
		s.maxLine = int(n)
	}
	budget := int64(defaultBuffer)
	if v, ok := o["buffer_bytes"]; ok {
		if budget, err = live.ParseBytes(v); err != nil {
			return nil, fmt.Errorf("table %s: option buffer_bytes: %w", spec.Table, err)
		}
	}
	s.q = live.NewQueue(budget)
	return s, nil
}

// Schema is the table's schema.
func (s *Source) Schema() *arrow.Schema { return s.schema }

// Bounded reports false: more files may always appear.
func (s *Source) Bounded() bool { return false }

// Buffered is how many bytes of decoded rows wait for Next.
func (s *Source) Buffered() int64 { return s.q.Buffered() }

// Backlogged implements connectors.Backlogger.
func (s *Source) Backlogged() bool { return s.q.Backlogged() }

// Done returns the base names of the files whose rows have all been
// returned by Next (or that held none), in the order they were finished.
// It may be called from any goroutine.
func (s *Source) Done() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.done...)
}

// markDone is the Done hook of a file's last item.
func (s *Source) markDone(name string) {
	s.mu.Lock()
	s.done = append(s.done, name)
	s.file, s.rows, s.inCur = "", 0, 0
	if name == s.seekFile {
		s.skip = 0
	}
	s.mu.Unlock()
}

// startFile is the Done hook of the marker queued before a file's items.
func (s *Source) startFile(name string) {
	s.mu.Lock()
	s.file, s.rows, s.inCur = name, 0, 0
	s.mu.Unlock()
}

// batchDone is the Done hook of an item with n rows of file name.
func (s *Source) batchDone(name string, n int64) func() {
	return func() {
		s.mu.Lock()
		s.rows += n
		s.inCur = 0
		s.itemDone, s.itemFile = true, name
		s.mu.Unlock()
	}
}

// position is what Position encodes.
type position struct {
	Done []string `json:"done"`
	File string   `json:"file"`
	Rows int64    `json:"rows"`
}

// Position returns the position just after the last row Next returned:
// JSON {"done":[...],"file":"...","rows":N}, the files whose rows have
// all been returned, the file partly returned, and how many of its rows
// and bad rows were returned or reported.
func (s *Source) Position() ([]byte, error) {
	s.mu.Lock()
	p := position{Done: append([]string{}, s.done...), File: s.file, Rows: s.rows + s.inCur}
	if s.file != "" && s.file == s.seekFile {
		p.Rows += s.skip
	}
	s.mu.Unlock()
	return json.Marshal(p)
}

// Seek makes the source skip the files pos lists as done and the rows
// (and bad rows) of its partly returned file already returned. It must
// come before the first Next (before or after Start).
func (s *Source) Seek(pos []byte) error {
	if s.closed {
		return fmt.Errorf("table %s: source is closed", s.table)
	}
	var p position
	if err := json.Unmarshal(pos, &p); err != nil || p.Rows < 0 || (p.File == "" && p.Rows != 0) {
		return fmt.Errorf("table %s: invalid directory source position %q", s.table, pos)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.began {
		return fmt.Errorf("table %s: Seek must come before the first Next", s.table)
	}
	s.seekDone = map[string]bool{}
	for _, name := range p.Done {
		s.seekDone[name] = true
	}
	s.done = append([]string(nil), p.Done...)
	s.file, s.rows, s.inCur = p.File, 0, 0
	s.seekFile, s.skip = p.File, p.Rows
	s.began = true
	s.readyOnce.Do(func() { close(s.ready) })
	return nil
}

// report reports a bad row to the spec's handler, unless Seek said it
// was reported already.
func (s *Source) report(b connectors.BadRow) error {
	s.mu.Lock()
	s.rows++
	skip := s.skip > 0 && s.file == s.seekFile
	if skip {
		s.skip--
	}
	s.mu.Unlock()
	if skip || s.badRow == nil {
		return nil
	}
	return s.badRow(b)
}

// Start lists the directory and reads its files in the background, then
// watches it until ctx ends or Close is called.
func (s *Source) Start(ctx context.Context) error {
	if err := s.worker.Start(ctx, s.run, s.fail); err != nil {
		return fmt.Errorf("table %s: %w", s.table, err)
	}
	return nil
}

// fail ends the stream with err: Next returns it after the rows before it.
func (s *Source) fail(ctx context.Context, err error) {
	_ = s.q.Put(ctx, live.Item{Err: fmt.Errorf("table %s: directory %s: %w", s.table, s.dir, err)})
}

// Next returns up to maxRows rows read so far, or connectors.ErrNoData;
// it never waits. Bad records are reported to the spec's BadRow handler
// first; if it returns an error, so does Next.
func (s *Source) Next(ctx context.Context, maxRows int) (arrow.RecordBatch, error) {
	if err := live.CheckNext(ctx, s.table, s.closed, maxRows); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.began = true
	s.mu.Unlock()
	s.readyOnce.Do(func() { close(s.ready) })
	for {
		s.mu.Lock()
		s.itemDone = false
		s.mu.Unlock()
		b, err := s.q.Next(maxRows, s.report)
		if err != nil {
			return nil, err
		}
		n := b.NumRows()
		s.mu.Lock()
		file := s.file
		if s.itemDone {
			file = s.itemFile
		} else {
			s.inCur += n
		}
		k := int64(0)
		if s.skip > 0 && file == s.seekFile {
			k = min(s.skip, n)
			s.skip -= k
		}
		s.mu.Unlock()
		switch {
		case k == 0:
			return b, nil
		case k < n:
			out := b.NewSlice(k, n)
			b.Release()
			return out, nil
		}
		b.Release()
	}
}

// Close stops watching, waits for the background goroutine and frees
// every buffered batch.
func (s *Source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.worker.Stop()
	s.q.Close()
	return nil
}
