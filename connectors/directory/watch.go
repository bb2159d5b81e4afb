package directory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/connectors/live"
)

// ignoredSuffixes mark files still being written.
var ignoredSuffixes = []string{".tmp", ".partial", ".crdownload"}

// Ignored reports whether a file of this base name is never read: names
// starting with '.' or '_' and names ending in .tmp, .partial or
// .crdownload (in any case).
func Ignored(name string) bool {
	if name == "" || name[0] == '.' || name[0] == '_' {
		return true
	}
	lower := strings.ToLower(name)
	for _, suf := range ignoredSuffixes {
		if strings.HasSuffix(lower, suf) {
			return true
		}
	}
	return false
}

// errVanished says a file was deleted before it could be opened.
var errVanished = errors.New("file vanished")

// candidate is a file found by a scan.
type candidate struct {
	name  string
	mtime time.Time
}

// run reads the files present, then polls for new ones, until ctx ends.
func (s *Source) run(ctx context.Context) {
	select {
	case <-s.ready:
	case <-ctx.Done():
		return
	}
	seen := map[string]bool{}
	for name := range s.seekDone {
		seen[name] = true
	}
	listFailed := false
	t := time.NewTicker(s.poll)
	defer t.Stop()
	for {
		files, err := s.scan(seen)
		switch {
		case err != nil && !listFailed:
			s.log.Warn("directory source cannot list the directory; retrying", "table", s.table, "path", s.dir, "err", err)
			listFailed = true
		case err == nil && listFailed:
			s.log.Info("directory source can list the directory again", "table", s.table, "path", s.dir)
			listFailed = false
		}
		if s.seekFile != "" && !seen[s.seekFile] {
			// The file partly returned before the checkpoint comes first.
			slices.SortStableFunc(files, func(a, b candidate) int {
				return cmp.Compare(btoi(a.name != s.seekFile), btoi(b.name != s.seekFile))
			})
		}
		for _, f := range files {
			seen[f.name] = true
			err := s.readFile(ctx, f.name)
			var fatal live.FatalError
			switch {
			case errors.Is(err, errVanished):
				delete(seen, f.name) // a new file of that name will be read
			case errors.As(err, &fatal):
				s.fail(ctx, fatal.Err)
				return
			case err != nil:
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// scan lists the directory's new files to read, oldest first.
func (s *Source) scan(seen map[string]bool) ([]candidate, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []candidate
	for _, e := range entries {
		name := e.Name()
		if seen[name] || Ignored(name) || e.IsDir() {
			continue
		}
		if s.pattern != "" {
			if ok, _ := path.Match(s.pattern, name); !ok {
				continue
			}
		}
		// Stat follows symbolic links; only regular files are read.
		st, err := os.Stat(filepath.Join(s.dir, name))
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		out = append(out, candidate{name, st.ModTime()})
	}
	slices.SortFunc(out, func(a, b candidate) int {
		if c := a.mtime.Compare(b.mtime); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name)
	})
	return out, nil
}

// readFile reads one file whole and queues its rows, after a marker
// that makes it the file Next is in and before one that marks it done.
// It returns nil when the file was read or skipped, errVanished if it is
// gone, and otherwise an error that stops the source (ctx ended, or a
// live.FatalError).
func (s *Source) readFile(ctx context.Context, name string) error {
	p := filepath.Join(s.dir, name)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("directory source: file vanished before it was read; skipped", "table", s.table, "path", p)
		return errVanished
	}
	if f != nil {
		defer f.Close()
	}
	if err := s.q.Put(ctx, live.Item{Done: func() { s.startFile(name) }}); err != nil {
		return err
	}
	if err != nil {
		return s.skipFile(ctx, name, p, err)
	}
	dec, err := format.NewDecoder(s.format, s.schema, s.opts, s.alloc)
	if err != nil {
		return live.FatalError{Err: err}
	}
	defer dec.Release()
	if cf, ok := dec.(format.ContainsFilter); ok && s.contains != "" {
		cf.SetContains(s.contains)
	}
	m := &mover{s: s, ctx: ctx, name: name, q: live.NewQueue(1 << 62), in: f}
	defer m.q.Close()
	r := &live.RecordReader{
		Table: s.table, Queue: m.q, Decoder: dec, MaxLine: s.maxLine,
		Where: func(line int64) string { return fmt.Sprintf("%s:%d", p, line) },
	}
	_, err = r.ReadFrom(ctx, m)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if m.err != nil {
		return m.err
	}
	if err := m.move(); err != nil {
		return err
	}
	var fatal live.FatalError
	switch {
	case errors.As(err, &fatal):
		// A decoder error about the whole file (a CSV header naming none
		// of the columns): the file is bad, not the source.
		return s.skipFile(ctx, name, p+":1", fatal.Err)
	case err != nil:
		// A read error: RecordReader has reported a cut record.
		s.log.Warn("directory source: cannot read file; rest skipped", "table", s.table, "path", p, "err", err)
	}
	return s.q.Put(ctx, live.Item{Done: func() { s.markDone(name) }})
}

// mover is the input of a file's RecordReader, which queues on a private
// queue: before each read it moves the items queued so far to the
// source's queue, each batch with a Done hook that counts its rows, so
// that Next knows exactly which file the rows it returns come from.
type mover struct {
	s    *Source
	ctx  context.Context
	name string
	q    *live.Queue
	in   io.Reader
	err  error
}

func (m *mover) Read(p []byte) (int, error) {
	if err := m.move(); err != nil {
		m.err = err
		return 0, err
	}
	return m.in.Read(p)
}

// move moves the queued items to the source's queue.
func (m *mover) move() error {
	var bad []connectors.BadRow
	collect := func(b connectors.BadRow) error {
		bad = append(bad, b)
		return nil
	}
	for {
		b, err := m.q.Next(math.MaxInt, collect)
		switch {
		case errors.Is(err, connectors.ErrNoData):
			if len(bad) == 0 {
				return nil
			}
			return m.s.q.Put(m.ctx, live.Item{Bad: bad})
		case err != nil:
			return err
		}
		it := live.Item{Batch: b, Bad: bad, Done: m.s.batchDone(m.name, b.NumRows())}
		bad = nil
		if err := m.s.q.Put(m.ctx, it); err != nil {
			return err
		}
	}
}

// skipFile reports a file that cannot be decoded as a bad row.
func (s *Source) skipFile(ctx context.Context, name, where string, err error) error {
	bad := connectors.BadRow{Table: s.table, Position: where, Err: fmt.Errorf("file skipped: %w", err)}
	return s.q.Put(ctx, live.Item{Bad: []connectors.BadRow{bad}, Done: func() { s.markDone(name) }})
}
