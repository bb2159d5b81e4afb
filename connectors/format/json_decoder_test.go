package format

import "testing"

func TestJSONDecoder(t *testing.T) {
	all := schemaOf("id BIGINT", "x DOUBLE", "name VARCHAR", "ok BOOLEAN", "ts TIMESTAMP")
	tests := []struct {
		name   string
		schema []string // nil: all
		input  string
		rows   []string
		bad    []string
	}{
		{
			name: "all types",
			input: `{"id": 1, "x": 2.5, "name": "alice", "ok": true, "ts": "2024-01-01 00:00:05"}` + "\n" +
				`{"ts":"2024-01-01T00:00:05.123Z","ok":false,"name":"b\"o\\b\n\u00e9\ud83d\ude00","x":-1e3,"id":-7}` + "\n" +
				`{"id": 3.0, "x": 7, "ts": 1704067205000, "name": 42.50}` + "\n" +
				`{"id": 1e3, "name": true, "ts": 1704067205000.0}` + "\n" +
				`  {  }  ` + "\n",
			rows: []string{
				`1|2.5|"alice"|true|2024-01-01T00:00:05.000Z`,
				`-7|-1000|"b\"o\\b\né😀"|false|2024-01-01T00:00:05.123Z`,
				`3|7|"42.50"|NULL|2024-01-01T00:00:05.000Z`,
				`1000|NULL|"true"|NULL|2024-01-01T00:00:05.000Z`,
				`NULL|NULL|NULL|NULL|NULL`,
			},
		},
		{
			name: "nulls, missing and unknown keys, nested values",
			input: `{"id": null, "x": null, "name": null, "ok": null, "ts": null}` + "\n" +
				`{"other": {"a": [1, {"b": null}], "c": "}"}, "id": 5, "more": [true, false, null, -0.5e-3]}` + "\n" +
				`{"name": {"a": [1, 2]}}` + "\n" +
				`{"name": [ ]}` + "\n",
			rows: []string{
				`NULL|NULL|NULL|NULL|NULL`,
				`5|NULL|NULL|NULL|NULL`,
				`NULL|NULL|"{\"a\": [1, 2]}"|NULL|NULL`,
				`NULL|NULL|"[ ]"|NULL|NULL`,
			},
		},
		{
			name:   "keys: exact first, then any case; last duplicate wins",
			schema: []string{"id BIGINT", "Id BIGINT", "name VARCHAR"},
			input:  `{"ID": 1, "id": 2, "NAME": "a", "Name": "b"}` + "\n",
			rows:   []string{`2|NULL|"b"`},
		},
		{
			name:   "blank lines, CRLF, BOM, no final newline",
			schema: []string{"id BIGINT"},
			input:  "\xEF\xBB\xBF{\"id\":1}\r\n\r\n  \t\n{\"id\":2}\n\n{\"id\":3}",
			rows:   []string{`1`, `2`, `3`},
		},
		{
			name:   "bad rows with line numbers",
			schema: []string{"id BIGINT", "x DOUBLE", "ok BOOLEAN", "ts TIMESTAMP"},
			input: `{"id": 1}` + "\n" + // 1
				`{"id": 2` + "\n" + // 2: invalid
				"\n" + // 3: blank
				`{"id": "3x"}` + "\n" + // 4: string that is no BIGINT
				`{"id": 1.5}` + "\n" + // 5: fraction
				`{"x": true}` + "\n" + // 6: bool for DOUBLE
				`{"id": {"a": 1}}` + "\n" + // 7: object for BIGINT
				`{"ts": "yesterday"}` + "\n" + // 8: bad timestamp
				`{"id": 99999999999999999999}` + "\n" + // 9: overflow
				`[1, 2]` + "\n" + // 10: not an object
				`{"id": 1} x` + "\n" + // 11: trailing garbage
				`{"id": 01}` + "\n" + // 12: leading zero
				`{"a": "\x"}` + "\n" + // 13: bad escape
				`{"ok": 1}` + "\n" + // 14: number for BOOLEAN
				`{"id": 6,}` + "\n" + // 15: trailing comma
				`{"id": 7}`, // 16
			rows: []string{`1|NULL|NULL|NULL`, `7|NULL|NULL|NULL`},
			bad: []string{
				`2: invalid JSON at column 9: unexpected end of line, expected ',' or '}'`,
				`4: column id: invalid BIGINT "3x"`,
				`5: column id: expected BIGINT, got 1.5`,
				`6: column x: expected DOUBLE, got boolean "true"`,
				`7: column id: expected BIGINT, got an object`,
				`8: column ts: invalid TIMESTAMP "yesterday"`,
				`9: column id: invalid BIGINT "99999999999999999999": out of range`,
				`10: expected a JSON object, got "[1, 2]"`,
				`11: invalid JSON at column 11: unexpected "x" after the object`,
				`12: invalid JSON at column 9: unexpected "1", expected ',' or '}'`,
				`13: invalid JSON at column 8: invalid escape "\\x"`,
				`14: column ok: expected BOOLEAN, got number "1"`,
				`15: invalid JSON at column 10: unexpected "}", expected a string key`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			schema := all
			if tc.schema != nil {
				schema = schemaOf(tc.schema...)
			}
			res := decodeAll(t, "json", schema, nil, tc.input)
			checkResult(t, res, tc.rows, tc.bad, "")
		})
	}
}

// indexUnsafe stops where a byte-by-byte scan of safe bytes stops, or
// before the last fewer than eight bytes.
func TestIndexUnsafe(t *testing.T) {
	for n := 0; n < 30; n++ {
		for at := -1; at < n; at++ {
			for _, c := range []byte{'"', '\\', 0, 0x1f, '\n'} {
				b := make([]byte, n)
				for i := range b {
					b[i] = byte(0x20 + (i*53)%0xe0)
					if b[i] == '"' || b[i] == '\\' {
						b[i] = 'a'
					}
				}
				if at >= 0 {
					b[at] = c
				}
				want := 0
				for want < n && strSafe[b[want]] {
					want++
				}
				got := indexUnsafe(b, 0)
				for got < n && strSafe[b[got]] {
					got++
				}
				if got != want || indexUnsafe(b, 0) > want {
					t.Fatalf("%q: stops at %d, want %d", b, got, want)
				}
			}
		}
	}
}

// A record whose keys repeat the last record's is read through the key
// cache; spelled with escapes, or differently, or holding a quote, a key is
// still read in full.
func TestJSONRepeatedKeys(t *testing.T) {
	schema := schemaOf("ts TIMESTAMP", `a"b BIGINT`, "x DOUBLE")
	res := decodeAll(t, "json", schema, nil, `{"ts":"2024-01-01 00:00:00","a\"b":1,"x":1.5}
{"ts":"2024-01-01 00:00:01","a\"b":2,"x":2.5}
{"t\u0073":"2024-01-01 00:00:02","a\"b":3,"x":3.5}
{"ts":"2024-01-01 00:00:03","a\"":4,"x":4.5}
{"ts":"2024-01-01 00:00:04","a\"b":5,"x":5.5}
{"tsx":"2024-01-01 00:00:05","a\"b":6,"x":6.5}
{"ts":"2024-01-01 00:00:06","a\"b":7,"x":7.5}
{"ts":"2024-01-01 00:00:07","a\"b":8,"x":8.5,"x":9.5}
{"TS":"2024-01-01 00:00:08","x":9.5}
`)
	checkResult(t, res, []string{
		"2024-01-01T00:00:00.000Z|1|1.5", "2024-01-01T00:00:01.000Z|2|2.5", "2024-01-01T00:00:02.000Z|3|3.5",
		"2024-01-01T00:00:03.000Z|NULL|4.5", "2024-01-01T00:00:04.000Z|5|5.5", "NULL|6|6.5",
		"2024-01-01T00:00:06.000Z|7|7.5", "2024-01-01T00:00:07.000Z|8|9.5", "2024-01-01T00:00:08.000Z|NULL|9.5",
	}, nil, "")
}
