package kafka

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpillRoundTrip writes records with null and empty keys and values
// and reads them back; a file cut short or shorter than its checkpointed
// size is an error that says so.
func TestSpillRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, spillPending)
	w, err := openSpill(path)
	sinkMust(t, err)
	recs := [][2][]byte{{nil, []byte("v")}, {[]byte("k"), nil}, {[]byte{}, []byte{}}, {[]byte("key"), []byte(strings.Repeat("x", 300))}}
	for _, r := range recs {
		sinkMust(t, w.add(r[0], r[1]))
	}
	sinkMust(t, w.sync())
	sinkMust(t, w.close())
	var got []string
	show := func(b []byte) string {
		if b == nil {
			return "<nil>"
		}
		return fmt.Sprintf("%q", b)
	}
	sinkMust(t, readSpill(path, w.size, func(k, v []byte) error {
		got = append(got, show(k)+"="+show(v))
		return nil
	}))
	var want []string
	for _, r := range recs {
		want = append(want, show(r[0])+"="+show(r[1]))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %v\nwant %v", got, want)
	}
	nop := func(k, v []byte) error { return nil }
	if err := readSpill(path, w.size-1, nop); err == nil || err.Error() != path+" is damaged: it ends inside a record" {
		t.Errorf("cut short: %v", err)
	}
	if err := readSpill(path, w.size+1, nop); err == nil || err.Error() != fmt.Sprintf("%s is %d bytes, shorter than the checkpointed %d; it was changed outside Weir", path, w.size, w.size+1) {
		t.Errorf("too short: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

// TestSpillNames: spill files sort by checkpoint number and other files
// are not taken for them.
func TestSpillNames(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{spillName(12), spillName(3), spillPending, "spill-x.rec", "spill-0.rec"} {
		sinkMust(t, os.WriteFile(filepath.Join(dir, n), nil, 0o644))
	}
	ns, err := spillFiles(dir)
	sinkMust(t, err)
	if fmt.Sprint(ns) != "[3 12]" {
		t.Errorf("spill files %v, want [3 12]", ns)
	}
}
