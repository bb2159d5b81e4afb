package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/mattn/go-isatty"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/weirdb/weir/connectors"
)

// outputFormat resolves --format: table on a terminal, jsonl otherwise.
func outputFormat(flag string, w io.Writer) (string, error) {
	switch flag {
	case "table", "csv", "jsonl":
		return flag, nil
	case "json":
		return "jsonl", nil
	case "":
		if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			return "table", nil
		}
		return "jsonl", nil
	}
	return "", fmt.Errorf("unknown --format %q: use table, csv or jsonl", flag)
}

func renderTable(w io.Writer, header []string, rows [][]string) error {
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	)
	t.Header(header)
	for _, r := range rows {
		if err := t.Append(r); err != nil {
			return err
		}
	}
	return t.Render()
}

// printRows prints a small text table (SHOW, DESCRIBE, EXPLAIN).
func printRows(w io.Writer, fmtName string, columns []string, rows [][]string) error {
	var buf bytes.Buffer
	switch {
	case fmtName == "table" && len(columns) == 1 && columns[0] == "plan":
		for _, r := range rows { // EXPLAIN reads best as plain indented text
			buf.WriteString(r[0] + "\n")
		}
	case fmtName == "table":
		if err := renderTable(&buf, columns, rows); err != nil {
			return err
		}
	case fmtName == "csv":
		for i, c := range columns {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(csvQuote(c))
		}
		buf.WriteByte('\n')
		for _, r := range rows {
			for i, c := range r {
				if i > 0 {
					buf.WriteByte(',')
				}
				buf.WriteString(csvQuote(c))
			}
			buf.WriteByte('\n')
		}
	default:
		for _, r := range rows {
			buf.WriteByte('{')
			for i, c := range r {
				if i > 0 {
					buf.WriteByte(',')
				}
				buf.WriteString(strconv.Quote(columns[i]) + ":" + strconv.Quote(c))
			}
			buf.WriteString("}\n")
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func csvQuote(s string) string {
	if !bytes.ContainsAny([]byte(s), ",\"\n\r") {
		return s
	}
	return `"` + string(bytes.ReplaceAll([]byte(s), []byte(`"`), []byte(`""`))) + `"`
}

// cell renders one value for a console table.
func cell(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	switch a := a.(type) {
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Float64:
		return strconv.FormatFloat(a.Value(i), 'g', -1, 64)
	case *array.String:
		return a.Value(i)
	case *array.Boolean:
		return strconv.FormatBool(a.Value(i))
	case *array.Timestamp:
		return time.UnixMilli(int64(a.Value(i))).UTC().Format("2006-01-02 15:04:05.000")
	}
	return a.ValueStr(i)
}

// badRowReporter prints the first bad rows of each table and counts all.
type badRowReporter struct {
	mu     sync.Mutex
	w      io.Writer
	counts map[string]int64
	order  []string
}

const badRowsShown = 10

func newBadRowReporter(w io.Writer) *badRowReporter {
	return &badRowReporter{w: w, counts: map[string]int64{}}
}

func (r *badRowReporter) report(b connectors.BadRow) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.counts[b.Table]; !ok {
		r.order = append(r.order, b.Table)
	}
	r.counts[b.Table]++
	if n := r.counts[b.Table]; n <= badRowsShown {
		fmt.Fprintf(r.w, "weir: warning: table %s: skipped bad row at %s: %v\n", b.Table, b.Position, b.Err)
		if n == badRowsShown {
			fmt.Fprintf(r.w, "weir: warning: table %s: further bad rows are counted, not shown\n", b.Table)
		}
	}
	return nil
}

func (r *badRowReporter) summary() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.order {
		fmt.Fprintf(r.w, "weir: table %s: %d bad rows skipped\n", t, r.counts[t])
	}
}
