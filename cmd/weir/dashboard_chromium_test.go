package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// dashboardScript is a live word count over datagen: query 1 counts every
// word (an updating result on the console), query 2 draws three words'
// counts per second on the dashboard table live.
const dashboardScript = `
CREATE TABLE words (ts TIMESTAMP(3), word VARCHAR, WATERMARK FOR ts AS ts - INTERVAL '200' MILLISECOND)
  WITH (connector = 'datagen', rows_per_second = '300', 'fields.word.length' = '1');
CREATE TABLE live (window_end TIMESTAMP(3), word VARCHAR, n BIGINT)
  WITH (connector = 'dashboard', chart = 'line', x = 'window_end', y = 'n', series = 'word');
SELECT word, COUNT(*) AS n FROM words GROUP BY word;
INSERT INTO live
SELECT window_end, word, COUNT(*) AS n FROM words WHERE word IN ('a', 'e', 'o')
GROUP BY word, TUMBLE(ts, INTERVAL '1' SECOND);
`

// dashboardTools finds node, Chromium and the npm packages of
// testdata/dashboard, or says what is missing.
func dashboardTools() (node, chromium, dir, missing string) {
	dir, _ = filepath.Abs(filepath.Join("..", "..", "testdata", "dashboard"))
	node, err := exec.LookPath("node")
	if err != nil {
		return "", "", dir, "node is not installed"
	}
	chromium = os.Getenv("CHROMIUM")
	for _, c := range []string{"chromium", "chromium-browser"} {
		if chromium == "" {
			chromium, _ = exec.LookPath(c)
		}
	}
	if chromium == "" {
		return "", "", dir, "Chromium is not installed (apt-get install chromium, or set $CHROMIUM)"
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		return "", "", dir, "playwright-core is not installed (npm ci in testdata/dashboard)"
	}
	return node, chromium, dir, ""
}

// TestDashboardChromium opens the monitoring page in real headless
// Chromium while a live word count runs with a dashboard sink: the token
// sets a cookie, the charts and the result table update across batch
// events, the dashboard chart fills, and stopping a query from the page
// stops it (the API agrees). It saves a screenshot of the page to
// $WEIR_TEST_ARTIFACTS (else the test's temporary directory).
func TestDashboardChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("a browser test: it runs in the full (not -short) pass")
	}
	node, chromium, script, missing := dashboardTools()
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s; .ci/run installs it", missing)
		}
		t.Skip(missing)
	}
	dir := t.TempDir()
	writeFile(t, dir, "words.sql", dashboardScript)
	const token = "s3cret-token"
	w := startWeir(t, dir, "run", "--format", "jsonl", "--batch-interval", "200ms", "--http", "127.0.0.1:0", "--http-token", token, "words.sql")
	listening := regexp.MustCompile(`weir: dashboard on (http://127\.0\.0\.1:\d+)/`)
	var base string
	w.waitFor(t, 30*time.Second, "the dashboard's address on stderr", func(_ []string, stderr string) bool {
		if m := listening.FindStringSubmatch(stderr); m != nil {
			base = m[1]
		}
		return base != ""
	})

	shots := os.Getenv("WEIR_TEST_ARTIFACTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(shots, "dashboard.png")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(script, "check.js"), "--url", base, "--token", token,
		"--stop", "1", "--dashboard", "live", "--screenshot", shot, "--chromium", chromium)
	cmd.Dir = script
	out, err := cmd.CombinedOutput()
	t.Logf("check.js:\n%s", out)
	if err != nil {
		w.mu.Lock()
		t.Fatalf("check.js: %v\nweir's stderr:\n%s", err, w.stderr.String())
	}
	t.Logf("screenshot: %s", shot)

	// The API, with the bearer token, agrees: query 1 stopped, query 2
	// still running.
	for id, want := range map[string]string{"1": "stopped", "2": "running"} {
		req, _ := http.NewRequest("GET", base+"/api/queries/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var q struct {
			Status string `json:"status"`
		}
		err = json.NewDecoder(resp.Body).Decode(&q)
		resp.Body.Close()
		if err != nil || q.Status != want {
			t.Errorf("query %s: status %q (%v), want %q", id, q.Status, err, want)
		}
	}
	w.stop(t)
}
