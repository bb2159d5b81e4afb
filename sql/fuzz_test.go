package sql

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		clicksDDL + ";",
		"SELECT window_start, window_end, user_id, COUNT(*) AS n FROM clicks GROUP BY user_id, TUMBLE(ts, INTERVAL '1' MINUTE);",
		"SELECT window_end, url, COUNT(*) AS n FROM clicks GROUP BY url, HOP(ts, INTERVAL '10' SECOND, INTERVAL '1' HOUR);",
		"CREATE TABLE text_in (line VARCHAR(1024)) WITH (connector = 'socket', host = '127.0.0.1', port = '9999', format = 'text');\n" +
			"SELECT window_start, word, COUNT(*) AS n FROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM text_in) AS w GROUP BY word, TUMBLE(PROCTIME(), INTERVAL '1' SECOND);",
		"INSERT INTO counts SELECT user_id, COUNT(*) FROM clicks GROUP BY user_id, TUMBLE(ts, '5 seconds');",
		"SET batch_interval = '200ms'; SHOW TABLES; DESCRIBE clicks; DROP TABLE IF EXISTS clicks; EXPLAIN SELECT 1;",
		"SHOW QUERIES; STOP QUERY 3;",
		"CREATE FUNCTION count_char(s VARCHAR, c VARCHAR) RETURNS BIGINT AS 'LENGTH(s) - LENGTH(REPLACE(s, c, ''''))'; DROP FUNCTION IF EXISTS f; SHOW FUNCTIONS",
		"CREATE TEMPORARY FUNCTION f(a DECIMAL(5, 2), b TIMESTAMP(3)) RETURNS STRING AS 'CASE WHEN a > 1 THEN ''x'' END' LANGUAGE SQL; CREATE FUNCTION g AS 'java.Class'",
		"CREATE FUNCTION f(a BIGINT) RETURNS BIGINT) AS 'a +'",
		"SELECT REGEXP(s, 'a'), NOT REGEXP(s, 'b'), s REGEXP('c'), s NOT SIMILAR TO '(a|b)%_[x-z]\\\\%' FROM t WHERE s SIMILAR TO",
		"SELECT * FROM t WHERE ts > ts - INTERVAL '500' MILLISECOND",
		"CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5 seconds') ENGINE=file CONNECTION='x.csv'",
		"SELECT user_id FORM clicks",
		"SELECT 'unterminated",
		"CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS x)",
		"SELECT TUMBLE(ts, INTERVAL '5' SECONDZ) FROM t",
		"CREATE TABLE lines (a INT) WITH (a = , b)",
		"/* comment */ -- x\n# y\n;;",
		"SELECT 'naïve', `é` FROM t WHERE x = = 1 /*",
		"CREATE TABLE t (s STRING, v VARCHAR, ts TIMESTAMP_LTZ(3) WITH LOCAL TIME ZONE, n NUMERIC(5,1))",
		"SELECT CAST(a AS BIGINT UNSIGNED), CAST(CAST(b AS BOOLEAN) AS STRING), CONVERT(c, TIMESTAMP(3)), CAST(d AS INT(3)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		start := time.Now()
		stmts, err := Parse(script)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Parse of %d bytes took %v", len(script), d)
		}
		if err != nil {
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T is not *Error", err)
			}
			checkPosition(t, script, e)
			if strings.ContainsAny(e.Msg, "\r\n") {
				t.Fatalf("message spans lines: %q", e.Msg)
			}
			_ = e.Pretty()
			return
		}
		for _, s := range stmts {
			if s.Offset < 0 || s.Offset+len(s.Text) > len(script) || script[s.Offset:s.Offset+len(s.Text)] != s.Text || s.Text == "" {
				t.Fatalf("statement %q not at offset %d", s.Text, s.Offset)
			}
			if (s.Node == nil) == (s.Command == "") {
				t.Fatalf("statement %q: Node %T, Command %q", s.Text, s.Node, s.Command)
			}
			if off, n, ok := s.Locate("ts"); ok {
				checkPosition(t, script, ErrorAt(script, off, n, "x"))
			}
			for i := 0; i <= len(s.Rewritten); i++ {
				if p := s.MapOffset(i); p < s.Offset || p > s.Offset+len(s.Text) {
					t.Fatalf("MapOffset(%d) = %d outside the statement", i, p)
				}
			}
		}
	})
}

// checkPosition fails unless e lies within script.
func checkPosition(t *testing.T, script string, e *Error) {
	t.Helper()
	lines := strings.Split(script, "\n")
	if e.Line < 1 || e.Line > len(lines) {
		t.Fatalf("line %d outside 1..%d", e.Line, len(lines))
	}
	if n := utf8.RuneCountInString(lines[e.Line-1]); e.Column < 1 || e.Column > n+1 {
		t.Fatalf("column %d outside line %d of %d characters", e.Column, e.Line, n)
	}
	if e.Length < 1 || e.Source != script {
		t.Fatalf("bad length %d or source", e.Length)
	}
}
