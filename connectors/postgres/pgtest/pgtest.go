// Package pgtest starts a real PostgreSQL server for tests: Debian's
// postgresql package (initdb and pg_ctl on PATH or in
// /usr/lib/postgresql/<version>/bin), initialised into a temporary
// directory and listening on a free port of 127.0.0.1, with its unix
// socket in that directory. One server serves a whole test process; each
// Start gives a fresh database on it.
//
// With WEIR_TEST_PG_DSN set, Start uses that server instead (it must let
// the DSN's user create databases, version 13 or later); each test's
// database is dropped when the test ends. Without PostgreSQL installed, Start
// skips the test, or fails it when CI=true.
//
// The server stops when the test binary's TestMain returns through Main,
// or, in a package without one, when the test that first called Start
// ends (later callers then start another).
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the variable that points the tests at an existing server.
const EnvDSN = "WEIR_TEST_PG_DSN"

var (
	mu        sync.Mutex
	srv       *server // the running server, nil until the first Start
	underMain bool    // Main runs the tests: it stops the server
	dbSeq     atomic.Int64
)

// server is a PostgreSQL server this process started.
type server struct {
	dir      string // the temporary directory: data/, the socket, the log
	data     string
	port     int
	pgCtl    string
	asUser   string // "postgres" when the process runs as root
	adminDSN string
}

// Main runs the tests of m and stops the server if one was started; call
// it from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	mu.Lock()
	underMain = true
	mu.Unlock()
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	if srv != nil {
		srv.stop()
		srv = nil
	}
	return code
}

// Start returns the DSN (a libpq URL) of a new, empty database on the
// test server, starting the server on first use.
func Start(t testing.TB) string {
	t.Helper()
	admin, err := adminDSN(t)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("weir_test_%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect to the test server: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	if os.Getenv(EnvDSN) != "" {
		// Not our server: leave it as we found it.
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if conn, err := pgx.Connect(ctx, admin); err == nil {
				conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
				conn.Close(ctx)
			}
		})
	}
	cfg, err := pgx.ParseConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	return dsnFor(cfg.Host, int(cfg.Port), cfg.User, cfg.Password, name)
}

func dsnFor(host string, port int, user, password, db string) string {
	u := user
	if password != "" {
		u += ":" + password
	}
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", u, net.JoinHostPort(host, strconv.Itoa(port)), db)
}

// adminDSN returns the DSN of the server's postgres database, starting
// the server if needed.
func adminDSN(t testing.TB) (string, error) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return dsn, nil
	}
	mu.Lock()
	defer mu.Unlock()
	if srv != nil {
		return srv.adminDSN, nil
	}
	initdb, pgCtl := findBinaries()
	if initdb == "" || pgCtl == "" {
		msg := "PostgreSQL is not installed (no initdb and pg_ctl on PATH or in /usr/lib/postgresql/*/bin): apt-get install postgresql, or set " + EnvDSN
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s, err := startServer(initdb, pgCtl)
	if err != nil {
		return "", err
	}
	srv = s
	if !underMain {
		t.Cleanup(func() {
			mu.Lock()
			defer mu.Unlock()
			if srv == s {
				s.stop()
				srv = nil
			}
		})
	}
	return s.adminDSN, nil
}

// findBinaries looks for initdb and pg_ctl on PATH, then in the newest
// /usr/lib/postgresql/<version>/bin.
func findBinaries() (initdb, pgCtl string) {
	if a, err := exec.LookPath("initdb"); err == nil {
		if b, err := exec.LookPath("pg_ctl"); err == nil {
			return a, b
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		a, b := filepath.Join(d, "initdb"), filepath.Join(d, "pg_ctl")
		if isFile(a) && isFile(b) {
			return a, b
		}
	}
	return "", ""
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// startServer initialises a cluster in a new temporary directory and
// starts it on a free port of 127.0.0.1; pg_ctl -w returns once it
// accepts connections.
func startServer(initdb, pgCtl string) (*server, error) {
	dir, err := os.MkdirTemp("", "weir-pg-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, data: filepath.Join(dir, "data"), pgCtl: pgCtl}
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: the cluster belongs to postgres.
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: running as root, and there is no postgres user to run the server as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		s.asUser = "postgres"
	}
	if out, err := s.run(initdb, "-D", s.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		s.removeDir()
		return nil, fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.removeDir()
		return nil, err
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", s.port, dir)
	if out, err := s.run(pgCtl, "-D", s.data, "-l", filepath.Join(dir, "server.log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		s.removeDir()
		return nil, fmt.Errorf("pgtest: pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	s.adminDSN = dsnFor("127.0.0.1", s.port, "postgres", "", "postgres")
	return s, nil
}

// run runs a PostgreSQL program, as the postgres user when the process is
// root. Its output goes to a file, not a pipe: the server pg_ctl starts
// would keep a pipe open.
func (s *server) run(prog string, args ...string) (string, error) {
	if s.asUser != "" {
		args = append([]string{"-u", s.asUser, "--", prog}, args...)
		prog = "runuser"
	}
	out, err := os.CreateTemp("", "weir-pg-out-")
	if err != nil {
		return "", err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.Command(prog, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Dir = s.dir
	err = cmd.Run()
	b, _ := os.ReadFile(out.Name())
	return strings.TrimSpace(string(b)), err
}

// stop stops the server at once and removes its directory.
func (s *server) stop() {
	s.run(s.pgCtl, "-D", s.data, "-m", "immediate", "-w", "stop")
	s.removeDir()
}

func (s *server) removeDir() { os.RemoveAll(s.dir) }
