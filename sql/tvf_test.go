package sql

import "testing"

// TestWindowTVFRewrite: TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size)) reaches
// TiDB as a derived table whose WHERE is the marked call, its INTERVAL
// rewritten as any call argument is; HOP likewise.
func TestWindowTVFRewrite(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT * FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' SECOND))",
			"SELECT * FROM (SELECT * FROM t WHERE weir_window_tvf_tumble( DESCRIPTOR(ts), '10 SECOND'))"},
		{"SELECT * FROM table ( hop ( table clicks , DESCRIPTOR(ts), '5 seconds', INTERVAL '1' MINUTE ) ) AS w",
			"SELECT * FROM (SELECT * FROM clicks WHERE weir_window_tvf_hop( DESCRIPTOR(ts), '5 seconds', '1 MINUTE' ) ) AS w"},
		{"SELECT * FROM TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' SECOND, INTERVAL '4' SECOND))",
			"SELECT * FROM (SELECT * FROM t WHERE weir_window_tvf_cumulate( DESCRIPTOR(ts), '1 SECOND', '4 SECOND'))"},
		{"SELECT * FROM TABLE(SESSION(TABLE t, DESCRIPTOR(ts), INTERVAL '1' SECOND))",
			"SELECT * FROM (SELECT * FROM t WHERE weir_window_tvf_session( DESCRIPTOR(ts), '1 SECOND'))"},
		{"SELECT * FROM TABLE(SESSION(TABLE t PARTITION BY a, b, DESCRIPTOR(ts), INTERVAL '1' SECOND))",
			"SELECT * FROM (SELECT * FROM t WHERE weir_window_tvf_session(weir_partition_by( a, b), DESCRIPTOR(ts), '1 SECOND'))"},
		{"SELECT * FROM TABLE(SESSION(TABLE t PARTITION BY (a, b), DESCRIPTOR(ts), INTERVAL '1' SECOND))",
			"SELECT * FROM (SELECT * FROM t WHERE weir_window_tvf_session(weir_partition_by(a, b), DESCRIPTOR(ts), '1 SECOND'))"},
		{"SELECT k, COUNT(*) FROM t GROUP BY k, SESSION(ts, INTERVAL '1' SECOND)",
			"SELECT k, COUNT(*) FROM t GROUP BY k, SESSION_WINDOW(ts, '1 SECOND')"},
	} {
		stmts, err := Parse(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got := stmts[0].Rewritten; got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.in, got, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"SELECT * FROM TABLE(TUMBLE(t, DESCRIPTOR(ts), INTERVAL '1' SECOND))", "line 1, column 28: TUMBLE's first argument must be TABLE name"},
		{"SELECT * FROM TABLE(SESSION(TABLE t PARTITION BY DESCRIPTOR(ts), INTERVAL '1' SECOND))", "line 1, column 37: SESSION's PARTITION BY needs columns"},
	} {
		_, err := Parse(c.in)
		if err == nil || len(err.Error()) < len(c.want) || err.Error()[:len(c.want)] != c.want {
			t.Errorf("%s: error %v, want %s...", c.in, err, c.want)
		}
	}
}
