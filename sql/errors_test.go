package sql

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name      string
		script    string
		line, col int
		length    int
		msg       string
		pretty    string // the two lines after Error(); empty: not checked
	}{
		{
			name: "typo keyword on line 3",
			script: "CREATE TABLE clicks (ts TIMESTAMP(3), user_id BIGINT) WITH (connector = 'file', path = 'c.csv');\n" +
				"-- per user\n" +
				"SELECT user_id, COUNT(*) FORM clicks GROUP BY user_id;",
			line: 3, col: 26, length: 4,
			msg: `syntax error near "FORM clicks GROUP BY user_id": did you mean FROM?`,
			pretty: "SELECT user_id, COUNT(*) FORM clicks GROUP BY user_id;\n" +
				"                         ^^^^",
		},
		{
			name:   "misspelt first keyword",
			script: "SLECT * FROM t",
			line:   1, col: 1, length: 5,
			msg: `syntax error near "SLECT * FROM t": did you mean SELECT?`,
		},
		{
			name:   "bad interval unit",
			script: "SELECT COUNT(*)\nFROM t\nGROUP BY TUMBLE(ts, INTERVAL '5' SECONDZ)",
			line:   3, col: 34, length: 7,
			msg: `unknown interval unit "SECONDZ"; use MILLISECOND, SECOND, MINUTE, HOUR or DAY`,
			pretty: "GROUP BY TUMBLE(ts, INTERVAL '5' SECONDZ)\n" +
				"                                 ^^^^^^^",
		},
		{
			name:   "bad interval string",
			script: "SELECT COUNT(*) FROM t GROUP BY TUMBLE(ts, INTERVAL '5 fortnights')",
			line:   1, col: 53, length: 14,
			msg: `invalid interval "5 fortnights": unknown unit "fortnights"; ` + intervalForms,
		},
		{
			name:   "interval without unit",
			script: "SELECT COUNT(*) FROM t GROUP BY HOP(ts, INTERVAL 5, INTERVAL 10 SECOND)",
			line:   1, col: 50, length: 1,
			msg: "INTERVAL 5 needs a unit: MILLISECOND, SECOND, MINUTE, HOUR or DAY",
		},
		{
			name:   "unterminated string",
			script: "SELECT 1;\nSELECT 'abc\nFROM t",
			line:   2, col: 8, length: 4,
			msg:    "unterminated string",
			pretty: "SELECT 'abc\n       ^^^^",
		},
		{
			name:   "unterminated comment",
			script: "SELECT 1 /* no end",
			line:   1, col: 10, length: 9,
			msg: "unterminated comment",
		},
		{
			name:   "unterminated backtick",
			script: "SELECT `a FROM t",
			line:   1, col: 8, length: 9,
			msg: "unterminated quoted identifier",
		},
		{
			name: "watermark on another column",
			script: "CREATE TABLE clicks (\n  ts TIMESTAMP(3),\n  other TIMESTAMP(3),\n" +
				"  WATERMARK FOR ts AS other - INTERVAL '5' SECOND\n) WITH (connector = 'file')",
			line: 4, col: 23, length: 5,
			msg: "WATERMARK FOR ts must be computed from ts, not other",
			pretty: "  WATERMARK FOR ts AS other - INTERVAL '5' SECOND\n" +
				"                      ^^^^^",
		},
		{
			name:   "watermark column missing from table",
			script: "CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR tz AS tz)",
			line:   1, col: 48, length: 2,
			msg: `WATERMARK column "tz" is not a column of table "t"`,
		},
		{
			name:   "watermark expression unsupported",
			script: "CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts + INTERVAL '5' SECOND)",
			line:   1, col: 57, length: 1,
			msg: "unsupported WATERMARK expression; write WATERMARK FOR ts AS ts - INTERVAL '5' SECOND (or AS ts for no delay)",
		},
		{
			name:   "watermark bad unit",
			script: "CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' WEEK)",
			line:   1, col: 72, length: 4,
			msg: `unknown interval unit "WEEK"; use MILLISECOND, SECOND, MINUTE, HOUR or DAY`,
		},
		{
			name:   "error after rewritten INTERVALs",
			script: "SELECT COUNT(*)\nFROM t\nGROUP BY HOP(ts, INTERVAL '10' SECOND, INTERVAL '1' MINUTE) HAVING COUNT(*) > > 1",
			line:   3, col: 79, length: 1,
			msg: `syntax error near "> 1"`,
			pretty: "GROUP BY HOP(ts, INTERVAL '10' SECOND, INTERVAL '1' MINUTE) HAVING COUNT(*) > > 1\n" +
				"                                                                              ^",
		},
		{
			name:   "error after removed WITH and WATERMARK",
			script: "CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (a = 'b') ENGINE = = x",
			line:   1, col: 82, length: 1,
			msg: `syntax error near "= x"`,
		},
		{
			name:   "error inside a rewritten span",
			script: "SELECT 1 INTERVAL '500' MILLISECOND",
			line:   1, col: 10, length: 26,
			msg: `syntax error near "INTERVAL '500' MILLISECOND"`,
		},
		{
			name:   "columns count characters",
			script: "SELECT 'naïve' AS s, COUNT(*) FORM t",
			line:   1, col: 31, length: 4,
			msg: `syntax error near "FORM t": did you mean FROM?`,
			pretty: "SELECT 'naïve' AS s, COUNT(*) FORM t\n" +
				"                              ^^^^",
		},
		{
			name:   "reserved word as table name",
			script: "CREATE TABLE lines (line VARCHAR(100))",
			line:   1, col: 14, length: 5,
			msg: "syntax error near \"lines (line VARCHAR(100))\": LINES is a reserved word; to use it as a name, quote it in backticks (`lines`) or pick another name",
		},
		{
			name:   "SPLIT is a keyword",
			script: "SELECT SPLIT(line, ' ') FROM t",
			line:   1, col: 13, length: 1,
			msg: `syntax error near "(line, ' ') FROM t": SPLIT is a keyword, not a function; to split text into words use UNNEST(STRING_TO_ARRAY(s, ' '))`,
		},
		{
			name:   "unexpected end",
			script: "SELECT *\nFROM",
			line:   2, col: 1, length: 4,
			msg: `syntax error: statement ends unexpectedly after "FROM"`,
		},
		{
			name:   "tabs keep the caret aligned",
			script: "SELECT\ta,\tb\tFORM t",
			line:   1, col: 13, length: 4,
			msg:    `syntax error near "FORM t": did you mean FROM?`,
			pretty: "SELECT\ta,\tb\tFORM t\n      \t  \t \t^^^^",
		},
		{
			name:   "duplicate WITH option",
			script: "CREATE TABLE t (a INT) WITH (path = 'x', PATH = 'y')",
			line:   1, col: 42, length: 4,
			msg: `duplicate WITH option "path"`,
		},
		{
			name:   "STOP QUERY without id",
			script: "STOP QUERY",
			line:   1, col: 6, length: 5,
			msg: "usage: STOP QUERY id (see SHOW QUERIES)",
		},
		{
			name:   "overlong number",
			script: "SELECT 1" + "0000000000000000000000000000000000000000000000000000000000000000000",
			line:   1, col: 8, length: 68,
			msg: "number has more than 65 digits",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.script)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error = %v, want *Error", err)
			}
			if e.Line != c.line || e.Column != c.col || e.Length != c.length || e.Msg != c.msg {
				t.Errorf("got  %d:%d len %d %q\nwant %d:%d len %d %q", e.Line, e.Column, e.Length, e.Msg, c.line, c.col, c.length, c.msg)
			}
			if e.Source != c.script {
				t.Errorf("Source is not the script")
			}
			if c.pretty != "" {
				if want := e.Error() + "\n" + c.pretty; e.Pretty() != want {
					t.Errorf("Pretty:\n%s\nwant:\n%s", e.Pretty(), want)
				}
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	script := "SELECT a\nFROM t WHERE usr = 1"
	e := ErrorAt(script, 22, 3, "unknown column %q", "usr")
	if got, want := e.Error(), `line 2, column 14: unknown column "usr"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	want := "line 2, column 14: unknown column \"usr\"\nFROM t WHERE usr = 1\n             ^^^"
	if got := e.Pretty(); got != want {
		t.Errorf("Pretty() =\n%s\nwant\n%s", got, want)
	}
	// Out-of-range spans are clamped, never panic.
	for _, off := range []int{-5, 0, len(script), len(script) + 9} {
		e := ErrorAt(script, off, 100, "x")
		if e.Line < 1 || e.Column < 1 || e.Length < 1 {
			t.Errorf("ErrorAt(%d) = %+v", off, e)
		}
		_ = e.Pretty()
	}
}

func TestReservedColumnName(t *testing.T) {
	_, err := Parse("CREATE TABLE t (ts TIMESTAMP(3), key VARCHAR) WITH (connector = 'file')")
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	if e.Line != 1 || e.Column != 34 || e.Length != 3 || !strings.Contains(e.Msg, "KEY is a reserved word") {
		t.Errorf("got %d:%d len %d %q", e.Line, e.Column, e.Length, e.Msg)
	}
}
