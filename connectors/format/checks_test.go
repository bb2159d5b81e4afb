package format

import (
	"strings"
	"testing"
)

// TestEventTimeRequired: a record without a value for the event-time
// column is bad; other missing columns are NULL.
func TestEventTimeRequired(t *testing.T) {
	schema := WithEventTime(schemaOf("ts TIMESTAMP", "n BIGINT", "s VARCHAR"), "ts")
	t.Run("json", func(t *testing.T) {
		input := `{"ts": "2024-01-01 00:00:01", "n": 1}` + "\n" +
			`{"n": 2, "s": "no time"}` + "\n" +
			`{"TS": 1704067203000}` + "\n" +
			`{"ts": null, "n": 4}` + "\n" +
			`{"timestamp": "2024-01-01 00:00:05", "n": 5}` + "\n"
		res := decodeAll(t, "json", schema, nil, input)
		checkResult(t, res,
			[]string{`2024-01-01T00:00:01.000Z|1|NULL`, `2024-01-01T00:00:03.000Z|NULL|NULL`},
			[]string{"2: missing event-time column ts", "4: missing event-time column ts", "5: missing event-time column ts"}, "")
	})
	t.Run("csv", func(t *testing.T) {
		input := "ts,n,s\n2024-01-01 00:00:01,1,a\n,2,b\n\"\",3,c\n2024-01-01 00:00:04,,\n"
		res := decodeAll(t, "csv", schema, nil, input)
		checkResult(t, res,
			[]string{`2024-01-01T00:00:01.000Z|1|"a"`, `2024-01-01T00:00:04.000Z|NULL|NULL`},
			[]string{"3: missing event-time column ts", "4: missing event-time column ts"}, "")
	})
	t.Run("no event time", func(t *testing.T) {
		res := decodeAll(t, "json", schemaOf("ts TIMESTAMP", "n BIGINT"), nil, `{"n": 2}`+"\n")
		checkResult(t, res, []string{`NULL|2`}, nil, "")
	})
	if got := WithEventTime(WithEventTime(schema, "n"), "ts"); EventTimeColumn(got) != 0 || got.Metadata().Len() != 1 || !got.Equal(schema) {
		t.Errorf("WithEventTime twice: %v", got)
	}
}

// TestJSONStringNumbers: BIGINT and DOUBLE columns take numbers held in
// JSON strings, as Flink's JSON format does.
func TestJSONStringNumbers(t *testing.T) {
	schema := schemaOf("n BIGINT", "x DOUBLE")
	input := `{"n": "42", "x": "1.11"}` + "\n" +
		`{"n": " -7 ", "x": "1e3"}` + "\n" +
		`{"n": "3.0", "x": "-0.5"}` + "\n" +
		`{"n": "1.5"}` + "\n" +
		`{"x": "one"}` + "\n" +
		`{"n": ""}` + "\n" +
		`{"n": "99999999999999999999"}` + "\n"
	res := decodeAll(t, "json", schema, nil, input)
	checkResult(t, res, []string{`42|1.11`, `-7|1000`, `3|-0.5`}, []string{
		`4: column n: invalid BIGINT "1.5"`,
		`5: column x: invalid DOUBLE "one"`,
		`6: column n: invalid BIGINT ""`,
		`7: column n: invalid BIGINT "99999999999999999999": out of range`,
	}, "")
}

// TestInvalidUTF8 checks option invalid_utf8 in every decoder: 'error'
// (the default) makes the record bad, 'replace' turns each run of invalid
// bytes into U+FFFD, 'keep' keeps them.
func TestInvalidUTF8(t *testing.T) {
	// A long valid line puts the bad lines in a later block than the
	// first, so both the block check and the per-record one are used.
	defer func(n int) { utf8BlockSize = n }(utf8BlockSize)
	utf8BlockSize = 32
	long := strings.Repeat("a", 40)
	tests := []struct {
		format, input string
		schema        []string
		rows          map[string][]string // by mode
		bad           []string            // with 'error'
	}{
		{
			format: "text", schema: []string{"line VARCHAR"},
			input: "ok\nbad \xff\xfe here\n" + long + "\nfine é\n\xc3\n",
			rows: map[string][]string{
				"error":   {`"ok"`, `"` + long + `"`, `"fine é"`},
				"replace": {`"ok"`, `"bad � here"`, `"` + long + `"`, `"fine é"`, `"�"`},
				"keep":    {`"ok"`, `"bad \xff\xfe here"`, `"` + long + `"`, `"fine é"`, `"\xc3"`},
			},
			bad: []string{"2: invalid UTF-8 in column line", "5: invalid UTF-8 in column line"},
		},
		{
			format: "csv", schema: []string{"n BIGINT", "s VARCHAR"},
			input: "n,s\n1,ok\n2,\"bad\xff\"\n3," + long + "\n4,\xe2\x82\n",
			rows: map[string][]string{
				"error":   {`1|"ok"`, `3|"` + long + `"`},
				"replace": {`1|"ok"`, `2|"bad�"`, `3|"` + long + `"`, `4|"�"`},
				"keep":    {`1|"ok"`, `2|"bad\xff"`, `3|"` + long + `"`, `4|"\xe2\x82"`},
			},
			bad: []string{"3: invalid UTF-8 in column s", "5: invalid UTF-8 in column s"},
		},
		{
			format: "json", schema: []string{"n BIGINT", "s VARCHAR"},
			input: `{"n": 1, "s": "ok \u00e9"}` + "\n" + `{"n": 2, "s": "bad` + "\xff" + `"}` + "\n" +
				`{"n": 3, "s": "` + long + `"}` + "\n" + `{"n": 4, "s": {"k": "` + "\xc0\xaf" + `"}}` + "\n" +
				`{"n": 5, "other": "` + "\xff" + `"}` + "\n",
			rows: map[string][]string{
				"error":   {`1|"ok é"`, `3|"` + long + `"`, `5|NULL`},
				"replace": {`1|"ok é"`, `2|"bad�"`, `3|"` + long + `"`, `4|"{\"k\": \"�\"}"`, `5|NULL`},
				"keep":    {`1|"ok é"`, `2|"bad\xff"`, `3|"` + long + `"`, `4|"{\"k\": \"\xc0\xaf\"}"`, `5|NULL`},
			},
			bad: []string{"2: invalid UTF-8 in column s", "4: invalid UTF-8 in column s"},
		},
	}
	for _, tc := range tests {
		for _, mode := range []string{"error", "replace", "keep"} {
			t.Run(tc.format+"/"+mode, func(t *testing.T) {
				opts := map[string]string{"invalid_utf8": mode}
				if mode == "error" {
					opts = nil // the default
				}
				res := decodeAll(t, tc.format, schemaOf(tc.schema...), opts, tc.input)
				var bad []string
				if mode == "error" {
					bad = tc.bad
				}
				checkResult(t, res, tc.rows[mode], bad, "")
			})
		}
	}
	_, err := NewDecoder("json", schemaOf("s VARCHAR"), map[string]string{"invalid_utf8": "ignore"}, nil)
	if err == nil || err.Error() != `option invalid_utf8: want 'error', 'replace' or 'keep', got "ignore"` {
		t.Errorf("bad option value: %v", err)
	}
}
