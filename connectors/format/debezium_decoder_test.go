package format

import (
	"strings"
	"testing"

	"github.com/weirdb/weir/vector"
)

func TestDebeziumDecoder(t *testing.T) {
	cols := []string{"id BIGINT", "name VARCHAR", "score DOUBLE", "ts TIMESTAMP"}
	tests := []struct {
		name  string
		input string
		rows  []string
		bad   []string
	}{
		{
			name: "every op",
			input: `{"before":null,"after":{"id":1,"name":"a","score":1.5,"ts":"2024-01-01 00:00:05"},"op":"c","ts_ms":1}` + "\n" +
				`{"op":"r","after":{"id":2,"name":"b"},"source":{"db":"x","table":"t"}}` + "\n" +
				`{"before":{"id":1,"name":"a","score":1.5},"after":{"id":1,"name":"A","score":2},"op":"u"}` + "\n" +
				`{"before":{"id":2,"name":"b"},"after":null,"op":"d"}` + "\n",
			rows: []string{
				`1|"a"|1.5|2024-01-01T00:00:05.000Z|+I`,
				`2|"b"|NULL|NULL|+I`,
				`1|"a"|1.5|NULL|-U`,
				`1|"A"|2|NULL|+U`,
				`2|"b"|NULL|NULL|-D`,
			},
		},
		{
			name: "payload wrapper, blank lines, CRLF, BOM",
			input: "\xEF\xBB\xBF" + `{"schema":{"type":"struct","fields":[]},"payload":{"before":null,"after":{"id":7,"ts":1704067205000},"op":"c"}}` + "\r\n\n" +
				`{"schema":null,"payload":{"before":{"id":7},"after":{"id":8,"name":"x\u00e9"},"op":"u"}}`,
			rows: []string{
				`7|NULL|NULL|2024-01-01T00:00:05.000Z|+I`,
				`7|NULL|NULL|NULL|-U`,
				`8|"xé"|NULL|NULL|+U`,
			},
		},
		{
			name: "bad envelopes",
			input: `{"before":null,"after":{"id":1},"op":"c"}` + "\n" + // 1
				`{"before":null,"after":{"id":1}}` + "\n" + // 2: no op
				`[1]` + "\n" + // 3: not an object
				`{"before":{"id":1},"after":{"id":2},"op":"u"` + "\n" + // 4: invalid JSON
				`{"before":null,"after":{"id":2},"op":"u"}` + "\n" + // 5: update without before
				`{"before":null,"after":null,"op":"d"}` + "\n" + // 6: delete without before
				`{"after":null,"op":"c"}` + "\n" + // 7: create without after
				`{"after":{"id":1},"op":"t"}` + "\n" + // 8: unknown op
				`{"after":[1],"op":"c"}` + "\n" + // 9: image not an object
				`{"after":{"id":1},"op":1}` + "\n" + // 10: op not a string
				`{"before":{"id":1},"after":{"id":"x"},"op":"u"}` + "\n" + // 11: bad after: no -U either
				`{"before":{"score":true},"op":"d"}` + "\n" + // 12: bad before
				`{"payload":{"after":{"id":1}}}` + "\n" + // 13: payload without op
				`{"after":{"id":9},"op":"c"} x` + "\n" + // 14: trailing garbage
				`{"after":{"id":10},"op":"c",}` + "\n" + // 15: trailing comma
				`{"before":{"id":3},"after":{"id":4},"op":"u"}`, // 16
			rows: []string{`1|NULL|NULL|NULL|+I`, `3|NULL|NULL|NULL|-U`, `4|NULL|NULL|NULL|+U`},
			bad: []string{
				`2: not a Debezium envelope: no "op" key`,
				`3: expected a Debezium envelope (a JSON object with before, after and op), got "[1]"`,
				`4: invalid JSON at column 45: unexpected end of line, expected ',' or '}'`,
				`5: Debezium op "u" without a before image: an update needs the old row (in PostgreSQL, ALTER TABLE ... REPLICA IDENTITY FULL)`,
				`6: Debezium op "d" without a before image`,
				`7: Debezium op "c" without an after image`,
				`8: unknown Debezium op "t" (want "c", "r", "u" or "d")`,
				`9: Debezium "after" must be an object or null, got "[1]"`,
				`10: Debezium "op" must be a string, got "1"`,
				`11: after: column id: invalid BIGINT "x"`,
				`12: before: column score: expected DOUBLE, got boolean "true"`,
				`13: not a Debezium envelope: no "op" key`,
				`14: invalid JSON at column 29: unexpected "x" after the object`,
				`15: invalid JSON at column 29: unexpected "}", expected a string key`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := decodeAll(t, "debezium-json", schemaOf(cols...), nil, tc.input)
			checkResult(t, res, tc.rows, tc.bad, "")
		})
	}
}

// An update's two rows stay in one batch: Decode stops before one that
// does not fit, and a limit of 1 still gets both.
func TestDebeziumUpdateKeepsItsRowsTogether(t *testing.T) {
	input := strings.Repeat(`{"after":{"id":1},"op":"c"}`+"\n"+`{"before":{"id":1},"after":{"id":2},"op":"u"}`+"\n", 3)
	for _, limit := range []int{1, 2, 3} {
		dec, err := NewDecoder("debezium-json", schemaOf("id BIGINT"), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		var batches []string
		data := []byte(input)
		for len(data) > 0 || dec.Rows() > 0 {
			n, _, err := dec.Decode(data, limit, true, nil)
			if err != nil {
				t.Fatal(err)
			}
			data = data[n:]
			b := dec.Flush()
			if b == nil {
				break
			}
			batches = append(batches, strings.Join(renderBatch(b), ","))
			b.Release()
		}
		dec.Release()
		want := map[int]string{
			1: "1|+I;1|-U,2|+U;1|+I;1|-U,2|+U;1|+I;1|-U,2|+U",
			2: "1|+I;1|-U,2|+U;1|+I;1|-U,2|+U;1|+I;1|-U,2|+U",
			3: "1|+I,1|-U,2|+U;1|+I,1|-U,2|+U;1|+I,1|-U,2|+U",
		}[limit]
		if got := strings.Join(batches, ";"); got != want {
			t.Errorf("limit %d: batches %s, want %s", limit, got, want)
		}
	}
}

// The decoder's schema ends with the op column, whether or not the schema
// it was given did.
func TestDebeziumDecoderSchema(t *testing.T) {
	for _, s := range []bool{false, true} {
		schema := schemaOf("id BIGINT")
		if s {
			schema = vector.WithOpColumn(schema)
		}
		dec, err := NewDecoder("debezium-json", schema, map[string]string{"invalid_utf8": "replace"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := dec.Decode([]byte(`{"after":{"id":1},"op":"c"}`), 0, true, nil); err != nil {
			t.Fatal(err)
		}
		b := dec.Flush()
		if !b.Schema().Equal(vector.WithOpColumn(schemaOf("id BIGINT"))) {
			t.Errorf("schema %s", b.Schema())
		}
		b.Release()
		dec.Release()
	}
	if _, err := NewDecoder("debezium-json", schemaOf("id BIGINT"), map[string]string{"invalid_utf8": "x"}, nil); err == nil {
		t.Error("invalid_utf8 = 'x' accepted")
	}
}
