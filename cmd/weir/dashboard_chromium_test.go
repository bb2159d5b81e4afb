package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/weirdb/weir/connectors/dashboard"
)

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
// Chromium while the bundled live word count (weir run --example live)
// runs with its dashboard sink: the token
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
	// The bundled live example: query 1 counts every word (an updating
	// result on the console), query 2 draws three words' counts per second
	// on the dashboard table live.
	dir := t.TempDir()
	const token = "s3cret-token"
	w := startWeir(t, dir, "run", "--example", "live", "--format", "jsonl", "--batch-interval", "200ms", "--http", "127.0.0.1:0", "--http-token", token)
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

// TestDashboardSinkE2E: a live query into a dashboard table reaches the
// page's event stream as "dashboard" events and /api/dashboards, with
// the table's options, timestamps in Unix ms and one series per word
// (no browser needed).
func TestDashboardSinkE2E(t *testing.T) {
	w, base := startHTTPWeir(t, nil, "-e", `
CREATE TABLE words (ts TIMESTAMP(3), word VARCHAR, WATERMARK FOR ts AS ts - INTERVAL '100' MILLISECOND)
  WITH (connector = 'datagen', rows_per_second = '500', 'fields.word.length' = '1');
CREATE TABLE live (window_end TIMESTAMP(3), word VARCHAR, n BIGINT)
  WITH (connector = 'dashboard', chart = 'bar', x = 'window_end', y = 'n', series = 'word');
INSERT INTO live SELECT window_end, word, COUNT(*) AS n FROM words WHERE word IN ('a', 'e')
GROUP BY word, TUMBLE(ts, INTERVAL '500' MILLISECOND);`)
	resp, err := http.Get(base + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// The first "dashboard" event with points is the readiness signal.
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var chart dashboard.Chart
	event := ""
	for len(chart.Points) == 0 {
		if !sc.Scan() {
			t.Fatalf("the event stream ended without a dashboard chart with points: %v", sc.Err())
		}
		line := sc.Text()
		if e, ok := strings.CutPrefix(line, "event: "); ok {
			event = e
		} else if d, ok := strings.CutPrefix(line, "data: "); ok && event == "dashboard" {
			chart = dashboard.Chart{}
			if err := json.Unmarshal([]byte(d), &chart); err != nil {
				t.Fatalf("dashboard event %q: %v", d, err)
			}
		}
	}
	if chart.Table != "live" || chart.Chart != "bar" || chart.X != "window_end" || chart.Y != "n" || chart.Series == nil || *chart.Series != "word" || chart.XType != "timestamp" || chart.Updating {
		t.Errorf("chart %+v", chart)
	}
	for _, p := range chart.Points {
		x, ok := p.X.(float64)
		if !ok || int64(x)%500 != 0 || x < 1.7e12 || (p.Series != "a" && p.Series != "e") || p.Y.(float64) < 1 {
			t.Errorf("point %+v: want x a window end in Unix ms, series a or e, y at least 1", p)
		}
	}
	var all struct{ Charts []dashboard.Chart }
	getJSON(t, base+"/api/dashboards", &all)
	if len(all.Charts) != 1 || all.Charts[0].Table != "live" || len(all.Charts[0].Points) < len(chart.Points) {
		t.Errorf("/api/dashboards: %+v", all.Charts)
	}
	resp.Body.Close()
	w.stop(t)
}

// TestDashboardSinkBadOption: a dashboard table naming a column it lacks
// stops the script at CREATE TABLE with one line naming the option.
func TestDashboardSinkBadOption(t *testing.T) {
	_, errOut, code := runWeir(t, t.TempDir(), "run", "-e", `
CREATE TABLE live (window_end TIMESTAMP(3), word VARCHAR, n BIGINT)
  WITH (connector = 'dashboard', x = 'window_end', y = 'count');`)
	if code == 0 || !strings.Contains(errOut, `option y: the table has no column "count" (have window_end, word, n)`) {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
}
