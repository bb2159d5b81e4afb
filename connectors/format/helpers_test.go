package format

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// Weir's column types, as in package vector (not imported, so these tests
// do not depend on it).
var (
	tInt64     arrow.DataType = arrow.PrimitiveTypes.Int64
	tFloat64   arrow.DataType = arrow.PrimitiveTypes.Float64
	tString    arrow.DataType = arrow.BinaryTypes.String
	tBoolean   arrow.DataType = arrow.FixedWidthTypes.Boolean
	tTimestamp arrow.DataType = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
)

// schemaOf builds a schema from "name type" pairs, types as in SQL.
func schemaOf(cols ...string) *arrow.Schema {
	var fields []arrow.Field
	for _, c := range cols {
		name, typ, _ := strings.Cut(c, " ")
		var dt arrow.DataType
		switch typ {
		case "BIGINT":
			dt = tInt64
		case "DOUBLE":
			dt = tFloat64
		case "VARCHAR":
			dt = tString
		case "BOOLEAN":
			dt = tBoolean
		case "TIMESTAMP":
			dt = tTimestamp
		default:
			panic(typ)
		}
		fields = append(fields, arrow.Field{Name: name, Type: dt, Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}

// renderBatch renders each row of batch as "v1|v2|...", NULL as NULL,
// strings quoted, timestamps as FormatTimestamp.
func renderBatch(batch arrow.RecordBatch) []string {
	var rows []string
	for r := 0; r < int(batch.NumRows()); r++ {
		var parts []string
		for c := 0; c < int(batch.NumCols()); c++ {
			col := batch.Column(c)
			if col.IsNull(r) {
				parts = append(parts, "NULL")
				continue
			}
			switch a := col.(type) {
			case *array.Int64:
				parts = append(parts, strconv.FormatInt(a.Value(r), 10))
			case *array.Float64:
				parts = append(parts, strconv.FormatFloat(a.Value(r), 'g', -1, 64))
			case *array.String:
				parts = append(parts, strconv.Quote(a.Value(r)))
			case *array.Boolean:
				parts = append(parts, strconv.FormatBool(a.Value(r)))
			case *array.Timestamp:
				parts = append(parts, FormatTimestamp(int64(a.Value(r))))
			case *array.Int8: // a changelog's op column
				parts = append(parts, vector.RowKind(a.Value(r)).String())
			default:
				panic(col.DataType())
			}
		}
		rows = append(rows, strings.Join(parts, "|"))
	}
	return rows
}

// decodeResult is what driving a decoder over an input produced.
type decodeResult struct {
	rows    []string
	bad     []string // "line: error"
	batches int
	err     error
}

// drive feeds input to dec the way a source does: in chunks of chunk bytes
// (each a fresh copy, so nothing may alias an old chunk), carrying the
// unconsumed tail over, flushing when the decoder is full, at most limit
// rows per batch.
func drive(t testing.TB, dec Decoder, input []byte, chunk, limit int) decodeResult {
	var res decodeResult
	bad := func(r BadRecord) error {
		res.bad = append(res.bad, fmt.Sprintf("%d: %v", r.Line, r.Err))
		return nil
	}
	take := func() {
		b := dec.Flush()
		if b == nil {
			return
		}
		defer b.Release()
		// (A changelog's update is two rows that a limit of 1 keeps together.)
		if limit > 0 && b.NumRows() > int64(limit) && !(limit == 1 && b.NumRows() == 2 && vector.IsChangelog(b.Schema())) {
			t.Fatalf("batch of %d rows, limit %d", b.NumRows(), limit)
		}
		if b.NumRows() == 0 {
			t.Fatalf("Flush returned an empty batch")
		}
		res.batches++
		res.rows = append(res.rows, renderBatch(b)...)
	}
	var buf []byte
	pos := 0
	for {
		eof := pos >= len(input)
		n, full, err := dec.Decode(buf, limit, eof, bad)
		if n < 0 || n > len(buf) {
			t.Fatalf("Decode consumed %d of %d bytes", n, len(buf))
		}
		buf = buf[n:]
		if err != nil {
			res.err = err
			take()
			return res
		}
		if full {
			if dec.Rows() == 0 {
				t.Fatalf("full with no rows")
			}
			take()
			continue
		}
		if eof {
			if len(buf) != 0 {
				t.Fatalf("%d bytes left at EOF", len(buf))
			}
			take()
			return res
		}
		end := min(pos+chunk, len(input))
		nb := make([]byte, 0, len(buf)+end-pos)
		nb = append(append(nb, buf...), input[pos:end]...)
		buf = nb
		pos = end
	}
}

// decodeAll decodes input with every combination of chunk sizes and limits
// and checks that they agree; it returns the result of one of them.
func decodeAll(t testing.TB, format string, schema *arrow.Schema, opts map[string]string, input string) decodeResult {
	t.Helper()
	var first *decodeResult
	for _, chunk := range []int{1 << 20, 1, 2, 3, 7, 64} {
		for _, limit := range []int{0, 1, 3, 1024} {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			dec, err := NewDecoder(format, schema, opts, mem)
			if err != nil {
				t.Fatal(err)
			}
			res := drive(t, dec, []byte(input), chunk, limit)
			dec.Release()
			mem.AssertSize(t, 0)
			if first == nil {
				first = &res
				continue
			}
			if fmt.Sprint(res.rows) != fmt.Sprint(first.rows) || fmt.Sprint(res.bad) != fmt.Sprint(first.bad) ||
				fmt.Sprint(res.err) != fmt.Sprint(first.err) {
				t.Fatalf("chunk %d limit %d:\nrows %q\nbad %q\nerr %v\nwant\nrows %q\nbad %q\nerr %v",
					chunk, limit, res.rows, res.bad, res.err, first.rows, first.bad, first.err)
			}
		}
	}
	return *first
}

// checkResult compares a decode result with the expected rows, bad records
// ("line: error" prefixes) and fatal error substring.
func checkResult(t *testing.T, res decodeResult, rows, bad []string, errSub string) {
	t.Helper()
	if strings.Join(res.rows, "\n") != strings.Join(rows, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(res.rows, "\n"), strings.Join(rows, "\n"))
	}
	if len(res.bad) != len(bad) {
		t.Errorf("bad records %q, want %q", res.bad, bad)
	} else {
		for i := range bad {
			if !strings.HasPrefix(res.bad[i], bad[i]) {
				t.Errorf("bad record %d = %q, want prefix %q", i, res.bad[i], bad[i])
			}
		}
	}
	switch {
	case errSub == "" && res.err != nil:
		t.Errorf("error %v", res.err)
	case errSub != "" && (res.err == nil || !strings.Contains(res.err.Error(), errSub)):
		t.Errorf("error %v, want one containing %q", res.err, errSub)
	}
}
