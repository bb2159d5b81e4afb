package socket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live/livetest"
)

// TestWALParity runs the socket tests again with a write-ahead log: the
// rows, bad rows and their positions must not change.
func TestWALParity(t *testing.T) {
	withWAL = true
	defer func() { withWAL = false }()
	t.Run("formats", TestFormats)
	t.Run("reconnect", TestReconnect)
	t.Run("first connect fails", TestFirstConnectFails)
	t.Run("over-long lines", TestOverLongLine)
	if !testing.Short() {
		t.Run("backpressure", TestBackpressure)
	}
}

// openWAL builds a source logging to dir and starts it with ctx; it is
// closed at the end of the test.
func openWALSource(t *testing.T, ctx context.Context, env *livetest.Env, schema *arrow.Schema, opts map[string]string, dir string) *WALSource {
	t.Helper()
	spec := env.Spec(schema, opts)
	spec.StateDir = dir
	src, err := NewSource(spec)
	if err != nil {
		t.Fatal(err)
	}
	ws, ok := src.(*WALSource)
	if !ok {
		t.Fatalf("NewSource with StateDir returned %T", src)
	}
	if err := ws.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// begin calls Next once, which starts a source that was not sought and
// has an empty log.
func begin(t *testing.T, src connectors.Source) {
	t.Helper()
	if b, err := src.Next(context.Background(), 1); err == nil {
		b.Release()
		t.Fatal("the first Next returned rows")
	} else if !errors.Is(err, connectors.ErrNoData) {
		t.Fatalf("first Next: %v", err)
	}
}

// take returns exactly n rows, in batches of at most 7.
func take(t *testing.T, src connectors.Source, n int) []string {
	t.Helper()
	var rows []string
	deadline := time.Now().Add(wait)
	for len(rows) < n {
		b, err := src.Next(context.Background(), min(7, n-len(rows)))
		if errors.Is(err, connectors.ErrNoData) {
			if time.Now().After(deadline) {
				t.Fatalf("%d rows of %d", len(rows), n)
			}
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, livetest.Render(b)...)
		b.Release()
	}
	return rows
}

// logText returns the whole write-ahead log in dir and its segment names.
func logText(t *testing.T, dir string) (string, []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var sb strings.Builder
	for _, e := range entries {
		if _, ok := parseSegment(e.Name()); ok {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		sb.Write(b)
	}
	return sb.String(), names
}

// waitLogged waits until the log in dir ends with suffix.
func waitLogged(t *testing.T, dir, suffix string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		if s, _ := logText(t, dir); strings.HasSuffix(s, suffix) {
			return
		}
		if time.Now().After(deadline) {
			s, _ := logText(t, dir)
			t.Fatalf("the log does not end with %q: ...%q", suffix, s[max(0, len(s)-100):])
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func lines(from, to int) string {
	var sb strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&sb, "line-%d\n", i)
	}
	return sb.String()
}

func rowsOf(from, to int) string {
	return strings.TrimSuffix(strings.ReplaceAll(lines(from, to), "\n", ","), ",")
}

func decodePos(t *testing.T, b []byte) position {
	t.Helper()
	var p position
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("position %s: %v", b, err)
	}
	return p
}

// TestWALRoundTrip: what arrives is logged byte for byte (a last line
// ended by the peer closing gets its '\n'); a source started on the log
// without a checkpoint replays all of it; one sought to the end replays
// nothing.
func TestWALRoundTrip(t *testing.T) {
	env := livetest.NewEnv(t)
	ln, port := listen(t)
	dir := t.TempDir()
	opts := map[string]string{"port": port, "reconnect_max": "100ms"}
	a := openWALSource(t, context.Background(), env, lineSchema, opts, dir)
	if _, ok := connectors.Source(a.Source).(connectors.Seeker); ok {
		t.Fatal("the source without a log is a Seeker")
	}
	begin(t, a)
	c := accept(t, ln)
	for _, piece := range []string{"al", "pha\nbe", "ta\r\n\ngam", "ma\n", "last"} {
		write(t, c, piece)
		time.Sleep(5 * time.Millisecond)
	}
	c.Close()
	want := "alpha,beta,,gamma,last"
	if got := livetest.Poll(t, a, 5, 2, wait); strings.Join(got, ",") != want {
		t.Fatalf("rows %q", got)
	}
	text, names := logText(t, dir)
	if text != "alpha\nbeta\r\n\ngamma\nlast\n" || len(names) != 1 || names[0] != "wal-00000000000000000000.log" {
		t.Fatalf("log %q in %v", text, names)
	}
	c = accept(t, ln)
	write(t, c, "second\n")
	if got := livetest.Poll(t, a, 1, 2, wait); got[0] != "second" {
		t.Fatalf("rows %q", got)
	}
	end, err := a.Position()
	if err != nil {
		t.Fatal(err)
	}
	if p := decodePos(t, end); p.Offset != int64(len(text)+7) || p.Rows != 0 {
		t.Fatalf("position %s after everything", end)
	}
	if text, names = logText(t, dir); len(names) != 2 || names[1] != fmt.Sprintf("wal-%020d.log", len("alpha\nbeta\r\n\ngamma\nlast\n")) {
		t.Fatalf("segments %v", names)
	}
	a.Close()
	c.Close()

	// No checkpoint: the whole log is replayed.
	b := openWALSource(t, context.Background(), env, lineSchema, opts, dir)
	if got := livetest.Poll(t, b, 6, 3, wait); strings.Join(got, ",") != want+",second" {
		t.Fatalf("replayed %q", got)
	}
	c = accept(t, ln)
	write(t, c, "third\n")
	if got := livetest.Poll(t, b, 1, 3, wait); got[0] != "third" {
		t.Fatalf("rows %q", got)
	}
	b.Close()
	c.Close()

	// Sought to the end of the first run: nothing is replayed.
	cs := openWALSource(t, context.Background(), env, lineSchema, opts, dir)
	if err := cs.Seek(end); err != nil {
		t.Fatal(err)
	}
	if err := cs.Seek(end); err == nil {
		t.Fatal("Seek twice")
	}
	c = accept(t, ln)
	write(t, c, "fourth\n")
	if got := livetest.Poll(t, cs, 2, 3, wait); strings.Join(got, ",") != "third,fourth" {
		t.Fatalf("rows %q", got)
	}
	c.Close()
}

// TestWALCrash: source A returns some rows, a checkpoint takes its
// position, more lines arrive (logged, not returned), and A dies without
// Close. Source B, sought to the position, returns exactly the lines
// after it, then the live ones.
func TestWALCrash(t *testing.T) {
	env := livetest.NewEnv(t)
	ln, port := listen(t)
	dir := t.TempDir()
	opts := map[string]string{"port": port, "reconnect_max": "100ms"}
	a := openWALSource(t, context.Background(), env, lineSchema, opts, dir)
	begin(t, a)
	ca := accept(t, ln)
	write(t, ca, lines(0, 100))
	if got := take(t, a, 40); strings.Join(got, ",") != rowsOf(0, 40) {
		t.Fatalf("A: %q", got)
	}
	pos, err := a.Position()
	if err != nil {
		t.Fatal(err)
	}
	write(t, ca, lines(100, 150))
	waitLogged(t, dir, "line-149\n")
	a.worker.Stop() // killed: no Close, the log neither synced nor closed
	ca.Close()

	b := openWALSource(t, context.Background(), env, lineSchema, opts, dir)
	if err := b.Seek([]byte(`{"offset":-1}`)); err == nil || !strings.Contains(err.Error(), "invalid socket source position") {
		t.Fatalf("bad position: %v", err)
	}
	if err := b.Seek([]byte(`{"offset":99999}`)); err == nil || !strings.Contains(err.Error(), "before the checkpoint's position") {
		t.Fatalf("position past the log: %v", err)
	}
	if err := b.Seek(pos); err != nil {
		t.Fatal(err)
	}
	if got := livetest.Poll(t, b, 110, 9, wait); strings.Join(got, ",") != rowsOf(40, 150) {
		t.Fatalf("B replayed %q", got)
	}
	env.Log.WaitFor(t, "replaying the write-ahead log", 1, wait)
	cb := accept(t, ln)
	write(t, cb, lines(150, 160))
	if got := livetest.Poll(t, b, 10, 4, wait); strings.Join(got, ",") != rowsOf(150, 160) {
		t.Fatalf("B live %q", got)
	}
	p, err := b.Position()
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := logText(t, dir); decodePos(t, p).Offset != int64(len(text)) || text != lines(0, 160) {
		t.Fatalf("position %s, log of %d bytes", p, len(text))
	}

	// B crashes in turn, in the middle of an item; C goes on from there.
	write(t, cb, lines(160, 200))
	if got := take(t, b, 15); strings.Join(got, ",") != rowsOf(160, 175) {
		t.Fatalf("B: %q", got)
	}
	p, err = b.Position()
	if err != nil {
		t.Fatal(err)
	}
	b.worker.Stop()
	cb.Close()
	c := openWALSource(t, context.Background(), env, lineSchema, opts, dir)
	if err := c.Seek(p); err != nil {
		t.Fatal(err)
	}
	if got := livetest.Poll(t, c, 25, 100, wait); strings.Join(got, ",") != rowsOf(175, 200) {
		t.Fatalf("C replayed %q", got)
	}
	if err := c.Seek(p); err == nil || !strings.Contains(err.Error(), "before the first Next") {
		t.Fatalf("Seek after Next: %v", err)
	}
}

// TestWALCSVHeader: a replay from the middle of a connection decodes CSV
// with the connection's header, and numbers lines on.
func TestWALCSVHeader(t *testing.T) {
	env := livetest.NewEnv(t)
	ln, port := listen(t)
	dir := t.TempDir()
	opts := map[string]string{"port": port, "format": "csv", "header": "true"}
	a := openWALSource(t, context.Background(), env, userSchema, opts, dir)
	begin(t, a)
	ca := accept(t, ln)
	write(t, ca, "name,id\nann,1\n")
	if got := take(t, a, 1); got[0] != "1|ann" {
		t.Fatalf("A: %q", got)
	}
	pos, err := a.Position()
	if err != nil {
		t.Fatal(err)
	}
	if p := decodePos(t, pos); p.Offset != 14 || p.Line != 3 || string(p.Header) != "name,id\n" {
		t.Fatalf("position %+v", p)
	}
	write(t, ca, "bob,2\n\"x\ny\",z,w\ncat,3\n")
	waitLogged(t, dir, "cat,3\n")
	a.worker.Stop()
	ca.Close()

	b := openWALSource(t, context.Background(), env, userSchema, opts, dir)
	if err := b.Seek(pos); err != nil {
		t.Fatal(err)
	}
	if got := livetest.Poll(t, b, 2, 10, wait); strings.Join(got, ",") != "2|bob,3|cat" {
		t.Fatalf("B: %q", got)
	}
	if len(env.Bad) != 1 || env.Bad[0].Position != "127.0.0.1:"+port+":line 4" {
		t.Fatalf("bad rows %+v", env.Bad)
	}
}

// TestWALRotation: segments rotate at the size set; a replay crosses
// them; positions let older segments go.
func TestWALRotation(t *testing.T) {
	env := livetest.NewEnv(t)
	ln, port := listen(t)
	dir := t.TempDir()
	opts := map[string]string{"port": port}
	a := openWALSource(t, context.Background(), env, lineSchema, opts, dir)
	a.segBytes = 200
	begin(t, a)
	ca := accept(t, ln)
	for i := 0; i < 200; i += 10 {
		write(t, ca, lines(i, i+10))
		waitLogged(t, dir, fmt.Sprintf("line-%d\n", i+9))
	}
	_, names := logText(t, dir)
	if len(names) < 5 || names[0] != "wal-00000000000000000000.log" || !strings.HasSuffix(names[1], ".cont.log") {
		t.Fatalf("segments %v", names)
	}
	var pos [][]byte
	for _, n := range []int{50, 100, 50} {
		take(t, a, n)
		p, err := a.Position()
		if err != nil {
			t.Fatal(err)
		}
		pos = append(pos, p)
	}
	text, after := logText(t, dir)
	first, _ := parseSegment(after[0])
	if len(after) >= len(names) || first.first > decodePos(t, pos[1]).Offset {
		t.Fatalf("segments %v after positions %s, %s, %s", after, pos[0], pos[1], pos[2])
	}
	if !strings.HasSuffix(lines(0, 200), text) {
		t.Fatalf("log %q", text)
	}
	a.worker.Stop()
	ca.Close()

	b := openWALSource(t, context.Background(), env, lineSchema, opts, dir)
	if err := b.Seek(pos[0]); err == nil || !strings.Contains(err.Error(), "deleted") {
		t.Fatalf("Seek to a deleted segment: %v", err)
	}
	if err := b.Seek(pos[1]); err != nil {
		t.Fatal(err)
	}
	if got := livetest.Poll(t, b, 50, 8, wait); strings.Join(got, ",") != rowsOf(150, 200) {
		t.Fatalf("B replayed %q", got)
	}
}

// TestWALTornTail: a record cut by a crash in the middle of its write
// was never queued; opening the log drops it.
func TestWALTornTail(t *testing.T) {
	env := livetest.NewEnv(t)
	ln, port := listen(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "wal-00000000000000000000.log"), []byte("a\nb\nhal"), 0o644); err != nil {
		t.Fatal(err)
	}
	a := openWALSource(t, context.Background(), env, lineSchema, map[string]string{"port": port}, dir)
	if got := livetest.Poll(t, a, 2, 10, wait); strings.Join(got, ",") != "a,b" {
		t.Fatalf("replayed %q", got)
	}
	c := accept(t, ln)
	write(t, c, "c\n")
	if got := livetest.Poll(t, a, 1, 10, wait); got[0] != "c" {
		t.Fatalf("rows %q", got)
	}
	if text, names := logText(t, dir); text != "a\nb\nc\n" || len(names) != 2 || names[1] != "wal-00000000000000000004.log" {
		t.Fatalf("log %q in %v", text, names)
	}
}

type failingSegment struct{}

func (failingSegment) Write([]byte) (int, error) { return 0, errors.New("disk on fire") }
func (failingSegment) Sync() error               { return nil }
func (failingSegment) Close() error              { return nil }

// TestWALWriteError: a source that cannot log fails, saying why, instead
// of queueing rows it could lose.
func TestWALWriteError(t *testing.T) {
	createSegment = func(string) (segFile, error) { return failingSegment{}, nil }
	defer func() {
		createSegment = func(path string) (segFile, error) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				return nil, err
			}
			return f, nil
		}
	}()
	env := livetest.NewEnv(t)
	ln, port := listen(t)
	a := openWALSource(t, context.Background(), env, lineSchema, map[string]string{"port": port}, t.TempDir())
	begin(t, a)
	c := accept(t, ln)
	write(t, c, "lost\n")
	deadline := time.Now().Add(wait)
	for {
		b, err := a.Next(context.Background(), 10)
		if errors.Is(err, connectors.ErrNoData) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
			continue
		}
		if err == nil {
			b.Release()
			t.Fatal("rows that were not logged")
		}
		if msg := err.Error(); !strings.Contains(msg, "table t") || !strings.Contains(msg, "write-ahead log") || !strings.Contains(msg, "disk on fire") {
			t.Fatalf("error %q", msg)
		}
		break
	}
	if _, err := a.Position(); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Position after a write error: %v", err)
	}

	// A state directory that cannot be made fails the first Next.
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	b := openWALSource(t, context.Background(), env, lineSchema, map[string]string{"port": port}, file)
	if _, err := b.Next(context.Background(), 1); err == nil || !strings.Contains(err.Error(), "write-ahead log") {
		t.Fatalf("state directory is a file: %v", err)
	}
}
