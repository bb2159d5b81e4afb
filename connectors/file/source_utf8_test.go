package file

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
)

// TestSourceInvalidUTF8Positions: a text line that is not valid UTF-8 is
// a bad row at its line, whether the decoder counts lines or the source
// does (a contains filter), also after a Seek to a position saved without
// a line.
func TestSourceInvalidUTF8Positions(t *testing.T) {
	path := writeFile(t, "bad.txt", "a x\nb\n\xff x\nc x\n\xfe\n")
	for _, tc := range []struct {
		name     string
		contains string
		seek     string
		rows     string
		bad      string
	}{
		{"counting", "", "", "a x|b|c x", path + `:3 "\xff x" invalid UTF-8 in column line|` + path + `:5 "\xfe" invalid UTF-8 in column line`},
		{"contains", "x", "", "a x|c x", path + `:3 "\xff x" invalid UTF-8 in column line`},
		{"seek without line", "", `{"offset":4}`, "b|c x", path + `:3 "\xff x" invalid UTF-8 in column line|` + path + `:5 "\xfe" invalid UTF-8 in column line`},
		{"seek with line", "", `{"offset":6,"line":3}`, "c x", path + `:3 "\xff x" invalid UTF-8 in column line|` + path + `:5 "\xfe" invalid UTF-8 in column line`},
		{"contains after seek", "x", `{"offset":6}`, "c x", path + `:3 "\xff x" invalid UTF-8 in column line`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p partial
			spec := connectors.SourceSpec{Table: "t", Schema: lines, Options: map[string]string{"path": path, "format": "text"}, Contains: tc.contains}
			src := openSource(t, spec, memory.NewGoAllocator(), &p)
			defer src.Close()
			if tc.seek != "" {
				must(t, src.Seek([]byte(tc.seek)))
			}
			readBatches(t, src, 2, -1, &p)
			got := strings.Join(p.rows, "|")
			if got != tc.rows {
				t.Errorf("rows %q, want %q", got, tc.rows)
			}
			if bad := strings.Join(p.bad, "|"); bad != tc.bad {
				t.Errorf("bad rows\n%s\nwant\n%s", bad, tc.bad)
			}
		})
	}
}
