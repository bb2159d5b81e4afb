package main

import (
	"strings"
	"testing"
)

// TestExampleFlag: --example runs a bundled example by name (wordcount
// prints what run prints with no script), refuses an unknown name and a
// script given as well, each with one line.
func TestExampleFlag(t *testing.T) {
	dir := t.TempDir()
	plain, _, code := runWeir(t, dir, "run", "--format", "jsonl")
	named, errOut, code2 := runWeir(t, dir, "run", "--example", "wordcount", "--format", "jsonl")
	if code != 0 || code2 != 0 || plain == "" || named != plain {
		t.Errorf("--example wordcount: exit %d, output differs from run without a script:\n%s\nstderr:\n%s", code2, named, errOut)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--example", "nope"}, `weir: --example "nope": no such example (have live, wordcount)` + "\n"},
		{[]string{"run", "--example", "live", "x.sql"}, "weir: give a script, -e or --example, not more than one\n"},
	} {
		out, errOut, code := runWeir(t, dir, tc.args...)
		if code != 1 || out != "" || errOut != tc.want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
}
