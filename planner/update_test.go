package planner_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/file"
	"github.com/weirdb/weir/connectors/socket"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql"
)

// updSession is a session with a file table f and a socket table s.
func updSession(t *testing.T) *planner.Session {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "f.csv")
	if err := os.WriteFile(path, []byte("k,v\na,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := connectors.NewRegistry()
	reg.RegisterSource("file", file.NewSource, file.SourceConfig())
	reg.RegisterSource("socket", socket.NewSource, socket.Config())
	sess := planner.NewSession(reg)
	if err := execAll(sess, "CREATE TABLE f (k VARCHAR, v BIGINT) WITH (connector = 'file', path = '"+path+"', format = 'csv');"+
		"CREATE TABLE s (k VARCHAR, v BIGINT) WITH (connector = 'socket', host = '127.0.0.1', port = '9', format = 'csv')"); err != nil {
		t.Fatal(err)
	}
	return sess
}

// updPrepare plans one query.
func updPrepare(t *testing.T, sess *planner.Session, q string) *planner.Prepared {
	t.Helper()
	stmts, err := sql.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sess.Execute(stmts[0])
	if err != nil {
		t.Fatal(err)
	}
	return res.Query
}

func TestUpdatingModeOfPlans(t *testing.T) {
	sess := updSession(t)
	for _, tc := range []struct {
		q        string
		updating bool
	}{
		{"SELECT k, COUNT(*) FROM f GROUP BY k", false},
		{"SELECT k, COUNT(*) FROM f GROUP BY k EMIT ON UPDATE", true},
		{"SELECT k, COUNT(*) FROM f GROUP BY k EMIT ON WINDOW CLOSE", false},
		{"SELECT k, COUNT(*) FROM s GROUP BY k", true},
		{"SELECT k, v FROM s WHERE v > 1", false},
		{"SELECT COUNT(*) FROM (SELECT k, MAX(v) AS m FROM s GROUP BY k) AS x", true},
	} {
		if got := planner.Updating(updPrepare(t, sess, tc.q).Plan); got != tc.updating {
			t.Errorf("%s: updating %v, want %v", tc.q, got, tc.updating)
		}
	}
}

func TestStateTTLReachesTheAggregate(t *testing.T) {
	sess := updSession(t)
	if err := execAll(sess, "SET state_ttl = '1h'; SET parallelism = 1"); err != nil {
		t.Fatal(err)
	}
	q, err := updPrepare(t, sess, "SELECT k, COUNT(*) FROM f GROUP BY k EMIT ON UPDATE").Build(&captureSink{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Pipeline.Close()
	defer q.Input.Source.Close()
	for _, op := range q.Pipeline {
		if u, ok := op.(*exec.UpdatingAgg); ok {
			if u.Config().TTL != time.Hour {
				t.Fatalf("TTL %v, want 1h", u.Config().TTL)
			}
			return
		}
	}
	t.Fatalf("no updating aggregate in %v", q.Pipeline)
}
