package file

import (
	"bytes"
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/vector"
)

// parallelChunk is about how much of the file one chunk of parallel
// decoding holds (a variable for tests); a file with no more than this to
// read after its header is decoded on the reading goroutine.
var parallelChunk = 4 << 20

// chunksPerWorker bounds the chunks in flight (cut but not yet returned by
// Next) to this many per decoding goroutine.
const chunksPerWorker = 2

// parallel decodes a mapped file on several goroutines: one goroutine cuts
// it into chunks of about parallelChunk bytes that end at record
// boundaries (a newline, outside a quoted CSV field), and each of N
// workers decodes whole chunks with a decoder of its own, taking the first
// chunk no one has taken. The reading goroutine waits for the chunk it
// needs next. (It used to decode a chunk itself meanwhile; but a chunk of
// decoding and transforming held it long after the one it waited for was
// done, and the workers, with every chunk in flight taken, waited for it:
// the word count at parallelism 2 ran 7% faster without.)
//
// Next returns the rows in file order in batches of exactly maxRows rows
// (but the last), as reading on one goroutine does, so that what a query
// computes per batch does not depend on where chunks were cut: a batch
// may take the end of one chunk's rows and the start of the next (copied
// together). Bad records are kept with their chunk, each with the number
// of the chunk's rows before it, and reported by Next on the reading
// goroutine just before the row that follows them, as before. A position
// inside a piece of rows (see piece) is its start and the rows of it
// returned: {"offset":start,"line":L,"rows":k}; Seek then skips k rows.
type parallel struct {
	s      *Source
	limit  int // rows per batch: maxRows of the first Next
	cancel context.CancelFunc
	wg     sync.WaitGroup
	order  chan *chunk // the chunks in file order; its capacity bounds them
	cur    *chunk      // the chunk being returned, from cur.pieces[0]
	row    int64       // rows of cur.pieces[0] returned (or skipped)
	bad    int         // bad records of cur.pieces[0] reported (or skipped)
	skip   int64       // rows still to skip (a position's rows, after Seek)
	// The chunks cut and not taken yet, in file order; avail holds a token
	// for each, and is closed when the cutter is done.
	mu    sync.Mutex
	queue []*chunk
	avail chan struct{}
	// The reader's transform (see await), made when it first transforms
	// a batch.
	tf pieceTransform
	// pipe, when the source has a transform, transforms the batches.
	pipe *pipe
}

// chunk is a part of the file that starts and ends at record boundaries.
type chunk struct {
	off, end int64
	line     int64 // the line at off; 0 when lines are not counted
	ready    chan struct{}
	pieces   []piece // once ready: its rows, in pieces
	endLine  int64   // once ready: the line at end (0: not counted)
	err      error   // once ready: a fatal error
}

// piece is a batch of at most maxRows rows of a chunk, decoded from start
// (a record boundary: the chunk's start or the end of the piece before),
// and the bad records among them.
type piece struct {
	batch     arrow.RecordBatch // nil if it has no rows
	bads      []badRecord
	start     int64 // the offset where it starts
	startLine int64 // the line there (0: not counted)
	// A piece of exactly a batch's rows, without bad records, is
	// transformed (Source.Transform) by the goroutine that decoded it,
	// while its rows are in that core's cache: out (nil when none is
	// left) or terr, once transformed is set. The batch Next cuts is
	// then the piece, whose output it takes.
	transformed bool
	out         arrow.RecordBatch
	terr        error
}

// rows is the number of rows of the piece.
func (pc *piece) rows() int64 {
	if pc.batch == nil {
		return 0
	}
	return pc.batch.NumRows()
}

// badRecord is a bad record a worker met, copied.
type badRecord struct {
	row    int64 // the rows of its piece before it
	off    int64 // where the record starts in the file
	line   int64 // its line; 0 when the decoder does not count lines
	record []byte
	err    error
}

// startParallel decides, on the first Next, whether the file is decoded in
// parallel and if so starts the goroutines: when the query runs on more
// than one core and the file is mapped with more than parallelChunk bytes
// to read after its header. A changelog (format debezium-json) is read on
// one goroutine, whose batches never part an update's -U from its +U
// (parallel batches are cut at exactly maxRows rows).
func (s *Source) startParallel(maxRows int) error {
	s.serial = true
	n := s.spec.Parallelism
	if n <= 1 || vector.IsChangelog(s.schema) || !s.mapped() {
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
	p := &parallel{s: s, limit: maxRows, cancel: cancel, order: make(chan *chunk, chunksPerWorker*n), skip: s.skipRows}
	s.skipRows = 0
	// Chunks not taken were cut and not returned (in order), or are the
	// one Next is at: the cutter never waits on avail.
	p.avail = make(chan struct{}, cap(p.order)+1)
	s.posLine = s.res.Line()
	p.wg.Add(n + 1)
	go p.cut(ctx, s.offset, s.posLine)
	for range n {
		go p.work(ctx)
	}
	s.par = p
	return nil
}

// cut cuts the file from off (a record boundary on line; 0 when lines are
// not counted) into chunks, sends each to order and queues it to be
// taken, and closes order and avail at the end or when ctx is done.
func (p *parallel) cut(ctx context.Context, off, line int64) {
	defer p.wg.Done()
	defer close(p.avail)
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
	// rows counts the records cut, from where the first batch starts,
	// while every line has been one record (not when a pushed-down LIKE
	// keeps only some lines: counting them would cost more than the
	// search).
	rows, align := -p.skip, s.spec.Contains == ""
	for off < size {
		target := min(size, off+int64(parallelChunk))
		var end int64
		if s.csv {
			end = int64(csvBoundary(mm, int(off), int(target), delim))
			// A quote can hold a newline: lines are no longer records.
			align = align && bytes.IndexByte(mm[off:end], '"') < 0
		} else {
			end = int64(lineBoundary(mm, int(target)))
		}
		c := &chunk{off: off, end: end, line: line, ready: make(chan struct{})}
		var lines int64
		if align {
			c.end, lines = alignEnd(mm, off, end, &rows, int64(p.limit))
			end = c.end
		} else if line > 0 {
			lines = int64(bytes.Count(mm[off:end], []byte{'\n'}))
		}
		if line > 0 {
			line += lines
		}
		select {
		case p.order <- c:
		case <-ctx.Done():
			return
		}
		p.mu.Lock()
		p.queue = append(p.queue, c)
		p.mu.Unlock()
		p.avail <- struct{}{}
		off = end
	}
}

// alignEnd moves end, the end of a chunk that starts at off, on past
// whole lines so that the chunk ends where a batch does (Next cuts batches
// of limit rows), if each line is one record: a batch then seldom takes
// rows of two chunks, which costs a copy. rows is the records before off
// counted from the start of the first batch; alignEnd adds the chunk's.
// It returns the end and the newlines before it. Where lines are not
// records (a bad record, a CSV field holding a newline) chunks are
// still cut right; only their batches are copied together.
func alignEnd(mm []byte, off, end int64, rows *int64, limit int64) (int64, int64) {
	size := int64(len(mm))
	n := int64(bytes.Count(mm[off:end], []byte{'\n'}))
	for more := ((-(*rows + n))%limit + limit) % limit; more > 0 && end < size; more-- {
		k := bytes.IndexByte(mm[end:], '\n')
		if k < 0 {
			end = size // the last line, with no newline after it
			break
		}
		end += int64(k) + 1
		n++
	}
	*rows += n
	return end, n
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

// take takes the first chunk no one has taken, after its token was
// received from avail.
func (p *parallel) take() *chunk {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.queue[0]
	p.queue[0] = nil
	p.queue = p.queue[1:]
	return c
}

// work decodes the chunks it takes, with a decoder of its own, until
// there are no more or ctx is done.
func (p *parallel) work(ctx context.Context) {
	defer p.wg.Done()
	s := p.s
	dec, res, err := p.newDecoder()
	if err == nil {
		defer dec.Release()
	}
	var tf pieceTransform
	defer tf.release()
	debug.SetPanicOnFault(true)
	for {
		select {
		case _, ok := <-p.avail:
			if !ok {
				return
			}
		case <-ctx.Done():
			return
		}
		c := p.take()
		switch {
		case err != nil:
			c.err = err
		case ctx.Err() != nil:
			c.err = ctx.Err()
		default:
			p.decode(dec, res, c, &tf)
			s.dropMapped(c.off, c.end)
		}
		close(c.ready)
	}
}

// decode decodes chunk c into its pieces, or sets c.err. It decodes the
// chunk through windows of bufCap bytes, as the reading source does, so a
// record longer than max_record_bytes is bad in the same way.
func (p *parallel) decode(dec format.Decoder, res format.Resumer, c *chunk, tf *pieceTransform) {
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
		bads = append(bads, badRecord{row: int64(dec.Rows()), off: int64(len(mm) - cap(r.Record)), line: r.Line,
			record: bytes.Clone(clipRecord(r.Record)), err: r.Err})
		return nil
	}
	start, startLine := c.off, c.line
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
			// Decode stopped just after the piece's last row.
			c.pieces = append(c.pieces, piece{batch: dec.Flush(), bads: bads, start: start, startLine: startLine})
			tf.apply(p, &c.pieces[len(c.pieces)-1])
			bads, start, startLine = nil, pos, res.Line()
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
			bads = append(bads, badRecord{row: int64(dec.Rows()), off: pos, line: line,
				record: bytes.Clone(clipRecord(rec)), err: fmt.Errorf(msg, s.maxRecord)})
			k, _, _ := res.SkipRecord(mm[pos:c.end], 0)
			nl := int64(bytes.Count(mm[pos:pos+int64(k)], []byte{'\n'}))
			pos += int64(k)
			if line > 0 {
				res.Resume(line + nl)
			}
		}
	}
	if b := dec.Flush(); b != nil || len(bads) > 0 {
		c.pieces = append(c.pieces, piece{batch: b, bads: bads, start: start, startLine: startLine})
	}
	c.endLine = res.Line()
}

// next returns the next batch of maxRows rows (fewer only at the end) in
// file order, reporting the bad records before each row first, and moves
// the source's position to just after it.
func (p *parallel) next(ctx context.Context, maxRows int) (arrow.RecordBatch, error) {
	s := p.s
	parts, err := p.nextParts(ctx, maxRows, nil, nil)
	if err != nil {
		return nil, err
	}
	switch len(parts) {
	case 0:
		s.done = true
		return nil, connectors.ErrEndOfInput
	case 1:
		return parts[0], nil
	}
	b, err := concatBatches(s.schema, parts, s.spec.Alloc)
	for _, part := range parts {
		part.Release()
	}
	if err != nil {
		return nil, s.fail(fmt.Errorf("table %s: %w", s.table, err))
	}
	return b, nil
}

// heldBad is a bad record whose report waits for the batch after it to
// be returned (see nextParts).
type heldBad struct {
	line   int64
	record []byte
	err    error
}

// nextParts is next, but returns the rows of the batch in parts, and
// none at the end of the file. When hold is not nil the bad records
// before the rows are appended to it instead of being reported. When pre
// is not nil and the batch is one whole piece transformed already, pre
// takes its output.
func (p *parallel) nextParts(ctx context.Context, maxRows int, hold *[]heldBad, pre *transformedBatch) ([]arrow.RecordBatch, error) {
	s := p.s
	var parts []arrow.RecordBatch
	fail := func(err error) ([]arrow.RecordBatch, error) {
		for _, b := range parts {
			b.Release()
		}
		return nil, s.fail(err)
	}
	n := int64(0)
	for n < int64(maxRows) {
		pc, err := p.piece(ctx)
		if err != nil {
			if ctx.Err() != nil && err == ctx.Err() {
				for _, b := range parts {
					b.Release()
				}
				return nil, err
			}
			return fail(err)
		}
		if pc == nil {
			break // the end of the file
		}
		// The bad records before the next row (all of them once every
		// row was returned).
		for p.bad < len(pc.bads) && pc.bads[p.bad].row <= p.row {
			r := pc.bads[p.bad]
			p.bad++
			if p.skip > 0 {
				continue // reported before the position saved
			}
			line := r.line
			if line == 0 {
				if line, err = s.lineAt(r.off); err != nil {
					return fail(err)
				}
			}
			if hold != nil {
				*hold = append(*hold, heldBad{line: line, record: r.record, err: r.err})
			} else if err := s.report(line, r.record, r.err); err != nil {
				return fail(err)
			}
		}
		if rows := pc.rows(); p.row < rows {
			k := min(rows-p.row, int64(maxRows)-n)
			if p.skip > 0 {
				k = min(rows-p.row, p.skip)
			}
			if p.bad < len(pc.bads) {
				k = min(k, pc.bads[p.bad].row-p.row) // up to the next bad record
			}
			if p.skip > 0 {
				p.skip -= k
			} else {
				if pre != nil && pc.transformed && n == 0 && p.row == 0 && k == rows && rows == int64(maxRows) {
					*pre = transformedBatch{out: pc.out, terr: pc.terr, ok: true}
					pc.out = nil
				}
				parts = append(parts, pc.batch.NewSlice(p.row, p.row+k))
				n += k
			}
			p.row += k
			s.offset, s.posLine, s.posRows = pc.start, pc.startLine, p.row
			if p.row < rows || p.bad < len(pc.bads) {
				continue
			}
		}
		p.advance()
	}
	return parts, nil
}

// piece returns the piece rows are returned from, waiting for its chunk
// to be decoded, or decoding it here if no worker has started it; nil at
// the end of the file.
func (p *parallel) piece(ctx context.Context) (*piece, error) {
	s := p.s
	for {
		if p.cur == nil {
			select {
			case c, ok := <-p.order:
				if !ok {
					return nil, nil
				}
				p.cur = c
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		c := p.cur
		select {
		case <-c.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if c.err != nil {
			return nil, c.err
		}
		if len(c.pieces) > 0 {
			return &c.pieces[0], nil
		}
		s.offset, s.posLine, s.posRows = c.end, c.endLine, 0
		p.cur = nil
	}
}

// advance moves past the current piece, every row and bad record of
// which was returned: the position is then the start of the next piece,
// or the end of the chunk.
func (p *parallel) advance() {
	s, c := p.s, p.cur
	c.pieces[0].release()
	c.pieces = c.pieces[1:]
	p.row, p.bad = 0, 0
	if len(c.pieces) > 0 {
		s.offset, s.posLine, s.posRows = c.pieces[0].start, c.pieces[0].startLine, 0
		return
	}
	s.offset, s.posLine, s.posRows = c.end, c.endLine, 0
	p.cur = nil
}

// concatBatches copies the rows of parts, batches of schema, into one
// batch.
func concatBatches(schema *arrow.Schema, parts []arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	var rows int64
	for _, b := range parts {
		rows += b.NumRows()
	}
	arrs := make([]arrow.Array, len(parts))
	for i := range cols {
		for j, b := range parts {
			arrs[j] = b.Column(i)
		}
		c, err := array.Concatenate(arrs, mem)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	return array.NewRecordBatch(schema, cols, rows), nil
}

// close stops the goroutines, waits for them, and frees the batches not
// returned.
func (p *parallel) close() {
	if p.pipe != nil {
		p.pipe.stop()
	}
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
			pc.release()
		}
		c.pieces = nil
	}
	if p.cur != nil {
		release(p.cur)
	}
	for c := range p.order {
		release(c)
	}
	p.tf.release()
}

// release frees the piece's batch and its output not taken.
func (pc *piece) release() {
	if pc.batch != nil {
		pc.batch.Release()
	}
	if pc.out != nil {
		pc.out.Release()
	}
}

// pieceTransform is a goroutine's own instance of the source's transform,
// made when it first transforms a piece.
type pieceTransform struct {
	f   func(arrow.RecordBatch) (arrow.RecordBatch, error)
	rel func()
}

// apply transforms pc if the source has a transform and pc is exactly a
// batch's rows without bad records (see piece).
func (t *pieceTransform) apply(p *parallel, pc *piece) {
	s := p.s
	if s.transform == nil || pc.batch == nil || len(pc.bads) > 0 || pc.batch.NumRows() != int64(p.limit) {
		return
	}
	if t.f == nil {
		t.f, t.rel = s.transform.NewWorker()
	}
	pc.batch.Retain()
	if out, err := apply(t.f, pc.batch); err != nil {
		pc.terr = fmt.Errorf("table %s: %w", s.table, err)
	} else {
		pc.out = out
	}
	pc.transformed = true
}

func (t *pieceTransform) release() {
	if t.rel != nil {
		t.rel()
	}
}

// transformedBatch is the output of a batch that was one whole piece
// transformed where it was decoded (see piece).
type transformedBatch struct {
	out  arrow.RecordBatch
	terr error
	ok   bool
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
