package socket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live"
	"github.com/weirdb/weir/connectors/live/livetest"
)

var (
	lineSchema = arrow.NewSchema([]arrow.Field{{Name: "line", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	userSchema = arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
)

const wait = 10 * time.Second

// listen returns a listener on 127.0.0.1 and its port, closed at the end.
func listen(t *testing.T) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// accept accepts one connection, failing the test after wait.
func accept(t *testing.T, ln net.Listener) net.Conn {
	t.Helper()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() { c, err := ln.Accept(); ch <- res{c, err} }()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		t.Cleanup(func() { r.c.Close() })
		return r.c
	case <-time.After(wait):
		t.Fatal("no connection")
		return nil
	}
}

// withWAL makes open give sources a write-ahead log (TestWALParity).
var withWAL bool

// open builds and starts a source; it is closed at the end of the test,
// after which no goroutine of it may remain.
func open(t *testing.T, env *livetest.Env, schema *arrow.Schema, opts map[string]string) *Source {
	t.Helper()
	before := runtime.NumGoroutine()
	spec := env.Spec(schema, opts)
	if withWAL {
		spec.StateDir = t.TempDir()
	}
	src, err := NewSource(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.(connectors.Starter).Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := src.Close(); err != nil {
			t.Error(err)
		}
		deadline := time.Now().Add(wait)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			t.Errorf("%d goroutines after Close, %d before", n, before)
		}
	})
	if ws, ok := src.(*WALSource); ok {
		// The first Next (or Seek) starts it.
		if _, err := ws.Next(context.Background(), 1); !errors.Is(err, connectors.ErrNoData) {
			t.Fatalf("first Next: %v", err)
		}
		return ws.Source
	}
	return src.(*Source)
}

func write(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatal(err)
	}
}

func TestFormats(t *testing.T) {
	cases := []struct {
		name    string
		schema  *arrow.Schema
		opts    map[string]string
		input   string
		want    []string
		badLine []int
	}{
		{"text", lineSchema, nil, "hello world\r\n\nlast one\n",
			[]string{"hello world", "", "last one"}, nil},
		{"csv", userSchema, map[string]string{"format": "csv"}, "1,ann\n\nx,bob\n3,\"c,d\"\n4\n5,eve\n",
			[]string{"1|ann", "3|c,d", "5|eve"}, []int{3, 5}},
		{"csv header", userSchema, map[string]string{"format": "csv", "header": "true"}, "name,id\nann,1\n",
			[]string{"1|ann"}, nil},
		{"json", userSchema, map[string]string{"format": "json"}, "{\"id\":1,\"name\":\"ann\"}\n{bad\n{\"name\":\"bob\"}\n",
			[]string{"1|ann", "NULL|bob"}, []int{2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := livetest.NewEnv(t)
			ln, port := listen(t)
			opts := map[string]string{"port": port}
			for k, v := range tc.opts {
				opts[k] = v
			}
			src := open(t, env, tc.schema, opts)
			c := accept(t, ln)
			// Byte by byte at first: records split across reads.
			for i := range min(10, len(tc.input)) {
				write(t, c, tc.input[i:i+1])
			}
			write(t, c, tc.input[min(10, len(tc.input)):])
			got := livetest.Poll(t, src, len(tc.want), 2, wait)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("rows\n%q\nwant\n%q", got, tc.want)
			}
			if len(env.Bad) != len(tc.badLine) {
				t.Fatalf("bad rows %v, want lines %v", env.Bad, tc.badLine)
			}
			for i, b := range env.Bad {
				if want := fmt.Sprintf("127.0.0.1:%s:line %d", port, tc.badLine[i]); b.Position != want || b.Table != "t" || b.Err == nil {
					t.Errorf("bad row %d: %+v, want position %s", i, b, want)
				}
			}
			if _, err := src.Next(context.Background(), 10); !errors.Is(err, connectors.ErrNoData) {
				t.Fatalf("Next after the rows: %v, want ErrNoData", err)
			}
		})
	}
}

func TestReconnect(t *testing.T) {
	env := livetest.NewEnv(t)
	ln, port := listen(t)
	src := open(t, env, lineSchema, map[string]string{"port": port, "reconnect_max": "200ms"})
	c := accept(t, ln)
	write(t, c, "a\nb\nunterminated")
	c.Close()
	if got := livetest.Poll(t, src, 3, 10, wait); strings.Join(got, ",") != "a,b,unterminated" {
		t.Fatalf("first connection: %q", got)
	}
	c = accept(t, ln)
	write(t, c, "c\nd\n")
	if got := livetest.Poll(t, src, 2, 10, wait); strings.Join(got, ",") != "c,d" {
		t.Fatalf("second connection: %q", got)
	}
	env.Log.WaitFor(t, "peer closed the connection; reconnecting", 1, wait)
	env.Log.WaitFor(t, "connected", 2, wait)
	if n := env.Log.Count("addr=127.0.0.1:" + port); n < 3 {
		t.Errorf("log lines name the address %d times:\n%s", n, strings.Join(env.Log.Lines(), "\n"))
	}

	// A failed connection (reset) cuts a record: it is a bad row.
	write(t, c, "e\nhalf")
	livetest.Poll(t, src, 1, 10, wait)
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	c = accept(t, ln)
	write(t, c, "f\n")
	if got := livetest.Poll(t, src, 1, 10, wait); got[0] != "f" {
		t.Fatalf("third connection: %q", got)
	}
	if len(env.Bad) != 1 || env.Bad[0].Record != "half" || env.Bad[0].Position != "127.0.0.1:"+port+":line 4" {
		t.Fatalf("bad rows %+v", env.Bad)
	}
}

func TestFirstConnectFails(t *testing.T) {
	env := livetest.NewEnv(t)
	ln, port := listen(t)
	ln.Close() // nobody listens yet
	src := open(t, env, lineSchema, map[string]string{"port": port, "reconnect_max": "100ms"})
	env.Log.WaitFor(t, "cannot connect; retrying", 1, wait)
	if _, err := src.Next(context.Background(), 10); !errors.Is(err, connectors.ErrNoData) {
		t.Fatalf("Next while unconnected: %v", err)
	}
	ln2, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", port, err)
	}
	defer ln2.Close()
	c := accept(t, ln2)
	write(t, c, "late\n")
	if got := livetest.Poll(t, src, 1, 10, wait); got[0] != "late" {
		t.Fatalf("got %q", got)
	}
}

func TestOverLongLine(t *testing.T) {
	env := livetest.NewEnv(t)
	ln, port := listen(t)
	src := open(t, env, userSchema, map[string]string{"port": port, "format": "csv", "max_record_bytes": "1KiB"})
	c := accept(t, ln)
	long := strings.Repeat("x", 3<<20)
	write(t, c, "1,ok\n"+long+"\n2,ok\n3,"+strings.Repeat("y", 1025)+"\nbad\n4,ok\n5,"+strings.Repeat("z", 1000)+"\n")
	got := livetest.Poll(t, src, 4, 100, wait)
	if want := "1|ok,2|ok,4|ok,5|" + strings.Repeat("z", 1000); strings.Join(got, ",") != want {
		t.Fatalf("rows %q", got)
	}
	var pos []string
	for _, b := range env.Bad {
		pos = append(pos, strings.TrimPrefix(b.Position, "127.0.0.1:"+port+":"))
		if len(b.Record) > 200 {
			t.Errorf("bad record of %d bytes kept", len(b.Record))
		}
	}
	if strings.Join(pos, ",") != "line 2,line 4,line 5" || !strings.Contains(env.Bad[0].Err.Error(), "max_record_bytes") {
		t.Fatalf("bad rows %v", env.Bad)
	}
}

func TestBackpressure(t *testing.T) {
	const (
		budget = 256 << 10
		lines  = 600_000
		pad    = "-------------------------------------------------------------------------------------------"
	)
	env := livetest.NewEnv(t)
	ln, port := listen(t)
	src := open(t, env, lineSchema, map[string]string{"port": port, "buffer_bytes": strconv.Itoa(budget)})
	c := accept(t, ln)
	var written atomic.Int64
	done := make(chan error, 1)
	go func() {
		var buf []byte
		for i := range lines {
			buf = strconv.AppendInt(buf, int64(i), 10)
			buf = append(buf, pad...)
			buf = append(buf, '\n')
			if len(buf) > 32<<10 || i == lines-1 {
				if _, err := c.Write(buf); err != nil {
					done <- err
					return
				}
				buf = buf[:0]
				written.Store(int64(i + 1))
			}
		}
		done <- nil
	}()
	// Without Next, the writer must stall before the end, with the
	// source's memory bounded.
	deadline := time.Now().Add(wait)
	last := int64(-1)
	for {
		time.Sleep(100 * time.Millisecond)
		w := written.Load()
		if w == last {
			break
		}
		last = w
		if time.Now().After(deadline) {
			t.Fatal("the writer never stalled")
		}
	}
	if last == lines {
		t.Fatalf("all %d lines were written without any Next: no backpressure", lines)
	}
	if b := src.Buffered(); b > budget+live.ReadChunk*4 || b == 0 {
		t.Fatalf("buffered %d bytes with a budget of %d", b, budget)
	}
	// Read buffer + decoder + queue.
	if a := env.Mem.CurrentAlloc(); a > 4<<20 {
		t.Fatalf("%d bytes allocated while stalled", a)
	}
	t.Logf("stalled after %d of %d lines (%.1f MB in kernel buffers and ours); buffered %d, allocated %d",
		last, lines, float64(last*int64(len(pad)+7))/1e6, src.Buffered(), env.Mem.CurrentAlloc())

	// Drain: every line exactly once, in order.
	next := 0
	deadline = time.Now().Add(4 * wait)
	for next < lines {
		b, err := src.Next(context.Background(), 8192)
		if errors.Is(err, connectors.ErrNoData) {
			if time.Now().After(deadline) {
				t.Fatalf("drained %d of %d lines", next, lines)
			}
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range livetest.Render(b) {
			if want := strconv.Itoa(next) + pad; r != want {
				b.Release()
				t.Fatalf("line %d: %q", next, r)
			}
			next++
		}
		b.Release()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(env.Bad) != 0 {
		t.Fatalf("bad rows: %v", env.Bad[0])
	}
}

func TestOptions(t *testing.T) {
	cases := []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{}, "needs option port"},
		{map[string]string{"port": "0"}, "option port"},
		{map[string]string{"port": "70000"}, "option port"},
		{map[string]string{"port": "http"}, "option port"},
		{map[string]string{"port": "1", "format": "xml"}, "unknown format"},
		{map[string]string{"port": "1", "max_record_bytes": "-1"}, "option max_record_bytes"},
		{map[string]string{"port": "1", "reconnect_max": "soon"}, "option reconnect_max"},
		{map[string]string{"port": "1", "buffer_bytes": "0"}, "option buffer_bytes"},
	}
	for _, tc := range cases {
		env := livetest.NewEnv(t)
		_, err := NewSource(env.Spec(lineSchema, tc.opts))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "table t") {
			t.Errorf("%v: error %v, want %q", tc.opts, err, tc.want)
		}
	}
	env := livetest.NewEnv(t)
	if _, err := NewSource(env.Spec(userSchema, map[string]string{"port": "1"})); err == nil || !strings.Contains(err.Error(), "text") {
		t.Errorf("text format with two columns: %v", err)
	}
	src, err := NewSource(env.Spec(lineSchema, map[string]string{"port": "9999", "host": "localhost"}))
	if err != nil {
		t.Fatal(err)
	}
	if src.(connectors.Bounded).Bounded() || src.(*Source).Addr() != "localhost:9999" {
		t.Fatal("bounded or wrong address")
	}
	// Close without Start.
	src.Close()
}

// Close returns promptly while the source is blocked on a full buffer and
// while it waits to reconnect.
func TestCloseWhileBlocked(t *testing.T) {
	env := livetest.NewEnv(t)
	ln, port := listen(t)
	src, err := NewSource(env.Spec(lineSchema, map[string]string{"port": port, "buffer_bytes": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := src.(connectors.Starter).Start(ctx); err != nil {
		t.Fatal(err)
	}
	c := accept(t, ln)
	write(t, c, strings.Repeat("line\n", 100000))
	time.Sleep(50 * time.Millisecond)
	done := make(chan struct{})
	go func() { src.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("Close hangs")
	}
	if _, err := src.Next(context.Background(), 1); err == nil {
		t.Fatal("Next after Close")
	}
}
