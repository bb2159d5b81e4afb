package file

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
)

// benchFiles are generated once per test binary.
var benchFiles struct {
	sync.Once
	dir       string
	text, csv string
	err       error
}

// benchData writes a 64 MiB text file of ~100-byte lines, 1% of them with
// ERROR, and a CSV file of 600k click rows (ts,user_id,url), with a few
// quoted fields.
func benchData(b *testing.B) (text, csv string) {
	benchFiles.Do(func() {
		dir, err := os.MkdirTemp("", "weir-file-bench")
		if err != nil {
			benchFiles.err = err
			return
		}
		benchFiles.dir = dir
		rng := rand.New(rand.NewPCG(1, 1))
		words := []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"}
		var t strings.Builder
		for t.Len() < 64<<20 {
			for n := 0; n < 100; {
				w := words[rng.IntN(len(words))]
				if rng.IntN(1600) == 0 {
					w = "ERROR"
				}
				t.WriteString(w)
				t.WriteByte(' ')
				n += len(w) + 1
			}
			t.WriteByte('\n')
		}
		var c strings.Builder
		c.WriteString("ts,user_id,url\n")
		for i := range 600_000 {
			url := fmt.Sprintf("/page/%d", rng.IntN(1000))
			if i%50 == 0 {
				url = fmt.Sprintf("\"/search?q=a,b\n%d\"", i)
			}
			fmt.Fprintf(&c, "2024-01-01 00:%02d:%02d.%03d,%d,%s\n", i/60000%60, i/1000%60, i%1000, rng.IntN(100000), url)
		}
		benchFiles.text = filepath.Join(dir, "grep.txt")
		benchFiles.csv = filepath.Join(dir, "clicks.csv")
		if err := os.WriteFile(benchFiles.text, []byte(t.String()), 0o644); err != nil {
			benchFiles.err = err
			return
		}
		benchFiles.err = os.WriteFile(benchFiles.csv, []byte(c.String()), 0o644)
	})
	if benchFiles.err != nil {
		b.Fatal(benchFiles.err)
	}
	return benchFiles.text, benchFiles.csv
}

// benchRead reads a whole file source and returns the rows read.
func benchRead(b *testing.B, spec connectors.SourceSpec) int64 {
	spec.Alloc = memory.NewGoAllocator()
	spec.BadRow = func(connectors.BadRow) error { return nil }
	src, err := NewSource(spec)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	var rows int64
	for {
		batch, err := src.Next(context.Background(), 8192)
		if errors.Is(err, connectors.ErrEndOfInput) {
			return rows
		}
		if err != nil {
			b.Fatal(err)
		}
		rows += batch.NumRows()
		batch.Release()
	}
}

// BenchmarkSourceGrep reads the lines containing ERROR (the LIKE hint) of
// a 64 MiB text file, on 1 and 2 goroutines.
func BenchmarkSourceGrep(b *testing.B) {
	text, _ := benchData(b)
	st, _ := os.Stat(text)
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("parallelism=%d", n), func(b *testing.B) {
			b.SetBytes(st.Size())
			for b.Loop() {
				benchRead(b, connectors.SourceSpec{Table: "t", Schema: lines, Options: map[string]string{"path": text}, Contains: "ERROR", Parallelism: n})
			}
		})
	}
}

// BenchmarkSourceCSV decodes a CSV file of 600k rows on 1 and 2 goroutines.
func BenchmarkSourceCSV(b *testing.B) {
	_, csv := benchData(b)
	st, _ := os.Stat(csv)
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("parallelism=%d", n), func(b *testing.B) {
			b.SetBytes(st.Size())
			for b.Loop() {
				if rows := benchRead(b, connectors.SourceSpec{Table: "t", Schema: clicks, Options: map[string]string{"path": csv}, Parallelism: n}); rows != 600_000 {
					b.Fatalf("%d rows", rows)
				}
			}
		})
	}
}

var _ = arrow.Null
