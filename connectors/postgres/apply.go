package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/weirdb/weir/vector"
)

// batchIter yields batches until io.EOF; a batch is valid until the next
// call and is not the caller's to release.
type batchIter func() (arrow.RecordBatch, error)

// sliceIter yields the batches of bs.
func sliceIter(bs []arrow.RecordBatch) batchIter {
	i := 0
	return func() (arrow.RecordBatch, error) {
		if i == len(bs) {
			return nil, io.EOF
		}
		i++
		return bs[i-1], nil
	}
}

// apply writes the rows of next in tx: with COPY when the sink only
// inserts, else as upserts and deletes by key, the last change of each
// key only, as Flink's JDBC sink does: +I and +U upsert, -D and -U delete
// (the +U after a -U of the same key overwrites its delete; a -U whose
// +U has another key deletes the old row).
func (s *Sink) apply(ctx context.Context, tx pgx.Tx, next batchIter) error {
	if len(s.key) == 0 {
		_, err := tx.CopyFrom(ctx, s.opts.table, s.cols, &copySource{s: s, next: next})
		return err
	}
	type change struct {
		vals []any
		del  bool
	}
	changes := map[string]*change{}
	var order []string
	keyVals := make([]any, len(s.key))
	for {
		b, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		var ops []int8
		if s.op >= 0 {
			a, ok := b.Column(s.op).(*array.Int8)
			if !ok {
				return fmt.Errorf("the row-kind column is %s, want int8", b.Column(s.op).DataType())
			}
			ops = a.Int8Values()
		}
		for r := 0; r < int(b.NumRows()); r++ {
			kind := vector.Insert
			if ops != nil {
				kind = vector.RowKind(ops[r])
			}
			vals := s.row(b, r)
			for i, k := range s.key {
				keyVals[i] = vals[k]
			}
			ks := keyString(keyVals)
			c, ok := changes[ks]
			if !ok {
				c = &change{}
				changes[ks] = c
				order = append(order, ks)
			}
			c.vals, c.del = vals, kind.Retracts()
		}
	}
	var ups, dels [][]any
	for _, ks := range order {
		c := changes[ks]
		if !c.del {
			ups = append(ups, c.vals)
			continue
		}
		k := make([]any, len(s.key))
		for i, j := range s.key {
			k[i] = c.vals[j]
		}
		dels = append(dels, k)
	}
	return s.applyChanges(ctx, tx, ups, dels)
}

// applyChanges upserts the rows ups and deletes the keys dels (at most
// one change per key in all) in tx, in a few round trips whatever their
// number: each set is copied into a temporary table of the connection's
// (emptied at commit), then merged into the target by one statement.
func (s *Sink) applyChanges(ctx context.Context, tx pgx.Tx, ups, dels [][]any) error {
	if len(ups) == 0 && len(dels) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, s.stageDDL); err != nil {
		return err
	}
	if len(ups) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{stageTable}, s.cols, pgx.CopyFromRows(ups)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, s.upsert); err != nil {
			return err
		}
	}
	if len(dels) > 0 {
		keyCols := make([]string, len(s.key))
		for i, j := range s.key {
			keyCols[i] = s.cols[j]
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{stageDelTable}, keyCols, pgx.CopyFromRows(dels)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, s.del); err != nil {
			return err
		}
	}
	return nil
}

// row reads the written columns of row r of b.
func (s *Sink) row(b arrow.RecordBatch, r int) []any {
	vals := make([]any, len(s.data))
	for j, i := range s.data {
		vals[j] = s.getters[j](b.Column(i), r)
	}
	return vals
}

// copySource feeds COPY the rows of a batchIter.
type copySource struct {
	s    *Sink
	next batchIter
	cur  arrow.RecordBatch
	r    int
	err  error
}

func (c *copySource) Next() bool {
	for c.cur == nil || c.r+1 >= int(c.cur.NumRows()) {
		b, err := c.next()
		if err != nil {
			if err != io.EOF {
				c.err = err
			}
			return false
		}
		c.cur, c.r = b, -1
	}
	c.r++
	return true
}

func (c *copySource) Values() ([]any, error) { return c.s.row(c.cur, c.r), nil }

func (c *copySource) Err() error { return c.err }

// Retries of a failed connection: maxAttempts attempts in all, the first
// wait firstRetry, doubling up to maxRetryWait (about 10 s in all).
var (
	maxAttempts  = 5
	firstRetry   = 500 * time.Millisecond
	maxRetryWait = 4 * time.Second
)

// retry runs f on a connection, reconnecting and running it again, with
// exponential backoff, when the connection failed; each retry is logged.
// An error of the statement itself (a constraint, a privilege) is not
// retried. what says what f does, for messages.
func (s *Sink) retry(what string, f func(ctx context.Context, conn *pgx.Conn) error) error {
	wait := firstRetry
	ctx := context.Background()
	for attempt := 1; ; attempt++ {
		var err error
		if s.conn == nil {
			cctx, cancel := context.WithTimeout(ctx, 4*connectTimeout)
			s.conn, err = pgx.ConnectConfig(cctx, s.cfg)
			cancel()
			if err != nil {
				s.conn = nil
			}
		}
		if err == nil {
			err = f(ctx, s.conn)
		}
		if err == nil {
			return nil
		}
		transient := connectionError(err)
		if transient && s.conn != nil {
			s.conn.Close(ctx)
			s.conn = nil
		}
		err = redact(err, s.opts.dsn)
		if !transient {
			return s.errorf("%s: %v", what, err)
		}
		if attempt >= maxAttempts {
			return s.errorf("%s: PostgreSQL unreachable after %d attempts: %v", what, attempt, err)
		}
		s.log.Warn(fmt.Sprintf("table %s: postgres sink: %s failed (%v); retry %d of %d in %s",
			s.table, what, err, attempt, maxAttempts-1, wait))
		time.Sleep(wait)
		wait = min(2*wait, maxRetryWait)
	}
}

// connectionError reports whether err is a lost or refused connection (or
// the server shutting down), worth trying again on a new connection.
func connectionError(err error) bool {
	var se spillError
	if errors.As(err, &se) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P01", "57P02", "57P03", "40001", "40P01": // shutdown, cannot connect now, serialization, deadlock
			return true
		}
		return len(pe.Code) >= 2 && pe.Code[:2] == "08" // connection exception
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) || isClosedConn(err)
}

// isClosedConn reports pgx's errors for a connection that broke or is
// already closed.
func isClosedConn(err error) bool {
	msg := err.Error()
	for _, m := range []string{"conn closed", "unexpected EOF", "connection reset", "broken pipe"} {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}
