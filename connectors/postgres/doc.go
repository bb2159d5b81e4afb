// Package postgres is the "postgres" sink connector: it writes a query's
// result to a PostgreSQL table, on github.com/jackc/pgx/v5.
//
// Options (Config declares them):
//
//	dsn           the server and database, a libpq URL
//	              ('postgres://user:pw@host:5432/db') or key=value string
//	              (required)
//	table         the target table, 'name' or 'schema.name' (default the
//	              sink table's name), read as PostgreSQL reads a name:
//	              lower-cased unless in double quotes
//	create        'true' (default): create the table if it is missing
//	progress_key  the sink's row in weir_sink_progress (default
//	              '<query>/<sink table>')
//
// The table. A missing table is created with one column per result
// column (BIGINT, INTEGER, SMALLINT, DOUBLE PRECISION, REAL, TEXT,
// BOOLEAN, TIMESTAMP without time zone holding UTC times, DATE, BYTEA,
// NUMERIC) and, when the result has a key, a PRIMARY KEY on it. An
// existing table must have a column of each result column's name (one
// that differs only in case will do) and, for upserts, a PRIMARY KEY or
// UNIQUE constraint on exactly the key columns; else the sink fails at
// start with a line saying what is missing. So do a bad DSN, an
// unreachable server (after a 5 s connect timeout), a failed login and a
// missing INSERT (UPDATE, DELETE, SELECT for upserts) privilege; messages
// never show the password.
//
// Rows. The key is connectors.SinkSpec.Key: the sink table's PRIMARY KEY
// (...) NOT ENFORCED, or the query's window bounds and GROUP BY columns.
// Without a key, rows are inserted with COPY. With one, each row is an
// upsert (INSERT ... ON CONFLICT (key) DO UPDATE SET ...): the rows of a
// transaction are copied into a temporary table (weir_stage, and
// weir_stage_delete for deletes; ON COMMIT DELETE ROWS) and merged into
// the target by one INSERT ... SELECT and one DELETE ... USING. An updating
// result (a changelog, vector.IsChangelog) needs a key: +I and +U rows
// are upserted, -D and -U rows deleted by key; without a key it is
// refused at start. Of the changes to one key in a transaction only the
// last is sent, as Flink's JDBC sink does, so the +U that follows a -U
// of the same key overwrites it and no delete is sent.
//
// Exactly once. When the query checkpoints, Write appends rows to a spill
// file in the sink's state directory (spill-<N>.arrow, an Arrow IPC
// stream) and nothing reaches the table; Checkpoint fsyncs the file and
// returns JSON {"n":N,"file":...,"size":...}, N the sink's own checkpoint
// count. CheckpointComplete then writes the file's rows in one
// transaction that also sets the sink's row of
// weir_sink_progress(sink TEXT PRIMARY KEY, epoch BIGINT) (created beside
// the target table) to N, and removes the file. Restore, after a crash,
// writes spill N in the same way if the progress row is below N, removes
// later spill files (their rows will be computed again) and counts on
// from N; a transaction whose N is already recorded writes nothing. So a
// crash at any moment neither loses nor doubles a row. A sink that starts
// without a checkpoint counts on from its progress row. Without
// checkpoints each Commit writes its micro-batch's rows in one
// transaction (at least once: a crash during a commit writes the batch
// again on replay). Guarantee says which.
//
// A connection that fails while the query runs is opened again, with
// backoff (5 attempts over about 8 s, each retry logged on slog's default
// logger), before the query fails.
//
// The command registers the connector explicitly:
//
//	reg.RegisterSink("postgres", postgres.NewSink, postgres.Config())
package postgres
