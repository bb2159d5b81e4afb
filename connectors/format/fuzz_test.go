package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fuzzDecode decodes input whole and in chunks with limits, checks that
// they agree and that nothing leaks, and returns the whole-input result.
func fuzzDecode(t *testing.T, format string, opts map[string]string, cols []string, input []byte) decodeResult {
	schema := schemaOf(cols...)
	var first *decodeResult
	// Chunks grow with the input: drive copies the carried tail each time.
	chunk := max(1+len(input)%13, len(input)/16)
	for _, c := range []struct{ chunk, limit int }{{len(input) + 1, 0}, {chunk, 0}, {chunk, 2}, {max(1, len(input)/64), 1}} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		dec, err := NewDecoder(format, schema, opts, mem)
		if err != nil {
			t.Fatal(err)
		}
		res := drive(t, dec, input, c.chunk, c.limit)
		dec.Release()
		mem.AssertSize(t, 0)
		if first == nil {
			first = &res
			continue
		}
		if fmt.Sprint(res.rows, res.bad, res.err) != fmt.Sprint(first.rows, first.bad, first.err) {
			t.Fatalf("chunk %d limit %d:\n%q %q %v\nwhole:\n%q %q %v", c.chunk, c.limit,
				res.rows, res.bad, res.err, first.rows, first.bad, first.err)
		}
	}
	return *first
}

// refCSVRecords counts the records of input by the grammar documented on
// csvDecoder, one byte at a time.
func refCSVRecords(data []byte, delim byte) int {
	data = bytes.TrimPrefix(data, utf8BOM)
	n, p := 0, 0
	for p < len(data) {
		if data[p] == '\n' {
			p++
			continue
		}
		if data[p] == '\r' && (p+1 == len(data) || data[p+1] == '\n') {
			p++
			continue
		}
		n++
	record:
		for {
			if p < len(data) && data[p] == '"' {
				p++
				for {
					if p >= len(data) {
						return n
					}
					if data[p] == '"' {
						if p+1 < len(data) && data[p+1] == '"' {
							p += 2
							continue
						}
						p++
						break
					}
					p++
				}
				switch {
				case p == len(data):
					return n
				case data[p] == delim:
					p++
					continue
				case data[p] == '\n':
					p++
					break record
				case data[p] == '\r' && (p+1 == len(data) || data[p+1] == '\n'):
					p += 2
					break record
				}
				for p < len(data) && data[p] != '\n' {
					p++
				}
				p++
				break record
			}
			for p < len(data) && data[p] != delim && data[p] != '\n' {
				p++
			}
			if p < len(data) && data[p] == delim {
				p++
				continue
			}
			p++
			break record
		}
	}
	return n
}

func FuzzCSVDecode(f *testing.F) {
	for _, s := range []string{
		"id,x,name,ok,ts\n1,2.5,alice,true,2024-01-01 00:00:05\n",
		"1,\"a\nb\",t,2024-01-01T00:00:05Z\r\n2,\"x\"\"y\",,\n",
		"\"unterminated\n1,2\n",
		"a,\"b\"c,d\n\n\r\n,,,,\n",
		"\xEF\xBB\xBF1;2;3\n",
		"99999999999999999999,NaN,,maybe,1704067205000",
	} {
		f.Add(false, byte(','), []byte(s))
		f.Add(true, byte(','), []byte(s))
	}
	f.Add(false, byte(';'), []byte("1;2;\"3;4\"\n"))
	cols := []string{"id BIGINT", "x DOUBLE", "name VARCHAR", "ok BOOLEAN", "ts TIMESTAMP"}
	f.Fuzz(func(t *testing.T, header bool, delim byte, input []byte) {
		opts := map[string]string{"header": fmt.Sprint(header), "delimiter": string([]byte{delim})}
		if _, err := delimiterOption(opts); err != nil || delim == '\t' {
			return
		}
		res := fuzzDecode(t, "csv", opts, cols, input)
		if res.err != nil {
			if !header {
				t.Fatalf("fatal error without a header: %v", res.err)
			}
			return
		}
		want := refCSVRecords(input, delim)
		if header && want > 0 {
			want-- // the header
		}
		if got := len(res.rows) + len(res.bad); got != want {
			t.Fatalf("%d rows + %d bad = %d, want %d records", len(res.rows), len(res.bad), got, want)
		}
	})
}

func FuzzJSONDecode(f *testing.F) {
	for _, s := range []string{
		`{"a": "x", "b": 1, "c": {"d": [1, 2.5e-3, true, null]}}` + "\n",
		`{"A":"\u00e9\ud83d\ude00\n","b":-0.0}` + "\r\n\n" + `{"a":1,"a":2}`,
		`{"a": "x"` + "\n" + `[1]` + "\n" + `{"a":"\x"}`,
		`{"a": 01}` + "\n" + `{"a": 1.}` + "\n" + `{} {}`,
		"\xEF\xBB\xBF{\"b\": \"" + strings.Repeat("[", 2000) + "\"}",
		strings.Repeat("[", 2000),
	} {
		f.Add([]byte(s))
	}
	cols := []string{"a VARCHAR", "b VARCHAR", "c VARCHAR"}
	f.Fuzz(func(t *testing.T, input []byte) {
		// invalid_utf8 = 'keep': encoding/json lets bad bytes in strings
		// pass too (the UTF-8 checks have tests of their own).
		res := fuzzDecode(t, "json", map[string]string{"invalid_utf8": "keep"}, cols, input)
		if res.err != nil {
			t.Fatal(res.err)
		}
		// With VARCHAR columns every JSON value is accepted, so a line is
		// good exactly when encoding/json finds it a valid object.
		body := bytes.TrimPrefix(input, utf8BOM)
		var good, bad int
		for _, line := range bytes.Split(body, []byte("\n")) {
			line = trimCR(line)
			if isBlank(line) {
				continue
			}
			if json.Valid(line) && bytes.TrimLeft(line, " \t\r")[0] == '{' && !tooDeep(line) {
				good++
			} else {
				bad++
			}
		}
		if len(res.rows) != good || len(res.bad) != bad {
			t.Fatalf("%d rows, %d bad; want %d, %d (bad: %q)", len(res.rows), len(res.bad), good, bad, res.bad)
		}
	})
}

// tooDeep reports whether line nests brackets deeper than maxJSONDepth,
// counting outside strings only roughly (good enough for valid JSON).
func tooDeep(line []byte) bool {
	depth, inStr, esc := 0, false, false
	for _, c := range line {
		switch {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '{' || c == '[':
			depth++
			if depth > maxJSONDepth+1 {
				return true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return false
}

func FuzzTextDecode(f *testing.F) {
	for _, s := range []string{"a\nb\n", "\r\n\n", "x\r", "\xEF\xBB\xBFbom\nline", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		res := fuzzDecode(t, "text", nil, []string{"line VARCHAR"}, input)
		body := bytes.TrimPrefix(input, utf8BOM)
		var want []string
		if len(body) > 0 {
			for _, l := range strings.SplitAfter(string(body), "\n") {
				if l == "" {
					continue
				}
				l = strings.TrimSuffix(l, "\n")
				want = append(want, fmt.Sprintf("%q", strings.TrimSuffix(l, "\r")))
			}
		}
		if fmt.Sprint(res.rows) != fmt.Sprint(want) || len(res.bad) != 0 || res.err != nil {
			t.Fatalf("rows %q, want %q", res.rows, want)
		}
	})
}

func FuzzDebeziumDecode(f *testing.F) {
	for _, s := range []string{
		`{"before":null,"after":{"a":"x","b":1},"op":"c"}` + "\n",
		`{"before":{"a":"x"},"after":{"a":"y","c":{"d":[1,null]}},"op":"u","source":{}}` + "\r\n\n" + `{"before":{"a":1},"op":"d"}`,
		`{"schema":{},"payload":{"after":{"a":"\u00e9"},"op":"r"}}` + "\n" + `{"payload":{"payload":{"op":"c"}}}`,
		`{"after":null,"op":"u"}` + "\n" + `{"op":"\x"}` + "\n" + `[1]`,
		"\xEF\xBB\xBF{\"after\": {\"b\": \"" + strings.Repeat("[", 2000) + "\"}, \"op\": \"c\"}",
	} {
		f.Add([]byte(s))
	}
	cols := []string{"a VARCHAR", "b VARCHAR", "c VARCHAR"}
	f.Fuzz(func(t *testing.T, input []byte) {
		res := fuzzDecode(t, "debezium-json", map[string]string{"invalid_utf8": "keep"}, cols, input)
		if res.err != nil {
			t.Fatal(res.err)
		}
		// Each record that is not blank is bad or makes one or two rows.
		var records int
		for _, line := range bytes.Split(bytes.TrimPrefix(input, utf8BOM), []byte("\n")) {
			if !isBlank(trimCR(line)) {
				records++
			}
		}
		good := records - len(res.bad)
		if good < 0 || len(res.rows) < good || len(res.rows) > 2*good {
			t.Fatalf("%d records, %d bad, %d rows", records, len(res.bad), len(res.rows))
		}
	})
}
