package sql

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// want describes one expected statement; empty fields are not checked
// except With, Watermark, Command and Args, which must match exactly.
type want struct {
	text      string
	node      string // %T of Node
	rewritten string
	with      map[string]string
	wm        *Watermark
	command   string
	args      []string
}

const clicksDDL = `CREATE TABLE clicks (
  ts      TIMESTAMP(3),
  user_id BIGINT,
  url     VARCHAR(255),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'file', path = 'data/clicks.csv', format = 'csv')`

func TestParseForms(t *testing.T) {
	fileWith := map[string]string{"connector": "file", "path": "data/clicks.csv", "format": "csv"}
	cases := []struct {
		name   string
		script string
		want   []want
	}{
		{"empty", "", nil},
		{"blanks and comments", "  -- a comment\n# another\n/* block ; */ ;; \n", nil},
		{"design DDL", "-- register a stream\n" + clicksDDL + ";\n", []want{{
			text: clicksDDL, node: "*ast.CreateTableStmt",
			rewritten: "CREATE TABLE clicks (\n  ts      TIMESTAMP(3),\n  user_id BIGINT,\n  url     VARCHAR(255)\n) ",
			with:      fileWith, wm: &Watermark{"ts", 5 * time.Second},
		}}},
		{"watermark INTERVAL n UNIT",
			"CREATE TABLE t (ts TIMESTAMP(3), v INT, WATERMARK FOR ts AS ts - INTERVAL 5 SECOND)",
			[]want{{node: "*ast.CreateTableStmt", rewritten: "CREATE TABLE t (ts TIMESTAMP(3), v INT)", wm: &Watermark{"ts", 5 * time.Second}}}},
		{"watermark INTERVAL string",
			"CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '2 seconds', v INT)",
			[]want{{rewritten: "CREATE TABLE t (ts TIMESTAMP(3), v INT)", wm: &Watermark{"ts", 2 * time.Second}}}},
		{"watermark no delay, first item, backticks",
			"CREATE TABLE t (WATERMARK FOR `ts` AS ts, `ts` TIMESTAMP(3))",
			[]want{{rewritten: "CREATE TABLE t ( `ts` TIMESTAMP(3))", wm: &Watermark{"ts", 0}}}},
		{"watermark milliseconds",
			"CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '500' MILLISECOND)",
			[]want{{wm: &Watermark{"ts", 500 * time.Millisecond}}}},
		{"WITH keys and values",
			"CREATE TABLE IF NOT EXISTS k (v BIGINT) WITH ('scan.startup.mode' = 'earliest', properties.bootstrap.servers = \"h:9092\", `Topic` = clicks, batch = 100, delta = -1, Quote = 'it''s')",
			[]want{{node: "*ast.CreateTableStmt", rewritten: "CREATE TABLE IF NOT EXISTS k (v BIGINT) ", with: map[string]string{
				"scan.startup.mode": "earliest", "properties.bootstrap.servers": "h:9092",
				"topic": "clicks", "batch": "100", "delta": "-1", "quote": "it's"}}}},
		{"ENGINE and CONNECTION",
			"CREATE TABLE t (a INT) ENGINE=file CONNECTION='data/t.csv'",
			[]want{{node: "*ast.CreateTableStmt", with: map[string]string{"connector": "file", "connection": "data/t.csv"}}}},
		{"plain CREATE TABLE", "CREATE TABLE t (a INT, b VARCHAR(10), c DOUBLE, d BOOLEAN, e TIMESTAMP(3), f DECIMAL(10,2), g TEXT)",
			[]want{{node: "*ast.CreateTableStmt"}}},
		{"tumble group by having",
			"SELECT window_start, window_end, user_id, COUNT(*) AS n FROM clicks GROUP BY user_id, TUMBLE(ts, INTERVAL '1' MINUTE) HAVING COUNT(*) > 2",
			[]want{{node: "*ast.SelectStmt",
				rewritten: "SELECT window_start, window_end, user_id, COUNT(*) AS n FROM clicks GROUP BY user_id, TUMBLE(ts, '1 MINUTE') HAVING COUNT(*) > 2"}}},
		{"hop",
			"SELECT window_end, url, COUNT(*) AS n FROM clicks GROUP BY url, HOP(ts, INTERVAL 10 SECOND, INTERVAL '1 hour')",
			[]want{{rewritten: "SELECT window_end, url, COUNT(*) AS n FROM clicks GROUP BY url, HOP(ts, '10 SECOND',  '1 hour')"}}},
		{"word count",
			"CREATE TABLE text_in (line VARCHAR(1024))\n  WITH (connector = 'socket', host = '127.0.0.1', port = '9999', format = 'text');\n" +
				"SELECT window_start, word, COUNT(*) AS n\nFROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM text_in) AS w\nGROUP BY word, TUMBLE(PROCTIME(), INTERVAL '1' SECOND);",
			[]want{
				{with: map[string]string{"connector": "socket", "host": "127.0.0.1", "port": "9999", "format": "text"}},
				{node: "*ast.SelectStmt", rewritten: "SELECT window_start, word, COUNT(*) AS n\nFROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM text_in) AS w\nGROUP BY word, TUMBLE(PROCTIME(), '1 SECOND')"},
			}},
		{"interval in WHERE stays",
			"SELECT * FROM t WHERE ts > NOW() - INTERVAL 5 SECOND AND DATE_ADD(ts, INTERVAL '1' DAY) > ts",
			[]want{{rewritten: "SELECT * FROM t WHERE ts > NOW() - INTERVAL 5 SECOND AND DATE_ADD(ts, INTERVAL '1' DAY) > ts"}}},
		{"interval TiDB lacks",
			"SELECT * FROM t WHERE ts > ts - INTERVAL '500' MILLISECOND OR ts < DATE_SUB(ts, INTERVAL '1.5 seconds') OR ts = ts + INTERVAL 2 HOURS",
			[]want{{rewritten: "SELECT * FROM t WHERE ts > ts - INTERVAL 500000 MICROSECOND OR ts < DATE_SUB(ts, INTERVAL 1500000 MICROSECOND) OR ts = ts + INTERVAL 2 HOUR"}}},
		{"SET", "SET batch_interval = '200ms'", []want{{node: "*ast.SetStmt"}}},
		{"SHOW TABLES", "SHOW TABLES", []want{{node: "*ast.ShowStmt"}}},
		{"DESCRIBE", "DESCRIBE clicks", []want{{node: "*ast.ExplainStmt"}}},
		{"DROP TABLE", "DROP TABLE IF EXISTS clicks", []want{{node: "*ast.DropTableStmt"}}},
		{"EXPLAIN", "EXPLAIN SELECT url FROM clicks GROUP BY url, TUMBLE(ts, INTERVAL '1' MINUTE)",
			[]want{{node: "*ast.ExplainStmt", rewritten: "EXPLAIN SELECT url FROM clicks GROUP BY url, TUMBLE(ts, '1 MINUTE')"}}},
		{"INSERT SELECT", "INSERT INTO counts SELECT user_id, COUNT(*) FROM clicks GROUP BY user_id, TUMBLE(ts, '1 minute')",
			[]want{{node: "*ast.InsertStmt"}}},
		{"shell commands", "SHOW QUERIES;\nstop query 3;", []want{
			{text: "SHOW QUERIES", command: "SHOW QUERIES"},
			{text: "stop query 3", command: "STOP QUERY", args: []string{"3"}},
		}},
		{"split respects quotes and comments",
			"SELECT ';' AS a, \"x;y\" AS `b;c` FROM t -- not ; here\n; /* ; */ SELECT 2 # ;\n",
			[]want{{text: "SELECT ';' AS a, \"x;y\" AS `b;c` FROM t"}, {text: "SELECT 2"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stmts, err := Parse(c.script)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(stmts) != len(c.want) {
				t.Fatalf("got %d statements, want %d", len(stmts), len(c.want))
			}
			for i, w := range c.want {
				s := stmts[i]
				if s.Text != c.script[s.Offset:s.Offset+len(s.Text)] {
					t.Errorf("[%d] Text %q is not at Offset %d", i, s.Text, s.Offset)
				}
				if s.Text != strings.TrimSpace(s.Text) || strings.HasSuffix(s.Text, ";") {
					t.Errorf("[%d] Text %q not trimmed", i, s.Text)
				}
				if w.text != "" && s.Text != w.text {
					t.Errorf("[%d] Text = %q, want %q", i, s.Text, w.text)
				}
				if got := fmt.Sprintf("%T", s.Node); w.node != "" && got != w.node {
					t.Errorf("[%d] Node is %s, want %s", i, got, w.node)
				}
				if w.rewritten != "" && s.Rewritten != w.rewritten {
					t.Errorf("[%d] Rewritten = %q, want %q", i, s.Rewritten, w.rewritten)
				}
				if !reflect.DeepEqual(s.With, w.with) {
					t.Errorf("[%d] With = %#v, want %#v", i, s.With, w.with)
				}
				if !reflect.DeepEqual(s.Watermark, w.wm) {
					t.Errorf("[%d] Watermark = %+v, want %+v", i, s.Watermark, w.wm)
				}
				if s.Command != w.command || !reflect.DeepEqual(s.Args, w.args) {
					t.Errorf("[%d] Command %q %q, want %q %q", i, s.Command, s.Args, w.command, w.args)
				}
				if (s.Command != "") == (s.Node != nil) {
					t.Errorf("[%d] exactly one of Command and Node must be set", i)
				}
			}
		})
	}
}

func TestStatementOffsets(t *testing.T) {
	script := "-- header\nSHOW TABLES ;\n\n  /* c */ DROP TABLE t;SELECT 1"
	stmts, err := Parse(script)
	if err != nil {
		t.Fatal(err)
	}
	got := [][2]any{}
	for _, s := range stmts {
		got = append(got, [2]any{s.Offset, s.Text})
	}
	want := [][2]any{{10, "SHOW TABLES"}, {35, "DROP TABLE t"}, {48, "SELECT 1"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// windowArgs returns the arguments of the first call named fn in node.
func windowArgs(node ast.Node, fn string) []ast.ExprNode {
	v := &callFinder{name: fn}
	node.Accept(v)
	return v.args
}

type callFinder struct {
	name string
	args []ast.ExprNode
}

func (v *callFinder) Enter(n ast.Node) (ast.Node, bool) {
	if f, ok := n.(*ast.FuncCallExpr); ok && v.args == nil && f.FnName.L == v.name {
		v.args = f.Args
	}
	return n, false
}

func (v *callFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// The rewritten INTERVAL arguments reach the planner as strings that
// ParseInterval understands.
func TestIntervalArgumentsInAST(t *testing.T) {
	stmts, err := Parse("SELECT COUNT(*) FROM t GROUP BY HOP(ts, INTERVAL '500' MILLISECOND, INTERVAL 1.5 MINUTES)")
	if err != nil {
		t.Fatal(err)
	}
	args := windowArgs(stmts[0].Node, "hop")
	if len(args) != 3 {
		t.Fatalf("HOP has %d args", len(args))
	}
	var got []time.Duration
	for _, a := range args[1:] {
		v, ok := a.(ast.ValueExpr)
		if !ok {
			t.Fatalf("arg %T is not a value", a)
		}
		d, err := ParseInterval(v.GetString())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d)
	}
	if want := []time.Duration{500 * time.Millisecond, 90 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestLocate(t *testing.T) {
	script := "SELECT 1;\nSELECT `User_Id`, c.url, COUNT(*) FROM clicks AS c WHERE user_id > 0"
	stmts, err := Parse(script)
	if err != nil {
		t.Fatal(err)
	}
	s := stmts[1]
	cases := []struct {
		name string
		off  int
		text string
		ok   bool
	}{
		{"user_id", 17, "`User_Id`", true},
		{"USER_ID", 17, "`User_Id`", true},
		{"c.url", 28, "c.url", true},
		{"count", 35, "COUNT", true},
		{"clicks", 49, "clicks", true},
		{"nope", 0, "", false},
	}
	for _, c := range cases {
		off, n, ok := s.Locate(c.name)
		if ok != c.ok || (ok && (off != c.off || script[off:off+n] != c.text)) {
			t.Errorf("Locate(%q) = %d,%d,%v; want %d %q", c.name, off, n, ok, c.off, c.text)
		}
	}
	off, n, ok := s.LocateAfter("user_id", 18)
	if !ok || script[off:off+n] != "user_id" || off != 67 {
		t.Errorf("LocateAfter = %d,%d,%v", off, n, ok)
	}
	e := ErrorAt(script, off, n, "unknown column %q", "user_id")
	if e.Line != 2 || e.Column != 58 || e.Length != 7 {
		t.Errorf("ErrorAt = %+v", e)
	}
}

func TestWatermarkSpan(t *testing.T) {
	script := "CREATE TABLE t (ts BIGINT, WATERMARK FOR ts AS ts)"
	stmts, err := Parse(script)
	if err != nil {
		t.Fatal(err)
	}
	off, n, ok := stmts[0].WatermarkSpan()
	if !ok || off != 41 || script[off:off+n] != "ts" {
		t.Fatalf("WatermarkSpan = %d %d %v", off, n, ok)
	}
}

func TestMapOffset(t *testing.T) {
	script := "SELECT 0;\nSELECT TUMBLE(ts, INTERVAL '5' SECOND), x FROM t"
	stmts, err := Parse(script)
	if err != nil {
		t.Fatal(err)
	}
	s := stmts[1]
	x := strings.Index(s.Rewritten, "x FROM")
	if got := s.MapOffset(x); script[got:got+1] != "x" {
		t.Fatalf("MapOffset(%d) = %d", x, got)
	}
	lit := strings.Index(s.Rewritten, "'5 SECOND'")
	if got := s.MapOffset(lit); !strings.HasPrefix(script[got:], "INTERVAL '5'") {
		t.Fatalf("MapOffset(%d) = %d", lit, got)
	}
}

func TestParseEmitClause(t *testing.T) {
	for _, tc := range []struct{ in, emit, rewritten string }{
		{"SELECT k, COUNT(*) FROM t GROUP BY k EMIT ON UPDATE", EmitOnUpdate, "SELECT k, COUNT(*) FROM t GROUP BY k"},
		{"select k from t group by k emit on window close;", EmitOnWindowClose, "select k from t group by k"},
		{"SELECT emit FROM t", "", "SELECT emit FROM t"},
	} {
		st, err := Parse(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if st[0].Emit != tc.emit || st[0].Rewritten != tc.rewritten {
			t.Errorf("%s: emit %q, rewritten %q; want %q, %q", tc.in, st[0].Emit, st[0].Rewritten, tc.emit, tc.rewritten)
		}
	}
	_, err := Parse("CREATE TABLE t (a BIGINT) WITH (connector = 'file', path = 'x') EMIT ON UPDATE")
	if err == nil || !strings.Contains(err.Error(), "EMIT applies to a query") {
		t.Fatalf("EMIT on CREATE TABLE: %v", err)
	}
}
