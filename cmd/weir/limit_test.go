package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLiveLimitExits: LIMIT over an endless generator ends the query once
// its rows are out: weir exits 0 having printed exactly those rows.
func TestLiveLimitExits(t *testing.T) {
	bin := weirBin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", "--format", "jsonl", "--batch-interval", "100ms", "-e", `
CREATE TABLE gen (n BIGINT) WITH (connector = 'datagen', rows_per_second = '1000', 'fields.n.kind' = 'sequence', 'fields.n.start' = '1');
SELECT n FROM gen LIMIT 5;`)
	cmd.Dir = t.TempDir()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("weir still running after 30s: LIMIT did not end the query; stderr:\n%s", errb.String())
	}
	if err != nil {
		t.Fatalf("weir: %v; stderr:\n%s", err, errb.String())
	}
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{`{"n":1}`, `{"n":2}`, `{"n":3}`, `{"n":4}`, `{"n":5}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", out.String(), strings.Join(want, "\n"))
	}
}
