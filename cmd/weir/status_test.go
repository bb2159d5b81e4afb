package main

import (
	"bytes"
	"testing"
)

// TestStatusLineFitsTerminal: a status line wider than the terminal is cut
// to one column less than its width, and follows a resize.
func TestStatusLineFitsTerminal(t *testing.T) {
	var buf bytes.Buffer
	s := newStatusLine(&buf, true)
	width := 20
	s.width = func() int { return width }
	s.update(1, "q1 batch 7: 1234 rows (5.6k/s), proc 1ms, sched delay 0s")
	if got, want := buf.String(), "\r\x1b[Kq1 batch 7: 1234 ro"; got != want {
		t.Errorf("width 20: wrote %q, want %q", got, want)
	}
	buf.Reset()
	width = 0 // unknown: as is
	s.clear()
	s.restore()
	if got, want := buf.String(), "\r\x1b[K\r\x1b[Kq1 batch 7: 1234 rows (5.6k/s), proc 1ms, sched delay 0s"; got != want {
		t.Errorf("unknown width: wrote %q, want %q", got, want)
	}
	if got := fit("ab·cd", 4); got != "ab·" {
		t.Errorf("fit by characters: %q", got)
	}
}
