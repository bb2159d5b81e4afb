package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"
	"github.com/weirdb/weir/connectors"
)

// progressTable is the table that records, per sink, the last checkpoint
// whose rows are in the target table.
const progressTable = "weir_sink_progress"

// prepareTable checks the target table against the result (creating it if
// missing and allowed), checks the privileges the sink needs, builds the
// statements and, with checkpoints, makes sure the progress table exists
// and reads the sink's progress.
func (s *Sink) prepareTable(ctx context.Context, spec connectors.SinkSpec) error {
	var oid *uint32
	if err := s.conn.QueryRow(ctx, "SELECT to_regclass($1)::oid", s.target).Scan(&oid); err != nil {
		return s.errorf("looking up table %s: %v", s.target, err)
	}
	if oid == nil {
		if !s.opts.create {
			return s.errorf("table %s does not exist in the database, and option create is 'false'", s.target)
		}
		if err := s.createTable(ctx, spec.Schema); err != nil {
			return err
		}
	} else if err := s.matchTable(ctx, *oid); err != nil {
		return err
	}
	if err := s.checkPrivileges(ctx); err != nil {
		return err
	}
	s.statements()
	if !s.checkpointed {
		return nil
	}
	id := pgx.Identifier{progressTable}
	if len(s.opts.table) == 2 {
		id = pgx.Identifier{s.opts.table[0], progressTable}
	}
	s.progress = id.Sanitize()
	if err := s.execLocked(ctx, "CREATE TABLE IF NOT EXISTS "+s.progress+" (sink TEXT PRIMARY KEY, epoch BIGINT NOT NULL)"); err != nil {
		return s.errorf("creating the progress table %s: %v", s.progress, err)
	}
	n, err := s.readProgress(ctx, s.conn)
	if err != nil {
		return s.errorf("reading the progress table %s: %v", s.progress, err)
	}
	s.n = n
	return nil
}

// createTable creates the target table with a column per result column
// and a PRIMARY KEY on the key, if there is one.
func (s *Sink) createTable(ctx context.Context, schema *arrow.Schema) error {
	defs := make([]string, 0, len(s.data)+1)
	for j, i := range s.data {
		t, _ := pgType(schema.Field(i).Type)
		defs = append(defs, pgx.Identifier{s.cols[j]}.Sanitize()+" "+t)
	}
	if len(s.key) > 0 {
		defs = append(defs, "PRIMARY KEY ("+s.quoted(s.key)+")")
	}
	ddl := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s)", s.target, strings.Join(defs, ", "))
	if err := s.execLocked(ctx, ddl); err != nil {
		return s.errorf("creating table %s: %v", s.target, err)
	}
	return nil
}

// matchTable checks that the existing table oid has a column for every
// result column (by name; one that differs only in case is taken) and,
// when the sink upserts, a unique constraint on exactly the key columns.
func (s *Sink) matchTable(ctx context.Context, oid uint32) error {
	rows, err := s.conn.Query(ctx, "SELECT attname::text FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum", oid)
	if err != nil {
		return s.errorf("reading the columns of table %s: %v", s.target, err)
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return s.errorf("reading the columns of table %s: %v", s.target, err)
	}
	for j, c := range s.cols {
		if slices.Contains(have, c) {
			continue
		}
		var fold []string
		for _, h := range have {
			if strings.EqualFold(h, c) {
				fold = append(fold, h)
			}
		}
		if len(fold) != 1 {
			return s.errorf("table %s has no column %s (it has %s): add it, or write to another table",
				s.target, c, strings.Join(have, ", "))
		}
		s.cols[j] = fold[0]
	}
	if len(s.key) == 0 {
		return nil
	}
	rows, err = s.conn.Query(ctx, `SELECT array_agg(a.attname::text)
FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = $1 AND i.indisunique AND i.indpred IS NULL
GROUP BY i.indexrelid`, oid)
	if err != nil {
		return s.errorf("reading the unique constraints of table %s: %v", s.target, err)
	}
	uniques, err := pgx.CollectRows(rows, pgx.RowTo[[]string])
	if err != nil {
		return s.errorf("reading the unique constraints of table %s: %v", s.target, err)
	}
	want := make([]string, len(s.key))
	for i, k := range s.key {
		want[i] = s.cols[k]
	}
	slices.Sort(want)
	for _, u := range uniques {
		slices.Sort(u)
		if slices.Equal(u, want) {
			return nil
		}
	}
	return s.errorf("table %s has no PRIMARY KEY or UNIQUE constraint on exactly the key (%s), which upserts need: add one, or write to another table",
		s.target, strings.Join(want, ", "))
}

// checkPrivileges checks that the connecting role may insert into the
// table, and update and delete in it when the sink upserts.
func (s *Sink) checkPrivileges(ctx context.Context) error {
	need := []string{"INSERT"}
	if len(s.key) > 0 {
		need = append(need, "UPDATE", "SELECT")
		if s.op >= 0 {
			need = append(need, "DELETE")
		}
	}
	for _, p := range need {
		var ok bool
		if err := s.conn.QueryRow(ctx, "SELECT has_table_privilege($1, $2)", s.target, p).Scan(&ok); err != nil {
			return s.errorf("checking privileges on table %s: %v", s.target, err)
		}
		if !ok {
			return s.errorf("the role %s has no %s privilege on table %s: GRANT %s ON %s TO %s",
				s.cfg.User, p, s.target, p, s.target, s.cfg.User)
		}
	}
	return nil
}

// The temporary tables a keyed sink stages its changes in: rows to
// upsert, keys to delete.
const (
	stageTable    = "weir_stage"
	stageDelTable = "weir_stage_delete"
)

// statements builds the statements of a keyed sink: the temporary tables
// (created once per connection, emptied at each commit), the upsert and
// the delete from them.
func (s *Sink) statements() {
	if len(s.key) == 0 {
		return
	}
	all := make([]int, len(s.cols))
	var set []string
	for i := range s.cols {
		all[i] = i
		if !slices.Contains(s.key, i) {
			q := pgx.Identifier{s.cols[i]}.Sanitize()
			set = append(set, q+" = EXCLUDED."+q)
		}
	}
	cols, keys := s.quoted(all), s.quoted(s.key)
	s.stageDDL = fmt.Sprintf("CREATE TEMP TABLE IF NOT EXISTS %s ON COMMIT DELETE ROWS AS SELECT %s FROM %s WITH NO DATA; "+
		"CREATE TEMP TABLE IF NOT EXISTS %s ON COMMIT DELETE ROWS AS SELECT %s FROM %s WITH NO DATA",
		stageTable, cols, s.target, stageDelTable, keys, s.target)
	action := "DO NOTHING"
	if len(set) > 0 {
		action = "DO UPDATE SET " + strings.Join(set, ", ")
	}
	s.upsert = fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s ON CONFLICT (%s) %s",
		s.target, cols, cols, stageTable, keys, action)
	where := make([]string, len(s.key))
	for i, k := range s.key {
		q := pgx.Identifier{s.cols[k]}.Sanitize()
		where[i] = fmt.Sprintf("t.%s = d.%s", q, q)
	}
	s.del = fmt.Sprintf("DELETE FROM %s AS t USING %s AS d WHERE %s", s.target, stageDelTable, strings.Join(where, " AND "))
}

// quoted lists the columns at idx, quoted, comma-separated.
func (s *Sink) quoted(idx []int) string {
	q := make([]string, len(idx))
	for i, j := range idx {
		q[i] = pgx.Identifier{s.cols[j]}.Sanitize()
	}
	return strings.Join(q, ", ")
}

// querier is what the sink runs statements on: a connection or a
// transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// readProgress returns the sink's last applied checkpoint, 0 if none.
func (s *Sink) readProgress(ctx context.Context, q querier) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, "SELECT epoch FROM "+s.progress+" WHERE sink = $1", s.opts.progressKey).Scan(&n)
	if err == pgx.ErrNoRows {
		return 0, nil
	}
	return n, err
}

// ddlLock is the advisory lock the sinks take while they create tables.
const ddlLock = 0x77656972 // "weir"

// execLocked runs a CREATE ... IF NOT EXISTS in a transaction that holds
// an advisory lock: IF NOT EXISTS is not safe in PostgreSQL when several
// sessions create one table at once (the tasks of a query split by
// partition start together), one of them then fails on a duplicate key.
func (s *Sink) execLocked(ctx context.Context, ddl string) error {
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", ddlLock); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, ddl); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
