package format

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestCSVSkipRecord checks, over every short input of the characters
// that matter, that SkipRecord ends a record where Decode does, whether
// given the input at once or a byte at a time.
func TestCSVSkipRecord(t *testing.T) {
	alphabet := []string{"a", ",", `"`, "\n", "\r"}
	stop := errors.New("stop")
	var inputs []string
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		inputs = append(inputs, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(prefix+c, n-1)
		}
	}
	gen("", 6)
	for _, in := range inputs {
		if in == "" || in[0] == '\n' || in[0] == '\r' {
			continue // Decode skips blank lines before a record
		}
		data := []byte(in + "z,z\n")
		d, err := NewDecoder("csv", schemaOf("a VARCHAR", "b VARCHAR"), map[string]string{"header": "false"}, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		n, _, err := d.Decode(data, 1, true, func(BadRecord) error { return stop })
		if err != nil && err != stop {
			t.Fatal(err)
		}
		if b := d.Flush(); b != nil {
			b.Release()
		}
		r := d.(Resumer)
		m, done, _ := r.SkipRecord(data, 0)
		if !done {
			m = len(data)
		}
		// Decode also consumes blank lines after the record.
		if m > n || strings.Trim(string(data[m:n]), "\r\n") != "" {
			t.Fatalf("%q: Decode consumed %d bytes, SkipRecord %d (done %v)", data, n, m, done)
		}
		state, k := 0, 0
		for k < len(data) {
			var step int
			step, done, state = r.SkipRecord(data[k:k+1], state)
			k += step
			if done {
				break
			}
		}
		if k != m {
			t.Fatalf("%q: SkipRecord byte by byte ends at %d, at once at %d", data, k, m)
		}
		d.Release()
	}
}

// TestReadHeaderResume reads a CSV header in pieces, then decodes from
// the middle of the input.
func TestReadHeaderResume(t *testing.T) {
	input := "\xEF\xBB\xBF\n\r\nb,\"a\nx\"\r\n1,2\n3,4\n"
	d, err := NewDecoder("csv", schemaOf("a VARCHAR", "b VARCHAR"), nil, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	r := d.(Resumer)
	data := []byte(input)
	start := 0
	for end := 0; ; end++ {
		n, done, err := r.ReadHeader(data[start:end], false)
		if err != nil {
			t.Fatal(err)
		}
		start += n
		if done {
			break
		}
	}
	if want := strings.Index(input, "1,2"); start != want || r.Line() != 5 {
		t.Fatalf("header ends at %d, line %d; want %d, line 5", start, r.Line(), want)
	}
	if _, done, _ := r.ReadHeader(nil, false); !done {
		t.Fatal("ReadHeader after the header is not done")
	}
	// Resume at "3,4" on line 6: columns map by the header ("a\nx" is
	// not a column, so a is NULL).
	r.Resume(6)
	rest := data[strings.Index(input, "3,4"):]
	var bad []BadRecord
	n, _, err := d.Decode(append(rest, "x\n"...), 0, true, func(b BadRecord) error { bad = append(bad, b); return nil })
	if err != nil || n != len(rest)+2 {
		t.Fatal(n, err)
	}
	b := d.Flush()
	defer b.Release()
	if got := strings.Join(renderBatch(b), " "); got != `NULL|"3"` || len(bad) != 1 || bad[0].Line != 7 {
		t.Fatalf("%s %+v", got, bad)
	}
	// JSON and text have no header.
	for _, f := range []string{"json", "text"} {
		d, _ := NewDecoder(f, schemaOf("a VARCHAR"), nil, memory.DefaultAllocator)
		if n, done, err := d.(Resumer).ReadHeader([]byte("x\n"), false); n != 0 || !done || err != nil {
			t.Fatal(f, n, done, err)
		}
		d.Release()
	}
}
