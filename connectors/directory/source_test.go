package directory

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live"
	"github.com/weirdb/weir/connectors/live/livetest"
)

var userSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

const wait = 10 * time.Second

// writeAt writes a file with the given modification time.
func writeAt(t *testing.T, path, content string, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// moveIn writes a file outside dir and renames it into dir as name.
func moveIn(t *testing.T, dir, name, content string, mtime time.Time) {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), name)
	writeAt(t, tmp, content, mtime)
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// open builds and starts a source, closed at the end of the test, after
// which no goroutine of it may remain.
func open(t *testing.T, env *livetest.Env, opts map[string]string) *Source {
	t.Helper()
	before := runtime.NumGoroutine()
	src, err := NewSource(env.Spec(userSchema, opts))
	if err != nil {
		t.Fatal(err)
	}
	if err := src.(connectors.Starter).Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		src.Close()
		deadline := time.Now().Add(wait)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			t.Errorf("%d goroutines after Close, %d before", n, before)
		}
	})
	return src.(*Source)
}

// quiet checks that nothing arrives for a few poll intervals.
func quiet(t *testing.T, src *Source) {
	t.Helper()
	deadline := time.Now().Add(5 * src.poll)
	for time.Now().Before(deadline) {
		if b, err := src.Next(context.Background(), 100); !errors.Is(err, connectors.ErrNoData) {
			if b != nil {
				t.Errorf("unexpected rows %q", livetest.Render(b))
				b.Release()
			}
			t.Fatalf("Next: %v, want ErrNoData", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWatch(t *testing.T) {
	env := livetest.NewEnv(t)
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	// Pre-existing files: read by modification time, then name.
	writeAt(t, filepath.Join(dir, "b.csv"), "id,name\n2,b\n", old.Add(2*time.Second))
	writeAt(t, filepath.Join(dir, "z.csv"), "id,name\n1,z\n", old)
	writeAt(t, filepath.Join(dir, "a.csv"), "id,name\n3,a\n", old.Add(2*time.Second))
	// Ignored: hidden, underscore, in-progress suffixes, other patterns, a directory.
	for _, name := range []string{".h.csv", "_SUCCESS.csv", "c.csv.tmp", "d.csv.partial", "e.csv.crdownload", "F.CSV.TMP", "notes.txt"} {
		writeAt(t, filepath.Join(dir, name), "id,name\n99,ignored\n", old)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := open(t, env, map[string]string{"path": dir, "pattern": "*.csv", "poll_interval": "20ms"})
	if got := livetest.Poll(t, src, 3, 100, wait); strings.Join(got, ",") != "1|z,3|a,2|b" {
		t.Fatalf("pre-existing files: %q", got)
	}

	// Files moved in later, found by one scan: oldest first.
	now := time.Now()
	moveIn(t, dir, "n2.csv", "name,id\nn2,5\n", now.Add(-time.Minute))
	moveIn(t, dir, "n1.csv", "id,name\n4,n1\n", now.Add(-2*time.Minute))
	if got := livetest.Poll(t, src, 2, 100, wait); strings.Join(got, ",") != "4|n1,5|n2" {
		t.Fatalf("moved-in files: %q", got)
	}

	// A half-written .tmp file is never read; renamed when complete, it is
	// read once, whole.
	tmp := filepath.Join(dir, "x.csv.tmp")
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(f, "id,name\n6,x\n7,")
	quiet(t, src)
	fmt.Fprint(f, "y\n")
	f.Close()
	if err := os.Rename(tmp, filepath.Join(dir, "x.csv")); err != nil {
		t.Fatal(err)
	}
	if got := livetest.Poll(t, src, 2, 1, wait); strings.Join(got, ",") != "6|x,7|y" {
		t.Fatalf("renamed file: %q", got)
	}

	// A file read is never read again, even if it changes.
	af, err := os.OpenFile(filepath.Join(dir, "a.csv"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(af, "8,again\n")
	af.Close()
	quiet(t, src)

	if got := strings.Join(src.Done(), ","); got != "z.csv,a.csv,b.csv,n1.csv,n2.csv,x.csv" {
		t.Fatalf("Done: %s", got)
	}
	if len(env.Bad) != 0 {
		t.Fatalf("bad rows: %v", env.Bad)
	}
}

func TestBadRows(t *testing.T) {
	env := livetest.NewEnv(t)
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	writeAt(t, filepath.Join(dir, "a.csv"), "id,name\n1,a\nx,b\n3,c\n", old)
	writeAt(t, filepath.Join(dir, "b.csv"), "foo,bar\n1,2\n", old.Add(time.Second))
	writeAt(t, filepath.Join(dir, "c.csv"), "id,name\n4,"+strings.Repeat("x", 2000)+"\n5,d\n", old.Add(2*time.Second))
	src := open(t, env, map[string]string{"path": dir, "format": "csv", "max_record_bytes": "1KiB"})
	if got := livetest.Poll(t, src, 3, 100, wait); strings.Join(got, ",") != "1|a,3|c,5|d" {
		t.Fatalf("rows %q", got)
	}
	var pos []string
	for _, b := range env.Bad {
		pos = append(pos, strings.TrimPrefix(b.Position, dir+string(filepath.Separator)))
	}
	if strings.Join(pos, ",") != "a.csv:3,b.csv:1,c.csv:2" {
		t.Fatalf("bad rows %v", env.Bad)
	}
	if !strings.Contains(env.Bad[1].Err.Error(), "file skipped") {
		t.Errorf("bad header: %v", env.Bad[1].Err)
	}
	// A file is done once Next has passed its end marker, which may come
	// after its last rows: keep polling for a while.
	deadline := time.Now().Add(5 * time.Second)
	for strings.Join(src.Done(), ",") != "a.csv,b.csv,c.csv" {
		if time.Now().After(deadline) {
			t.Fatalf("Done: %s", strings.Join(src.Done(), ","))
		}
		if b, err := src.Next(context.Background(), 100); b != nil {
			b.Release()
			t.Fatalf("unexpected rows after the last file")
		} else if err != nil && !errors.Is(err, connectors.ErrNoData) {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestVanished(t *testing.T) {
	env := livetest.NewEnv(t)
	dir := t.TempDir()
	src := open(t, env, map[string]string{"path": dir, "format": "json"})
	if err := src.readFile(context.Background(), "gone.json"); !errors.Is(err, errVanished) {
		t.Fatalf("readFile: %v", err)
	}
	env.Log.WaitFor(t, "vanished", 1, wait)
}

func TestBackpressure(t *testing.T) {
	const (
		budget = 128 << 10
		rows   = 200_000
	)
	env := livetest.NewEnv(t)
	dir := t.TempDir()
	var sb strings.Builder
	sb.WriteString("id,name\n")
	for i := range rows {
		sb.WriteString(strconv.Itoa(i))
		sb.WriteString(",some name or other\n")
	}
	writeAt(t, filepath.Join(dir, "big.csv"), sb.String(), time.Now())
	writeAt(t, filepath.Join(dir, "next.csv"), "id,name\n-1,last\n", time.Now().Add(time.Second))
	src := open(t, env, map[string]string{"path": dir, "format": "csv", "buffer_bytes": strconv.Itoa(budget)})
	// Reading starts at Seek (or the first Next); without Next, it pauses
	// with a bounded buffer.
	if err := src.Seek([]byte(`{"done":[],"file":"","rows":0}`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if b := src.Buffered(); b == 0 || b > budget+2*live.ReadChunk {
		t.Fatalf("buffered %d, budget %d", b, budget)
	}
	if a := env.Mem.CurrentAlloc(); a > 2<<20 {
		t.Fatalf("allocated %d bytes while paused", a)
	}
	if len(src.Done()) != 0 {
		t.Fatal("a file is done before its rows were returned")
	}
	got := livetest.Poll(t, src, rows+1, 4096, wait)
	for i := range rows {
		if want := strconv.Itoa(i) + "|some name or other"; got[i] != want {
			t.Fatalf("row %d: %q", i, got[i])
		}
	}
	if got[rows] != "-1|last" {
		t.Fatalf("last row %q", got[rows])
	}
	if d := strings.Join(src.Done(), ","); d != "big.csv,next.csv" {
		t.Fatalf("Done: %s", d)
	}
}

func TestOptions(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.csv")
	writeAt(t, file, "", time.Now())
	cases := []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{}, "needs option path"},
		{map[string]string{"path": filepath.Join(dir, "missing"), "format": "csv"}, "option path"},
		{map[string]string{"path": file, "format": "csv"}, "not a directory"},
		{map[string]string{"path": dir}, "needs option format"},
		{map[string]string{"path": dir, "format": "xml"}, "unknown format"},
		{map[string]string{"path": dir, "format": "csv", "pattern": "[a"}, "option pattern"},
		{map[string]string{"path": dir, "format": "csv", "poll_interval": "0s"}, "option poll_interval"},
		{map[string]string{"path": dir, "format": "csv", "header": "maybe"}, "option header"},
		{map[string]string{"path": dir, "format": "csv", "buffer_bytes": "lots"}, "option buffer_bytes"},
	}
	for _, tc := range cases {
		env := livetest.NewEnv(t)
		_, err := NewSource(env.Spec(userSchema, tc.opts))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "table t") {
			t.Errorf("%v: error %v, want %q", tc.opts, err, tc.want)
		}
	}
	env := livetest.NewEnv(t)
	src, err := NewSource(env.Spec(userSchema, map[string]string{"path": dir, "pattern": "*.jsonl"}))
	if err != nil {
		t.Fatal(err)
	}
	if src.(*Source).format != "json" || src.(connectors.Bounded).Bounded() {
		t.Fatal("format not taken from the pattern, or bounded")
	}
	src.Close()
	for name, want := range map[string]bool{"a.csv": false, ".a": true, "_a": true, "a.TMP": true, "a.partial": true, "a.crdownload": true, "a.tmp.csv": false} {
		if Ignored(name) != want {
			t.Errorf("Ignored(%q) = %v", name, !want)
		}
	}
}

// nextBatch calls Next until it returns rows or the source has finished
// want files; it returns the rows (nil if none came).
func nextBatch(t *testing.T, src *Source, maxRows, want int) []string {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		b, err := src.Next(context.Background(), maxRows)
		if err == nil {
			rows := livetest.Render(b)
			b.Release()
			return rows
		}
		if !errors.Is(err, connectors.ErrNoData) {
			t.Fatal(err)
		}
		if len(src.Done()) >= want {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("timed out")
	return nil
}

func badPositions(dir string, env *livetest.Env) []string {
	var pos []string
	for _, b := range env.Bad {
		pos = append(pos, strings.TrimPrefix(b.Position, dir+string(filepath.Separator)))
	}
	return pos
}

func TestSeek(t *testing.T) {
	old := time.Now().Add(-time.Hour)
	setup := func() string {
		dir := t.TempDir()
		writeAt(t, filepath.Join(dir, "a.csv"), "id,name\n1,a\nx,b\n3,c\n", old)
		writeAt(t, filepath.Join(dir, "b.csv"), "id,name\ny,d\n4,e\n5,f\n6,g\n", old.Add(time.Second))
		writeAt(t, filepath.Join(dir, "c.csv"), "id,name\n7,h\n8,"+strings.Repeat("x", 2000)+"\n9,i\n", old.Add(2*time.Second))
		writeAt(t, filepath.Join(dir, "d.csv"), "foo,bar\n1,2\n", old.Add(3*time.Second))
		return dir
	}
	const files = 4
	opts := func(dir string) map[string]string {
		return map[string]string{"path": dir, "format": "csv", "max_record_bytes": "1KiB", "poll_interval": "10ms"}
	}
	for _, maxRows := range []int{1, 3} {
		// The full read, batch by batch.
		dir := setup()
		env := livetest.NewEnv(t)
		src := open(t, env, opts(dir))
		var full []string
		batches := 0
		for {
			rows := nextBatch(t, src, maxRows, files)
			if rows == nil {
				break
			}
			full = append(full, rows...)
			batches++
		}
		fullBad := badPositions(dir, env)
		if strings.Join(full, ",") != "1|a,3|c,4|e,5|f,6|g,7|h,9|i" || strings.Join(fullBad, ",") != "a.csv:3,b.csv:2,c.csv:3,d.csv:1" {
			t.Fatalf("full read: %q, bad %q", full, fullBad)
		}
		src.Close()
		for k := 0; k <= batches; k++ {
			dir := setup()
			env1 := livetest.NewEnv(t)
			src1 := open(t, env1, opts(dir))
			var got []string
			for range k {
				got = append(got, nextBatch(t, src1, maxRows, files)...)
			}
			pos, err := src1.Position()
			if err != nil {
				t.Fatal(err)
			}
			src1.Close()
			// A file that appears after the checkpoint is read after the rest.
			moveIn(t, dir, "e.csv", "id,name\n10,j\n", time.Now())

			env2 := livetest.NewEnv(t)
			src2, err := NewSource(env2.Spec(userSchema, opts(dir)))
			if err != nil {
				t.Fatal(err)
			}
			s2 := src2.(*Source)
			if err := s2.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			time.Sleep(5 * time.Millisecond) // Start before Seek, as exec does
			if err := s2.Seek(pos); err != nil {
				t.Fatal(err)
			}
			if p2, _ := s2.Position(); string(p2) != string(pos) {
				t.Errorf("maxRows %d, k %d: Position after Seek %s, want %s", maxRows, k, p2, pos)
			}
			for {
				rows := nextBatch(t, s2, maxRows, files+1)
				if rows == nil {
					break
				}
				got = append(got, rows...)
			}
			bad := append(badPositions(dir, env1), badPositions(dir, env2)...)
			want := append(append([]string(nil), full...), "10|j")
			if strings.Join(got, ",") != strings.Join(want, ",") || strings.Join(bad, ",") != strings.Join(fullBad, ",") {
				t.Errorf("maxRows %d, k %d (position %s): rows %q, bad %q", maxRows, k, pos, got, bad)
			}
			if d := strings.Join(s2.Done(), ","); d != "a.csv,b.csv,c.csv,d.csv,e.csv" {
				t.Errorf("maxRows %d, k %d: Done %s", maxRows, k, d)
			}
			s2.Close()
		}
	}
}

func TestSeekErrors(t *testing.T) {
	env := livetest.NewEnv(t)
	dir := t.TempDir()
	src := open(t, env, map[string]string{"path": dir, "format": "csv"})
	for _, pos := range []string{"x", `{"rows":-1,"file":"a"}`, `{"rows":2}`} {
		if err := src.Seek([]byte(pos)); err == nil || !strings.Contains(err.Error(), "invalid") {
			t.Errorf("Seek(%s): %v", pos, err)
		}
	}
	if _, err := src.Next(context.Background(), 1); !errors.Is(err, connectors.ErrNoData) {
		t.Fatal(err)
	}
	if err := src.Seek([]byte(`{}`)); err == nil || !strings.Contains(err.Error(), "before the first Next") {
		t.Fatalf("Seek after Next: %v", err)
	}
}
