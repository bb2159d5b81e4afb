package format

import (
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Decoders share no mutable state: one per goroutine, several decode the
// same input at once (as the file source's parallel chunks do) and each
// gets what one alone gets. Run with -race.
func TestDecodersPerGoroutine(t *testing.T) {
	for _, c := range []struct {
		format string
		opts   map[string]string
		data   []byte
	}{
		{"csv", map[string]string{"header": "false"}, benchLines(256<<10, csvLine)},
		{"json", nil, benchLines(256<<10, jsonLine)},
	} {
		decode := func() []string {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			dec, err := NewDecoder(c.format, schemaOf(clickCols...), c.opts, mem)
			if err != nil {
				t.Error(err)
				return nil
			}
			defer dec.Release()
			var out []string
			rest := c.data
			for len(rest) > 0 {
				n, _, err := dec.Decode(rest[:min(len(rest), 10_000)], 1000, len(rest) <= 10_000, nil)
				if err != nil {
					t.Error(err)
					return nil
				}
				rest = rest[n:]
				if b := dec.Flush(); b != nil {
					out = append(out, batchText(b))
					b.Release()
				}
			}
			return out
		}
		want := decode()
		var wg sync.WaitGroup
		got := make([][]string, 4)
		for g := range got {
			wg.Go(func() { got[g] = decode() })
		}
		wg.Wait()
		for g := range got {
			if len(got[g]) != len(want) || len(want) < 10 {
				t.Fatalf("%s: goroutine %d made %d batches, alone %d", c.format, g, len(got[g]), len(want))
			}
			for i := range want {
				if got[g][i] != want[i] {
					t.Fatalf("%s: goroutine %d batch %d differs", c.format, g, i)
				}
			}
		}
	}
}

// batchText is every value of b, as text.
func batchText(b arrow.RecordBatch) string {
	s := ""
	for c := range b.Columns() {
		s += b.Column(c).String() + "\n"
	}
	return s
}
