package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestRunCPUProfile runs a query with --cpuprofile and checks that the
// file written is a CPU profile (gzipped pprof) naming the engine's code.
func TestRunCPUProfile(t *testing.T) {
	dir := t.TempDir()
	script := nexmarkDDL("300000") + "SELECT auction, price FROM bid WHERE REGEXP_LIKE(url, 'channel_id=1');\n"
	writeFile(t, dir, "q.sql", script)
	_, errOut, code := runWeir(t, dir, "run", "--format", "jsonl", "--cpuprofile", "cpu.prof", "q.sql")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	f, err := os.Open(filepath.Join(dir, "cpu.prof"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("cpu.prof is not a gzipped profile: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("cpu.prof: %v", err)
	}
	if !bytes.Contains(raw, []byte("samples")) || !bytes.Contains(raw, []byte("cpu")) {
		t.Fatalf("cpu.prof is not a CPU profile (%d bytes)", len(raw))
	}
}
