package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/weirdb/weir/exec"
)

// outputExt is the file name extension of each output format.
var outputExt = map[string]string{"jsonl": "jsonl", "csv": "csv", "table": "txt"}

// routeOutput keeps the rows of a script's bare SELECTs apart. With dir,
// each goes to its own file, dir/query-N.<jsonl|csv|txt>. Otherwise, when
// there are several, each is labelled with its query number: a first
// "_query" key or column in jsonl and csv, "(query N)" in a table's batch
// header. A single SELECT prints as it always has.
func (j *job) routeOutput(dir, format string) error {
	var bare []*exec.Query
	for _, q := range j.queries {
		if j.consoles[q] != nil {
			bare = append(bare, q)
		}
	}
	if dir != "" {
		if len(bare) > 0 {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("--output-dir: %w", err)
			}
		}
		for _, q := range bare {
			f, err := os.Create(filepath.Join(dir, fmt.Sprintf("query-%d.%s", q.ID, outputExt[format])))
			if err != nil {
				return fmt.Errorf("--output-dir: %w", err)
			}
			c := j.consoles[q]
			c.out, c.file = f, f
		}
		return nil
	}
	if len(bare) < 2 {
		return nil
	}
	for _, q := range bare {
		if err := j.consoles[q].tagQuery(q.ID); err != nil {
			return err
		}
	}
	return nil
}
