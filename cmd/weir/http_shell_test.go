package main

import (
	"bytes"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestHTTPSetInScript: SET http in a script serves the dashboard for its
// queries, as --http does.
func TestHTTPSetInScript(t *testing.T) {
	w := startWeir(t, t.TempDir(), "run", "--format", "jsonl", "--batch-interval", "100ms", "-e", "SET http = '127.0.0.1:0';"+httpWordCount)
	var base string
	w.waitFor(t, 20*time.Second, "the dashboard's address", func(_ []string, stderr string) bool {
		if m := dashboardLine.FindStringSubmatch(stderr); m != nil {
			base = m[1]
		}
		return base != ""
	})
	if q := waitBatches(t, base, 1, 1); q["mode"] != "updating" {
		t.Errorf("query %v", q)
	}
	w.stop(t)
}

// TestHTTPShell: `weir shell --http` serves the shell's queries; one
// stopped from the API says so in the shell.
func TestHTTPShell(t *testing.T) {
	cmd := exec.Command(weirBin(t), "shell", "--http", "127.0.0.1:0", "--format", "jsonl", "--batch-interval", "100ms")
	cmd.Dir = t.TempDir()
	cmd.Env = append(cmd.Environ(), "HOME="+cmd.Dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var stderr bytes.Buffer
	cmd.Stderr = &syncWriter{w: &stderr, mu: &mu}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitErr := func(what string, ok func(string) bool) string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			mu.Lock()
			s := stderr.String()
			mu.Unlock()
			if ok(s) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; stderr:\n%s", what, s)
			}
			time.Sleep(20 * time.Millisecond) // polling the output, not synchronising
		}
	}
	s := waitErr("the dashboard's address", func(s string) bool { return dashboardLine.MatchString(s) })
	base := dashboardLine.FindStringSubmatch(s)[1]
	io.WriteString(stdin, httpWordCount+"\n")
	waitBatches(t, base, 1, 2)
	resp, err := http.Post(base+"/api/queries/1/stop", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitErr("the shell's note", func(s string) bool { return strings.Contains(s, "query 1 stopped\n") })
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("shell: %v\n%s", err, stderr.String())
	}
}
