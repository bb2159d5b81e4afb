package format

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestTextContains checks the contains prefilter against filtering every
// line, with every chunk size and row limit, on random text where matches
// sit at line starts and ends, straddle chunk boundaries, and repeat.
func TestTextContains(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"ERR", "ERROR", "OR", "x", "", "ERRORERROR", "aERRORb", "\r"}
	for trial := 0; trial < 30; trial++ {
		var sb strings.Builder
		lines := r.IntN(40)
		for i := 0; i < lines; i++ {
			for w := r.IntN(5); w > 0; w-- {
				sb.WriteString(words[r.IntN(len(words))])
				sb.WriteByte(' ')
			}
			if i < lines-1 || r.IntN(2) == 0 {
				sb.WriteByte('\n')
			}
		}
		input := sb.String()
		var want []string
		for _, l := range strings.SplitAfter(input, "\n") {
			if l == "" {
				continue
			}
			l = strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r")
			if strings.Contains(l, "ERROR") {
				want = append(want, fmt.Sprintf("%q", l))
			}
		}
		for _, chunk := range []int{1, 2, 5, 64, 1 << 20} {
			for _, limit := range []int{0, 1, 3} {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				dec, err := NewDecoder("text", schemaOf("line VARCHAR"), nil, mem)
				if err != nil {
					t.Fatal(err)
				}
				dec.(ContainsFilter).SetContains("ERROR")
				res := drive(t, dec, []byte(input), chunk, limit)
				dec.Release()
				mem.AssertSize(t, 0)
				if fmt.Sprint(res.rows) != fmt.Sprint(want) {
					t.Fatalf("input %q chunk %d limit %d:\ngot  %v\nwant %v", input, chunk, limit, res.rows, want)
				}
			}
		}
	}
}
