package file

import (
	"bytes"
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
)

// parallelChunk is about how much of the file one chunk of parallel
// decoding holds (a variable for tests); a file with no more than this to
// read after its header is decoded on the reading goroutine.
var parallelChunk = 4 << 20

// chunksPerWorker bounds the chunks in flight (cut but not yet returned by
// Next) to this many per decoding goroutine.
const chunksPerWorker = 4

// parallel decodes a mapped file on several goroutines: one goroutine cuts
// it into chunks of about parallelChunk bytes that end at record
// boundaries (a newline, outside a quoted CSV field), and each of N-1
// workers and the reading goroutine decodes whole chunks with a decoder of
// its own: a chunk goes to whichever claims it first, the reader claiming
// the one it needs next rather than waiting for it. Next returns the
// chunks' batches in file order. Bad records are kept with their chunk and
// reported by Next, in order, just before the rows that follow them, so
// the BadRow handler is called on the reading goroutine as before. Each
// batch carries the offset (and line) just after its last record: the
// source's position after Next returned it.
type parallel struct {
	s      *Source
	limit  int // rows per batch: maxRows of the first Next
	cancel context.CancelFunc
	wg     sync.WaitGroup
	order  chan *chunk // the chunks in file order; its capacity bounds them
	cur    *chunk      // the chunk being returned
	mid    bool        // part of cur.pieces[0].batch was returned
	// The reader's own decoder, made when it first decodes a chunk.
	dec    format.Decoder
	res    format.Resumer
	decErr error
}

// chunk is a part of the file that starts and ends at record boundaries.
type chunk struct {
	off, end int64
	line     int64       // the line at off; 0 when lines are not counted
	claimed  atomic.Bool // a goroutine took it to decode
	ready    chan struct{}
	pieces   []piece // once ready: its batches, each after its bad records
	err      error   // once ready: a fatal error
}

// piece is a batch of a chunk and the bad records before it.
type piece struct {
	bads  []badRecord
	batch arrow.RecordBatch // nil for bad records after the chunk's last row
	end   int64             // the offset after batch's records
	line  int64             // the line at end (0: not counted)
}

// badRecord is a bad record a worker met, copied.
type badRecord struct {
	off    int64 // where the record starts in the file
	line   int64 // its line; 0 when the decoder does not count lines
	record []byte
	err    error
}

// startParallel decides, on the first Next, whether the file is decoded in
// parallel and if so starts the goroutines: when the query runs on more
// than one core and the file is mapped with more than parallelChunk bytes
// to read after its header.
func (s *Source) startParallel(maxRows int) error {
	s.serial = true
	n := s.spec.Parallelism
	if n <= 1 || !s.mapped() {
		return nil
	}
	s.started = true
	if s.offset == 0 {
		// Each worker's decoder maps the columns by the header read here.
		if err := s.readHeader(); err != nil {
			return err
		}
	}
	if int64(len(s.mm))-s.offset <= int64(parallelChunk) {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &parallel{s: s, limit: maxRows, cancel: cancel, order: make(chan *chunk, chunksPerWorker*n)}
	// The cutter never waits for a busy worker: it is bounded by order.
	work := make(chan *chunk, chunksPerWorker*n)
	s.posLine = s.res.Line()
	p.wg.Add(n)
	go p.cut(ctx, s.offset, s.posLine, work)
	for range n - 1 {
		go p.work(ctx, work)
	}
	s.par = p
	return nil
}

// cut cuts the file from off (a record boundary on line; 0 when lines are
// not counted) into chunks, sends each to order and then to work, and
// closes both at the end or when ctx is done.
func (p *parallel) cut(ctx context.Context, off, line int64, work chan<- *chunk) {
	defer p.wg.Done()
	defer close(work)
	defer close(p.order)
	s := p.s
	mm := s.mm
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(interface{ Addr() uintptr }); !ok {
				panic(r)
			}
			c := &chunk{ready: make(chan struct{}), err: s.faultError()}
			close(c.ready)
			select {
			case p.order <- c:
			case <-ctx.Done():
			}
		}
	}()
	debug.SetPanicOnFault(true)
	var delim byte
	if s.csv {
		delim = csvDelimiter(s.spec.Options)
	}
	size := int64(len(mm))
	for off < size {
		target := min(size, off+int64(parallelChunk))
		var end int64
		if s.csv {
			end = int64(csvBoundary(mm, int(off), int(target), delim))
		} else {
			end = int64(lineBoundary(mm, int(target)))
		}
		c := &chunk{off: off, end: end, line: line, ready: make(chan struct{})}
		if line > 0 {
			line += int64(bytes.Count(mm[off:end], []byte{'\n'}))
		}
		select {
		case p.order <- c:
		case <-ctx.Done():
			return
		}
		select {
		case work <- c:
		case <-ctx.Done():
			return
		}
		off = end
	}
}

// newDecoder returns a decoder for a worker, which has read the file's
// header.
func (p *parallel) newDecoder() (format.Decoder, format.Resumer, error) {
	s := p.s
	dec, err := format.NewDecoder(s.fmtName, s.schema, s.spec.Options, s.spec.Alloc)
	if err != nil {
		return nil, nil, fmt.Errorf("table %s: %w", s.table, err)
	}
	res := dec.(format.Resumer)
	if cf, ok := dec.(format.ContainsFilter); ok && s.spec.Contains != "" {
		cf.SetContains(s.spec.Contains)
	}
	if _, _, err = res.ReadHeader(s.mm[:s.hdrEnd], true); err != nil {
		dec.Release()
		return nil, nil, fmt.Errorf("table %s: %s: %w", s.table, s.path, err)
	}
	return dec, res, nil
}

// work decodes the chunks it receives and claims, with a decoder of its
// own.
func (p *parallel) work(ctx context.Context, work <-chan *chunk) {
	defer p.wg.Done()
	s := p.s
	dec, res, err := p.newDecoder()
	if err == nil {
		defer dec.Release()
	}
	debug.SetPanicOnFault(true)
	for c := range work {
		if !c.claimed.CompareAndSwap(false, true) {
			continue // the reader took it
		}
		switch {
		case err != nil:
			c.err = err
		case ctx.Err() != nil:
			c.err = ctx.Err()
		default:
			p.decode(dec, res, c)
			s.dropMapped(c.off, c.end)
		}
		close(c.ready)
	}
}

// decode decodes chunk c into its pieces, or sets c.err. It decodes the
// chunk through windows of bufCap bytes, as the reading source does, so a
// record longer than max_record_bytes is bad in the same way.
func (p *parallel) decode(dec format.Decoder, res format.Resumer, c *chunk) {
	s := p.s
	mm := s.mm
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(interface{ Addr() uintptr }); !ok {
				panic(r)
			}
			if b := dec.Flush(); b != nil {
				b.Release()
			}
			c.err = s.faultError()
		}
	}()
	if c.off > 0 {
		// Mid-file: no byte order mark, and lines go on from c.line (a
		// chunk at offset 0 is the first any worker decodes).
		res.Resume(c.line)
	}
	var bads []badRecord
	bad := func(r format.BadRecord) error {
		bads = append(bads, badRecord{off: int64(len(mm) - cap(r.Record)), line: r.Line,
			record: bytes.Clone(clipRecord(r.Record)), err: r.Err})
		return nil
	}
	pos := c.off
	for pos < c.end {
		w := min(c.end, pos+int64(s.bufCap))
		atEOF := w == c.end
		n, full, err := dec.Decode(mm[pos:w:w], p.limit, atEOF, bad)
		pos += int64(n)
		if err != nil {
			if b := dec.Flush(); b != nil {
				b.Release()
			}
			c.err = fmt.Errorf("table %s: %s: %w", s.table, s.path, err)
			return
		}
		switch {
		case full:
			c.pieces = append(c.pieces, piece{bads: bads, batch: dec.Flush(), end: pos, line: res.Line()})
			bads = nil
		case atEOF:
			pos = c.end
		case w-pos >= int64(s.bufCap):
			// A record longer than max_record_bytes: bad, and skipped.
			line := res.Line()
			rec := mm[pos:w]
			msg := "record longer than %d bytes (max_record_bytes)"
			if s.csv && bytes.IndexByte(rec, '"') >= 0 {
				msg = "record longer than %d bytes (max_record_bytes; an unclosed quote?)"
			}
			bads = append(bads, badRecord{off: pos, line: line, record: bytes.Clone(clipRecord(rec)), err: fmt.Errorf(msg, s.maxRecord)})
			k, _, _ := res.SkipRecord(mm[pos:c.end], 0)
			nl := int64(bytes.Count(mm[pos:pos+int64(k)], []byte{'\n'}))
			pos += int64(k)
			if line > 0 {
				res.Resume(line + nl)
			}
		}
	}
	b := dec.Flush()
	if b != nil || len(bads) > 0 || len(c.pieces) == 0 {
		c.pieces = append(c.pieces, piece{bads: bads, batch: b, end: c.end, line: res.Line()})
	} else {
		// The last batch ended the chunk: the position after it is the
		// chunk's end (the lines skipped after it included).
		last := &c.pieces[len(c.pieces)-1]
		last.end, last.line = c.end, res.Line()
	}
}

// next returns the next batch of at most maxRows rows in file order, after
// reporting the bad records before it, and moves the source's position to
// just after it.
func (p *parallel) next(ctx context.Context, maxRows int) (arrow.RecordBatch, error) {
	s := p.s
	for {
		if p.cur == nil {
			select {
			case c, ok := <-p.order:
				if !ok {
					s.done = true
					return nil, connectors.ErrEndOfInput
				}
				p.cur = c
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		c := p.cur
		if c.claimed.CompareAndSwap(false, true) {
			// No worker has started the chunk needed next: decode it here.
			if p.dec == nil && p.decErr == nil {
				p.dec, p.res, p.decErr = p.newDecoder()
			}
			if p.decErr != nil {
				c.err = p.decErr
			} else {
				p.decode(p.dec, p.res, c)
				s.dropMapped(c.off, c.end)
			}
			close(c.ready)
		}
		select {
		case <-c.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if c.err != nil {
			return nil, s.fail(c.err)
		}
		if len(c.pieces) == 0 {
			p.cur = nil
			continue
		}
		pc := &c.pieces[0]
		for len(pc.bads) > 0 {
			r := pc.bads[0]
			pc.bads = pc.bads[1:]
			line := r.line
			if line == 0 {
				var err error
				if line, err = s.lineAt(r.off); err != nil {
					return nil, s.fail(err)
				}
			}
			if err := s.report(line, r.record, r.err); err != nil {
				return nil, s.fail(err)
			}
		}
		b := pc.batch
		if b != nil && b.NumRows() > int64(maxRows) {
			// Next asks for fewer rows than before: return part.
			p.mid = true
			pc.batch = b.NewSlice(int64(maxRows), b.NumRows())
			return b.NewSlice(0, int64(maxRows)), nil
		}
		p.mid = false
		s.offset, s.posLine = pc.end, pc.line
		c.pieces = c.pieces[1:]
		if len(c.pieces) == 0 {
			p.cur = nil
		}
		if b != nil {
			return b, nil
		}
	}
}

// close stops the goroutines, waits for them, and frees the batches not
// returned.
func (p *parallel) close() {
	p.cancel()
	// Let the cutter, blocked on a full order channel, see ctx is done.
	p.wg.Wait()
	release := func(c *chunk) {
		select {
		case <-c.ready:
		default:
			return // never decoded
		}
		for _, pc := range c.pieces {
			if pc.batch != nil {
				pc.batch.Release()
			}
		}
		c.pieces = nil
	}
	if p.cur != nil {
		release(p.cur)
	}
	for c := range p.order {
		release(c)
	}
	if p.dec != nil {
		p.dec.Release()
	}
}

// csvDelimiter is the CSV field separator of options already accepted by
// the decoder: option delimiter, "\t" or "tab" for a tab, default ",".
func csvDelimiter(opts map[string]string) byte {
	switch v := opts["delimiter"]; strings.ToLower(v) {
	case "":
		return ','
	case `\t`, "tab", "\t":
		return '\t'
	default:
		return v[0]
	}
}
