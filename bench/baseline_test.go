package bench

import (
	"bytes"
	"io"
	"strings"
	"sync/atomic"
	"testing"
)

func TestBaselinesAgreeWithGenerator(t *testing.T) {
	var text bytes.Buffer
	var progress atomic.Int64
	c := DefaultText(5000, 3)
	st, err := GenerateText(&text, c, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if st.Lines != 5000 || progress.Load() != 5000 || st.Bytes != int64(text.Len()) || st.Matches == 0 {
		t.Fatalf("stats %+v, progress %d, %d bytes", st, progress.Load(), text.Len())
	}
	// WriteText writes the same text.
	var again bytes.Buffer
	n, m, err := WriteText(&again, c)
	if err != nil || n != st.Bytes || m != st.Matches || !bytes.Equal(again.Bytes(), text.Bytes()) {
		t.Fatalf("WriteText: %d bytes, %d matches, %v; not the same text", n, m, err)
	}

	var out bytes.Buffer
	g, err := Grep(bytes.NewReader(text.Bytes()), []byte("ERROR"), &out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Lines != st.Lines || g.Bytes != st.Bytes || g.Matches != st.Matches {
		t.Fatalf("grep %+v, generated %+v", g, st)
	}
	if got := int64(strings.Count(out.String(), "\n")); got != g.Matches || strings.Count(out.String(), "ERROR") < int(g.Matches) {
		t.Fatalf("grep wrote %d lines, want %d", got, g.Matches)
	}

	wc, err := WordCount(bytes.NewReader(text.Bytes()), nil)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, n := range wc.Counts {
		sum += n
	}
	if wc.Lines != st.Lines || wc.Words != st.Words || sum != st.Words || wc.Counts["ERROR"] != st.Matches {
		t.Fatalf("wordcount %d lines %d words (sum %d, ERROR %d), generated %+v", wc.Lines, wc.Words, sum, wc.Counts["ERROR"], st)
	}
}

func TestWordCountSplitsLikeUnnest(t *testing.T) {
	wc, err := WordCount(strings.NewReader("a b\n\nb  c\nc"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// "b  c" has an empty piece; the empty line has none.
	want := map[string]int64{"a": 1, "b": 2, "": 1, "c": 2}
	if wc.Lines != 4 || wc.Words != 6 || len(wc.Counts) != len(want) {
		t.Fatalf("%+v", wc)
	}
	for w, n := range want {
		if wc.Counts[w] != n {
			t.Fatalf("%q: %d, want %d", w, wc.Counts[w], n)
		}
	}
	if _, err := Grep(strings.NewReader(""), []byte("x"), io.Discard, nil); err != nil {
		t.Fatal(err)
	}
}
