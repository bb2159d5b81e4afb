package directory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
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
	seen := map[string]bool{}
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

// readFile reads one file whole and queues its rows. It returns nil when
// the file was read or skipped, errVanished if it is gone, and otherwise
// an error that stops the source (ctx ended, or a live.FatalError).
func (s *Source) readFile(ctx context.Context, name string) error {
	p := filepath.Join(s.dir, name)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("directory source: file vanished before it was read; skipped", "table", s.table, "path", p)
		return errVanished
	}
	if err != nil {
		return s.skipFile(ctx, name, p, err)
	}
	defer f.Close()
	dec, err := format.NewDecoder(s.format, s.schema, s.opts, s.alloc)
	if err != nil {
		return live.FatalError{Err: err}
	}
	defer dec.Release()
	r := &live.RecordReader{
		Table: s.table, Queue: s.q, Decoder: dec, MaxLine: s.maxLine,
		Where: func(line int64) string { return fmt.Sprintf("%s:%d", p, line) },
	}
	_, err = r.ReadFrom(ctx, f)
	var fatal live.FatalError
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
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

// skipFile reports a file that cannot be decoded as a bad row.
func (s *Source) skipFile(ctx context.Context, name, where string, err error) error {
	bad := connectors.BadRow{Table: s.table, Position: where, Err: fmt.Errorf("file skipped: %w", err)}
	return s.q.Put(ctx, live.Item{Bad: []connectors.BadRow{bad}, Done: func() { s.markDone(name) }})
}
