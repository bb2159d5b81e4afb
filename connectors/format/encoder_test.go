package format

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// testBatch builds a batch of the five types with awkward values.
func testBatch(mem memory.Allocator) arrow.RecordBatch {
	schema := schemaOf("id BIGINT", "x DOUBLE", "name VARCHAR", "ok BOOLEAN", "ts TIMESTAMP")
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, -9223372036854775808, 0}, []bool{true, true, false})
	b.Field(1).(*array.Float64Builder).AppendValues([]float64{2.5, 3, math.NaN()}, nil)
	b.Field(1).(*array.Float64Builder).Append(1e21)
	b.Field(0).(*array.Int64Builder).Append(4)
	b.Field(2).(*array.StringBuilder).AppendValues([]string{"plain", "a,\"b\"\nc\t\x01é\u2028", ""}, nil)
	b.Field(2).(*array.StringBuilder).AppendNull()
	b.Field(3).(*array.BooleanBuilder).AppendValues([]bool{true, false, false, true}, []bool{true, true, false, true})
	ts := b.Field(4).(*array.TimestampBuilder)
	ts.Append(1704067205000)
	ts.Append(1704067205123)
	ts.AppendNull()
	ts.Append(-1)
	return b.NewRecordBatch()
}

func TestJSONEncoder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	batch := testBatch(mem)
	defer batch.Release()
	var out bytes.Buffer
	enc, err := NewEncoder("jsonl", batch.Schema(), &out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode(batch); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("wrote before Flush: %q", out.String())
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `{"id":1,"x":2.5,"name":"plain","ok":true,"ts":"2024-01-01T00:00:05.000Z"}
{"id":-9223372036854775808,"x":3,"name":"a,\"b\"\nc\t\u0001é\u2028","ok":false,"ts":"2024-01-01T00:00:05.123Z"}
{"id":null,"x":null,"name":"","ok":null,"ts":null}
{"id":4,"x":1e+21,"name":null,"ok":true,"ts":"1969-12-31T23:59:59.999Z"}
`
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
	// Every line is valid JSON, and strings read back as written.
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	if !strings.Contains(out.String(), `"name":"a,\"b\"\nc\t\u0001é\u2028"`) {
		t.Fatal("escaping")
	}
}

func TestCSVEncoder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	batch := testBatch(mem)
	defer batch.Release()
	var out bytes.Buffer
	enc, err := NewEncoder("csv", batch.Schema(), &out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode(batch); err != nil {
		t.Fatal(err)
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "id,x,name,ok,ts\n" +
		"1,2.5,plain,true,2024-01-01 00:00:05.000\n" +
		"-9223372036854775808,3,\"a,\"\"b\"\"\nc\t\x01é\u2028\",false,2024-01-01 00:00:05.123\n" +
		",NaN,\"\",,\n" +
		"4,1e+21,,true,1969-12-31 23:59:59.999\n"
	if out.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", out.String(), want)
	}

	// Decoding it again gives the same rows.
	res := decodeAll(t, "csv", batch.Schema(), nil, out.String())
	checkResult(t, res, renderBatch(batch), nil, "")
}

func TestCSVEncoderOptions(t *testing.T) {
	schema := schemaOf("a VARCHAR", "b BIGINT")
	var out bytes.Buffer
	enc, err := NewEncoder("csv", schema, &out, map[string]string{"delimiter": ";", "header": "true"})
	if err != nil {
		t.Fatal(err)
	}
	// The header is written even when there are no rows.
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "a;b\n" {
		t.Fatalf("%q", out.String())
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"x;y", "x,y"}, nil)
	b.Field(1).(*array.Int64Builder).AppendValues([]int64{1, 2}, nil)
	batch := b.NewRecordBatch()
	defer batch.Release()
	out.Reset()
	enc, _ = NewEncoder("csv", schema, &out, map[string]string{"delimiter": ";", "header": "false"})
	if err := enc.Encode(batch); err != nil {
		t.Fatal(err)
	}
	enc.Flush()
	if out.String() != "\"x;y\";1\nx,y;2\n" {
		t.Fatalf("%q", out.String())
	}
	if _, err := NewEncoder("parquet", schema, &out, nil); err == nil || err.Error() != `unknown output format "parquet" (have csv, debezium-json, json, text)` {
		t.Fatal(err)
	}
	// A batch of another schema is refused.
	other := schemaOf("a VARCHAR")
	enc, _ = NewEncoder("json", other, &out, nil)
	if err := enc.Encode(batch); err == nil {
		t.Fatal("encoded a batch of the wrong schema")
	}
}

// TestCSVRoundTrip writes random fields with encoding/csv and with our
// encoder and decodes them back.
func TestCSVRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "b", ",", "\"", "\n", "\r\n", " ", "é", ";", "\t"}
	field := func() string {
		var sb strings.Builder
		for n := r.IntN(6); n > 0; n-- {
			sb.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return sb.String()
	}
	schema := schemaOf("a VARCHAR", "b VARCHAR", "c VARCHAR")
	for iter := 0; iter < 300; iter++ {
		var records [][]string
		var want []string
		for n := r.IntN(5); n > 0; n-- {
			rec := []string{field(), field(), field()}
			records = append(records, rec)
			var parts []string
			for _, f := range rec {
				if f == "" {
					parts = append(parts, "NULL") // encoding/csv writes "" unquoted
				} else {
					parts = append(parts, strconv.Quote(f))
				}
			}
			want = append(want, strings.Join(parts, "|"))
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.WriteAll(records)
		res := decodeAll(t, "csv", schema, map[string]string{"header": "false"}, buf.String())
		// encoding/csv writes a record of one empty field as an empty
		// line; our reader skips those. Three fields avoid that.
		checkResult(t, res, want, nil, "")
	}
}

// TestJSONSafePrefix checks the 8-bytes-at-a-time test of strings that
// need no escaping against the byte-by-byte table, for every byte at every
// position, and that appendJSONValue's fast path gives the same text.
func TestJSONSafePrefix(t *testing.T) {
	slow := func(s string) int {
		i := 0
		for i < len(s) && s[i] < utf8.RuneSelf && jsonSafe[s[i]] {
			i++
		}
		return i
	}
	for n := 0; n <= 20; n++ {
		for pos := 0; pos < max(n, 1); pos++ {
			for c := 0; c < 256; c++ {
				b := []byte(strings.Repeat("ab~ 9Z}{", 3)[:n])
				if n > 0 {
					b[pos] = byte(c)
				}
				s := string(b)
				got, want := jsonSafePrefix(s), slow(s)
				// The fast test may stop at the start of the 8 bytes
				// holding the first unsafe one.
				if got > want || (got < want && got != want&^7) {
					t.Fatalf("jsonSafePrefix(%q) = %d, want %d", s, got, want)
				}
				if want == len(s) && got != len(s) {
					t.Fatalf("jsonSafePrefix(%q) = %d, want all %d", s, got, len(s))
				}
				enc, valid := appendJSONValue(nil, s)
				if want == len(s) && string(enc) != `"`+s+`"` {
					t.Fatalf("appendJSONValue(%q) = %s, want it quoted as is", s, enc)
				}
				var back string
				if err := json.Unmarshal(enc, &back); err != nil || valid != utf8.ValidString(s) || (valid && back != s) {
					t.Fatalf("appendJSONValue(%q) = %s (valid %v), reads back as %q, %v", s, enc, valid, back, err)
				}
			}
		}
	}
}

// BenchmarkJSONEncodeLines encodes a batch of 10,000 lines of about 100
// bytes that need no escaping, as a grep's matches are.
func BenchmarkJSONEncodeLines(b *testing.B) {
	schema := schemaOf("line VARCHAR")
	bld := array.NewStringBuilder(memory.DefaultAllocator)
	defer bld.Release()
	line := strings.Repeat("lorem ipsum ERROR dolor ", 4)
	for range 10_000 {
		bld.Append(line)
	}
	arr := bld.NewArray()
	defer arr.Release()
	batch := array.NewRecordBatch(schema, []arrow.Array{arr}, int64(arr.Len()))
	defer batch.Release()
	var out bytes.Buffer
	enc, err := NewEncoder("json", schema, &out, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(10_000 * len(line)))
	for b.Loop() {
		out.Reset()
		if err := enc.Encode(batch); err != nil {
			b.Fatal(err)
		}
		if err := enc.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}
