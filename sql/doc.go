// Package sql parses Weir's SQL dialect.
//
// Parsing is done by TiDB's MySQL parser (github.com/pingcap/tidb/pkg/parser).
// The streaming forms it rejects are bridged by a small rewrite that works
// on tokens of Weir's own tokenizer, never on regular expressions over text:
//
//   - CREATE TABLE ... (cols, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
//     WITH (connector = 'file', path = 'x.csv'): the WATERMARK item and the
//     WITH clause are removed and recorded in Statement.Watermark and
//     Statement.With.
//   - INTERVAL '5' SECOND, INTERVAL 5 SECOND and INTERVAL '5 seconds' as an
//     argument of a call such as TUMBLE or HOP become the string '5 SECOND'
//     (read back with ParseInterval). Elsewhere MySQL's INTERVAL is kept,
//     and spellings TiDB lacks (MILLISECOND, plural units, INTERVAL '5s')
//     become the equivalent INTERVAL n MICROSECOND/SECOND/....
//   - Type names of Flink SQL, Spark and PostgreSQL become MySQL's: in
//     CREATE TABLE columns STRING and VARCHAR without a length become
//     TEXT, TIMESTAMP_LTZ(3) and TIMESTAMP(3) WITH LOCAL TIME ZONE become
//     TIMESTAMP(3); in CAST(x AS t) and CONVERT(x, t) integer types
//     become SIGNED, VARCHAR/STRING/TEXT become CHAR and TIMESTAMP[(p)]
//     becomes DATETIME(3). CAST(x AS BOOLEAN), which TiDB cannot
//     express, becomes the call CAST_BOOLEAN(x): the planner must
//     handle the function named by CastBoolean.
//   - SHOW QUERIES and STOP QUERY n are parsed by Weir itself
//     (Statement.Command and Statement.Args, with a nil Node), and so are
//     CREATE FUNCTION, DROP FUNCTION and SHOW FUNCTIONS
//     (Statement.Function; see function.go).
//
// Every rewrite keeps an offset map, so each error, whether found by the
// tokenizer, the rewrite or TiDB, is reported as an *Error at the line and
// column of the text the user wrote, with the offending text underlined
// by Error.Pretty. Later stages position their own errors with ErrorAt and
// Statement.Locate.
package sql
