package postgres

import (
	"fmt"
	"sync"
	"testing"

	"github.com/weirdb/weir/connectors/postgres/pgtest"
)

// TestSinksCreateOneTableAtOnce: the sinks of a query's tasks, started
// together, create their missing table and the progress table once
// between them, none failing on PostgreSQL's race in IF NOT EXISTS.
func TestSinksCreateOneTableAtOnce(t *testing.T) {
	dsn := pgtest.Start(t)
	const n = 8
	errs := make([]error, n)
	sinks := make([]*Sink, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sinks[i], errs[i] = newSink(t, dsn, "counts", wordSchema, []string{"word"}, t.TempDir(),
				"progress_key", fmt.Sprintf("q1-p%d/counts", i))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("sink %d: %v", i, err)
		} else {
			sinks[i].Close()
		}
	}
}
