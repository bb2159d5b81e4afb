package format

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestCSVDecoder(t *testing.T) {
	all := schemaOf("id BIGINT", "x DOUBLE", "name VARCHAR", "ok BOOLEAN", "ts TIMESTAMP")
	noHeader := map[string]string{"header": "false"}
	tests := []struct {
		name   string
		schema []string // nil: all
		opts   map[string]string
		input  string
		rows   []string
		bad    []string
		err    string
	}{
		{
			name: "all types",
			input: "id,x,name,ok,ts\n" +
				"1,2.5,alice,true,2024-01-01 00:00:05\n" +
				"-7,1e3,\"b,ob\",F,2024-01-01T00:00:05.123Z\n" +
				"+3,-0.25,\"say \"\"hi\"\"\",yes,2024-01-01T02:00:05.1234567+02:00\n" +
				"4,NaN,x,0,2024-02-29\n" +
				"5, 6 ,  padded  , no ,1704067205000\n",
			rows: []string{
				`1|2.5|"alice"|true|2024-01-01T00:00:05.000Z`,
				`-7|1000|"b,ob"|false|2024-01-01T00:00:05.123Z`,
				`3|-0.25|"say \"hi\""|true|2024-01-01T00:00:05.123Z`,
				`4|NaN|"x"|false|2024-02-29T00:00:00.000Z`,
				`5|6|"  padded  "|false|2024-01-01T00:00:05.000Z`,
			},
		},
		{
			name: "nulls",
			input: "id,x,name,ok,ts\n" +
				",,,,\n" +
				"\"\",\"\",\"\",\"\",\"\"\n" +
				"1,,\"\",,\n",
			rows: []string{
				`NULL|NULL|NULL|NULL|NULL`,
				`NULL|NULL|""|NULL|NULL`,
				`1|NULL|""|NULL|NULL`,
			},
		},
		{
			name:   "header by name, reordered, missing and extra columns, any case",
			schema: []string{"id BIGINT", "name VARCHAR", "ts TIMESTAMP"},
			input:  "extra,NAME, Id \nz,bob,2\ny,carol,3\n",
			rows:   []string{`2|"bob"|NULL`, `3|"carol"|NULL`},
		},
		{
			name:   "no header: by position",
			schema: []string{"id BIGINT", "name VARCHAR"},
			opts:   noHeader,
			input:  "1,a\n2,b",
			rows:   []string{`1|"a"`, `2|"b"`},
		},
		{
			name:   "quoted newlines",
			schema: []string{"id BIGINT", "name VARCHAR"},
			input:  "id,name\n1,\"two\nlines\"\n2,\"crlf\r\ninside\"\r\n3,x\n4,oops\n",
			rows:   []string{`1|"two\nlines"`, `2|"crlf\r\ninside"`, `3|"x"`, `4|"oops"`},
		},
		{
			name:   "bad rows with line numbers",
			schema: []string{"id BIGINT", "name VARCHAR", "ts TIMESTAMP"},
			input: "id,name,ts\n" + // 1
				"1,\"multi\nline\",2024-01-01\n" + // 2-3
				"abc,x,\n" + // 4: bad number
				"2,y\n" + // 5: short
				"3,z,,extra\n" + // 6: long
				"4,w,2024-13-01\n" + // 7: bad timestamp
				"99999999999999999999,v,\n" + // 8: overflow
				"1.5,u,\n" + // 9: not an integer
				"5,\"q\"x,\n" + // 10: text after quote
				"6,ok,\n" + // 11
				"7,\"never closed\n8,t,\n", // 12-13: unterminated
			rows: []string{`1|"multi\nline"|2024-01-01T00:00:00.000Z`, `6|"ok"|NULL`},
			bad: []string{
				`4: column id: invalid BIGINT "abc"`,
				`5: expected 3 fields, got 2`,
				`6: expected 3 fields, got 4`,
				`7: column ts: invalid TIMESTAMP "2024-13-01"`,
				`8: column id: invalid BIGINT "99999999999999999999": out of range`,
				`9: column id: invalid BIGINT "1.5"`,
				`10: unexpected "x" after closing quote`,
				`12: unterminated quoted field`,
			},
		},
		{
			name:   "bad boolean and double",
			schema: []string{"ok BOOLEAN", "x DOUBLE"},
			opts:   noHeader,
			input:  "maybe,1\ntrue,abc\ntrue,1e999\n",
			bad: []string{
				`1: column ok: invalid BOOLEAN "maybe"`,
				`2: column x: invalid DOUBLE "abc"`,
				`3: column x: invalid DOUBLE "1e999": out of range`,
			},
		},
		{
			name:   "CRLF, blank lines, BOM, no final newline",
			schema: []string{"id BIGINT", "name VARCHAR"},
			input:  "\xEF\xBB\xBFid,name\r\n\r\n1,a\r\n\n2,\"b\"\r\n3,c\r",
			rows:   []string{`1|"a"`, `2|"b"`, `3|"c"`},
		},
		{
			name:   "tab delimiter",
			schema: []string{"id BIGINT", "name VARCHAR"},
			opts:   map[string]string{"delimiter": `\t`},
			input:  "id\tname\n1\ta,b\n",
			rows:   []string{`1|"a,b"`},
		},
		{
			name:   "semicolon delimiter",
			schema: []string{"id BIGINT", "name VARCHAR"},
			opts:   map[string]string{"delimiter": ";", "header": "FALSE"},
			input:  "1;\"a;b\"\n",
			rows:   []string{`1|"a;b"`},
		},
		{
			name:   "bare quotes inside unquoted fields are kept",
			schema: []string{"name VARCHAR"},
			opts:   noHeader,
			input:  "5\" screen\n",
			rows:   []string{`"5\" screen"`},
		},
		{
			name:   "header that names no column",
			schema: []string{"id BIGINT", "name VARCHAR"},
			input:  "id;name\n1;a\n",
			err:    "line 1: CSV header (1 fields) names none of the columns id, name",
		},
		{
			name:   "header only",
			schema: []string{"id BIGINT"},
			input:  "id\n",
		},
		{
			name:   "empty input",
			schema: []string{"id BIGINT"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			schema := all
			if tc.schema != nil {
				schema = schemaOf(tc.schema...)
			}
			res := decodeAll(t, "csv", schema, tc.opts, tc.input)
			checkResult(t, res, tc.rows, tc.bad, tc.err)
		})
	}
}

func TestCSVOptions(t *testing.T) {
	s := schemaOf("id BIGINT")
	for _, tc := range []struct {
		opts map[string]string
		err  string
	}{
		{map[string]string{"header": "yes"}, `option header: want 'true' or 'false', got "yes"`},
		{map[string]string{"delimiter": ",,"}, `option delimiter: want one ASCII character`},
		{map[string]string{"delimiter": `"`}, `option delimiter: want one ASCII character`},
	} {
		_, err := NewDecoder("csv", s, tc.opts, nil)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%v: error %v, want %q", tc.opts, err, tc.err)
		}
	}
	if _, err := NewDecoder("xml", s, nil, nil); err == nil || err.Error() != `unknown format "xml" (have csv, json, text, debezium-json)` {
		t.Errorf("unknown format: %v", err)
	}
}

// TestCSVBadHandlerError checks that an error from the bad-record handler
// stops decoding and is returned unchanged.
func TestCSVBadHandlerError(t *testing.T) {
	dec, err := NewDecoder("csv", schemaOf("id BIGINT"), map[string]string{"header": "false"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Release()
	stop := errTest("stop")
	var got BadRecord
	n, _, err := dec.Decode([]byte("1\nx\r\n3\n"), 0, true, func(r BadRecord) error { got = r; return stop })
	if err != stop || n != 5 || got.Line != 2 || string(got.Record) != "x" {
		t.Fatalf("n=%d err=%v bad=%+v", n, err, got)
	}
	if dec.Rows() != 1 {
		t.Fatalf("rows %d", dec.Rows())
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

// indexDelim finds the first delimiter as a byte-by-byte search does,
// wherever it falls in the words of eight it reads.
func TestIndexDelim(t *testing.T) {
	for n := 0; n < 40; n++ {
		for at := -1; at < n; at++ {
			line := bytes.Repeat([]byte{'a' ^ 0x80}, n)
			for i := range line {
				line[i] = byte(i*37) | 1 // never ','
				if line[i] == ',' {
					line[i] = 'x'
				}
			}
			want := n
			if at >= 0 {
				line[at] = ','
				want = at
				if at+1 < n {
					line[at+1] = ',' - 1 // a borrow must not move the match
				}
			}
			for p := 0; p <= min(want, 9); p++ {
				if got := indexDelim(line, p, ','); got != want {
					t.Fatalf("line %q from %d: %d, want %d", line, p, got, want)
				}
			}
		}
	}
}

// plainVsGeneral decodes input with and without the in-place reading of
// plain numbers and timestamps; both must give the same rows and the same
// bad records.
func plainVsGeneral(t *testing.T, delim byte, input []byte) {
	t.Helper()
	schema := schemaOf("id BIGINT", "x DOUBLE", "name VARCHAR", "ts TIMESTAMP", "ok BOOLEAN")
	opts := map[string]string{"header": "false", "delimiter": string([]byte{delim})}
	var res [2]decodeResult
	for i, plain := range []bool{true, false} {
		dec, err := newCSVDecoder(schema, opts, memory.NewGoAllocator())
		if err != nil {
			t.Fatal(err)
		}
		dec.plain = dec.plain && plain
		res[i] = drive(t, dec, input, 1<<20, 0)
		dec.Release()
	}
	if fmt.Sprint(res[0]) != fmt.Sprint(res[1]) {
		t.Fatalf("%q:\nread in place: %v\nin general:    %v", input, res[0], res[1])
	}
}

// Numbers and timestamps read where they stand decode as the general
// parse decodes them, good or bad.
func TestCSVPlainFields(t *testing.T) {
	fields := [][]string{
		{"1", "-1", "007", "-", "", " 5", "5 ", "+5", "1.0", "123456789012345678", "1234567890123456789", "9223372036854775808", "1e3", "x"},
		{"1.5", "-0.25", ".5", "5.", "-", ".", "", "1.2.3", "1-2", "1e5", " 2.5", "NaN", "12345678901234567890.5", "+1.5", "0.1"},
		{"a", "", "b c"},
		{"2024-01-01 00:00:00.000", "2024-01-01 00:00:00", "2024-01-01T12:34:56.789", "2024-01-01 00:00:00.000Z", "2024-02-30 00:00:00",
			"2024-01-01 24:00:00", "2024-01-01", "1704067200000", "", " 2024-01-01 00:00:00", "2024-01-01 00:00:00.0", "2024-01-01 00:00:00.1234"},
		{"true", "f", ""},
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, delim := range []byte{',', ';', '|', '\t'} {
		var b bytes.Buffer
		for range 3000 {
			for c, vals := range fields {
				if c > 0 {
					b.WriteByte(delim)
				}
				b.WriteString(vals[r.IntN(len(vals))])
			}
			if r.IntN(20) == 0 {
				b.WriteByte(delim) // one field too many
			}
			b.WriteByte('\n')
		}
		plainVsGeneral(t, delim, b.Bytes())
	}
}

func FuzzCSVPlainFields(f *testing.F) {
	f.Add([]byte("1,2.5,a,2024-01-01 00:00:00.000,true\n-7,.5,,2024-01-01 00:00:00,f\n"))
	f.Add([]byte("18446744073709551616,1.2.3,b,2024-01-01T00:00:00.000Z,t\n"))
	f.Fuzz(func(t *testing.T, input []byte) { plainVsGeneral(t, ',', input) })
}

// A small batch after a large one holds buffers of its own size, not of
// the room reserved for it.
func TestSmallBatchFits(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dec, err := NewDecoder("csv", schemaOf("id BIGINT", "name VARCHAR"), map[string]string{"header": "false"}, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Release()
	big := bytes.Repeat([]byte("12345,some text here\n"), 100_000)
	if _, _, err := dec.Decode(big, 0, true, nil); err != nil {
		t.Fatal(err)
	}
	dec.Flush().Release()
	if _, _, err := dec.Decode([]byte("1,a\n2,b\n"), 0, true, nil); err != nil {
		t.Fatal(err)
	}
	small := dec.Flush()
	defer small.Release()
	if n := mem.CurrentAlloc(); n > 64<<10 {
		t.Errorf("a batch of 2 rows holds %d bytes", n)
	}
	if got := fmt.Sprint(renderBatch(small)); got != `[1|"a" 2|"b"]` {
		t.Errorf("rows %s", got)
	}
}
