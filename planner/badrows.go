package planner

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/connectors"
)

// badRowPolicy builds a table's bad-row handler from its on_error option:
// 'skip' (the default) counts the row and tells next (which warns);
// 'dead_letter' also appends the row, its reason and position as a JSON
// line to dead_letter_path; 'fail' stops the query with an error that
// says it failed on the row (next is not told: the row was not skipped). The
// returned closer, if not nil, closes the dead-letter file.
func badRowPolicy(t *catalog.Table, next connectors.BadRowHandler) (connectors.BadRowHandler, *deadLetter, error) {
	mode := strings.ToLower(t.Options["on_error"])
	switch mode {
	case "", "skip":
		return next, nil, nil
	case "fail":
		return func(b connectors.BadRow) error {
			return fmt.Errorf("table %s: failed on bad row at %s: %v (on_error = 'fail')", b.Table, b.Position, b.Err)
		}, nil, nil
	case "dead_letter":
		path := t.Options["dead_letter_path"]
		if path == "" {
			return nil, nil, fmt.Errorf("table %s: on_error = 'dead_letter' needs option dead_letter_path (the file bad rows are appended to)", t.Name)
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("table %s: dead_letter_path: %w", t.Name, err)
		}
		dl := &deadLetter{f: f, w: bufio.NewWriter(f), path: path}
		return func(b connectors.BadRow) error {
			if err := dl.write(b); err != nil {
				return fmt.Errorf("table %s: writing dead letter %s: %w", b.Table, path, err)
			}
			return next(b)
		}, dl, nil
	}
	return nil, nil, fmt.Errorf("table %s: option on_error must be 'skip', 'dead_letter' or 'fail', not %q", t.Name, t.Options["on_error"])
}

// deadLetter appends bad rows to a file as JSON lines.
type deadLetter struct {
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer
	path string
}

type deadRow struct {
	Table    string `json:"table"`
	Position string `json:"position"`
	Error    string `json:"error"`
	Record   string `json:"record"`
}

func (d *deadLetter) write(b connectors.BadRow) error {
	line, err := json.Marshal(deadRow{Table: b.Table, Position: b.Position, Error: fmt.Sprint(b.Err), Record: b.Record})
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.w.Write(line)
	return d.w.WriteByte('\n')
}

// Close flushes and closes the file.
func (d *deadLetter) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	err := d.w.Flush()
	if cerr := d.f.Close(); err == nil {
		err = cerr
	}
	return err
}
