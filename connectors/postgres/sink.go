package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/vector"
)

// connectTimeout bounds each attempt to connect to the server.
const connectTimeout = 5 * time.Second

// Sink writes a query's rows to a PostgreSQL table: inserts for an
// append-only result without a key, upserts (and deletes, for an updating
// result) by key otherwise. See the package documentation for how it
// writes exactly once.
type Sink struct {
	table  string // the sink table's name, for messages
	schema *arrow.Schema
	opts   options
	target string // opts.table, quoted for SQL
	log    *slog.Logger

	op       int      // the op column's index, or -1 for append-only rows
	data     []int    // the batch columns written, in order
	cols     []string // the target columns they go to
	getters  []getter // one per data column
	key      []int    // positions in data of the key columns; nil: insert only
	stageDDL string   // creates the temporary tables of a keyed sink
	upsert   string   // INSERT ... SELECT ... ON CONFLICT ... (keyed)
	del      string   // DELETE ... USING the keys to delete (keyed)
	progress string   // the progress table, quoted

	cfg  *pgx.ConnConfig
	conn *pgx.Conn // nil after a connection failure, until the next attempt

	checkpointed bool
	stateDir     string
	n            int64        // the last checkpoint number taken or restored
	spill        *spillWriter // rows since the last checkpoint; nil until the first Write after it
	pending      []arrow.RecordBatch
	began        bool // a Write, Commit or Checkpoint came first, not Restore
	err          error
	closed       bool
}

var (
	_ connectors.Sink         = (*Sink)(nil)
	_ connectors.Checkpointer = (*Sink)(nil)
	_ connectors.Completer    = (*Sink)(nil)
)

// NewSink connects to the server of option dsn, checks (or creates) the
// target table, and returns the sink. Every failure, from a bad DSN to a
// missing privilege, is one line naming the sink table.
func NewSink(spec connectors.SinkSpec) (connectors.Sink, error) {
	if spec.Schema == nil {
		return nil, fmt.Errorf("table %s: postgres sink: the sink needs the query's schema", spec.Table)
	}
	o, err := parseOptions(spec)
	if err != nil {
		return nil, err
	}
	s := &Sink{table: spec.Table, schema: spec.Schema, opts: o, target: o.table.Sanitize(), log: slog.Default(),
		op: vector.OpIndex(spec.Schema), checkpointed: spec.Checkpointed, stateDir: spec.StateDir}
	if err := s.layout(spec); err != nil {
		return nil, err
	}
	if s.checkpointed && s.stateDir == "" {
		return nil, s.errorf("a checkpointed query must give the sink a state directory")
	}
	cfg, err := pgx.ParseConfig(o.dsn)
	if err != nil {
		return nil, s.errorf("option dsn: %v", redact(err, o.dsn))
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > connectTimeout {
		cfg.ConnectTimeout = connectTimeout
	}
	s.cfg = cfg
	ctx, cancel := context.WithTimeout(context.Background(), 4*connectTimeout)
	defer cancel()
	if s.conn, err = pgx.ConnectConfig(ctx, cfg); err != nil {
		return nil, s.errorf("cannot connect to PostgreSQL (option dsn): %v", redact(err, o.dsn))
	}
	if err := s.prepareTable(ctx, spec); err != nil {
		s.conn.Close(context.Background())
		return nil, err
	}
	if s.checkpointed {
		if err := os.MkdirAll(s.stateDir, 0o755); err != nil {
			s.conn.Close(context.Background())
			return nil, s.errorf("state directory: %v", err)
		}
	}
	return s, nil
}

// layout works out the columns written and the key from spec.
func (s *Sink) layout(spec connectors.SinkSpec) error {
	for i, f := range spec.Schema.Fields() {
		if i == s.op {
			continue
		}
		g, err := getterFor(f.Type)
		if err != nil {
			return s.errorf("column %s: %v", f.Name, err)
		}
		s.data = append(s.data, i)
		s.cols = append(s.cols, f.Name)
		s.getters = append(s.getters, g)
	}
	for _, k := range spec.Key {
		at := -1
		for j, c := range s.cols {
			if strings.EqualFold(c, k) {
				at = j
				break
			}
		}
		if at < 0 {
			return s.errorf("key column %s is not a column of the query's result (%s)", k, strings.Join(s.cols, ", "))
		}
		s.key = append(s.key, at)
	}
	if s.op >= 0 && len(s.key) == 0 {
		return s.errorf("the query's result is updating, and the postgres sink upserts and deletes it by key: " +
			"declare PRIMARY KEY (...) NOT ENFORCED on the sink table")
	}
	return nil
}

// errorf is an error about this sink, naming its table.
func (s *Sink) errorf(format string, args ...any) error {
	return fmt.Errorf("table %s: postgres sink: %s", s.table, fmt.Sprintf(format, args...))
}

// redact returns err on one line (pgx lists each address it tried on a
// line of its own; repeats are dropped), with the DSN's password, if any,
// replaced.
func redact(err error, dsn string) error {
	var parts []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(parts, l) {
			parts = append(parts, l)
		}
	}
	msg := strings.Join(parts, " ")
	if cfg, perr := pgx.ParseConfig(dsn); perr == nil && cfg.Password != "" {
		msg = strings.ReplaceAll(msg, cfg.Password, "xxxxx")
	}
	return errors.New(msg)
}

// Guarantee says what the sink promises about its output across crashes:
// "exactly once" when the query checkpoints, else "at least once" (the
// rows of a micro-batch whose commit was cut off are written again).
func (s *Sink) Guarantee() string {
	if s.checkpointed {
		return "exactly once"
	}
	return "at least once"
}

// Write takes a batch: with checkpoints it is appended to the spill file
// of the next checkpoint, else kept for Commit.
func (s *Sink) Write(batch arrow.RecordBatch) error {
	if err := s.usable(); err != nil {
		batch.Release()
		return err
	}
	if !s.began {
		if err := s.begin(); err != nil {
			batch.Release()
			return err
		}
	}
	if !s.checkpointed {
		s.pending = append(s.pending, batch)
		return nil
	}
	defer batch.Release()
	if batch.NumRows() == 0 {
		return nil
	}
	if s.spill == nil {
		w, err := createSpill(s.stateDir, s.n+1, s.schema)
		if err != nil {
			return s.fail(s.errorf("%v", err))
		}
		s.spill = w
	}
	if err := s.spill.write(batch); err != nil {
		return s.fail(s.errorf("%v", err))
	}
	return nil
}

// Commit ends a micro-batch. Without checkpoints its rows are written to
// the table in one transaction; with them they wait for the checkpoint.
func (s *Sink) Commit(epoch int64) error {
	if err := s.usable(); err != nil {
		return err
	}
	if !s.began {
		if err := s.begin(); err != nil {
			return err
		}
	}
	if s.checkpointed {
		return nil
	}
	return s.flush(fmt.Sprintf("writing micro-batch %d", epoch))
}

// flush writes the pending rows of a sink without checkpoints in one
// transaction; what says what for messages.
func (s *Sink) flush(what string) error {
	if len(s.pending) == 0 {
		return nil
	}
	err := s.retry(what, func(ctx context.Context, conn *pgx.Conn) error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			return s.apply(ctx, tx, sliceIter(s.pending))
		})
	})
	for _, b := range s.pending {
		b.Release()
	}
	s.pending = s.pending[:0]
	return s.fail(err)
}

// Close writes what a query without checkpoints wrote since its last
// Commit, and disconnects. With checkpoints it publishes nothing: rows
// after the last checkpoint are the next run's to write.
func (s *Sink) Close() error {
	if s.closed {
		return nil
	}
	var err error
	if !s.checkpointed && s.err == nil {
		err = s.flush("writing the last rows")
	}
	s.closed = true
	for _, b := range s.pending {
		b.Release()
	}
	s.pending = nil
	if s.spill != nil {
		s.spill.discard()
		s.spill = nil
	}
	if s.conn != nil {
		s.conn.Close(context.Background())
		s.conn = nil
	}
	return err
}

// usable returns why the sink cannot be used, or nil.
func (s *Sink) usable() error {
	if s.closed {
		return s.errorf("the sink is closed")
	}
	return s.err
}

// fail makes err the sink's error, returned by every later call.
func (s *Sink) fail(err error) error {
	if err != nil && s.err == nil {
		s.err = err
	}
	return err
}
