package format

import (
	"strings"
	"testing"
)

func TestTextDecoder(t *testing.T) {
	line := schemaOf("line VARCHAR")
	tests := []struct {
		name  string
		input string
		rows  []string
	}{
		{"lines", "hello world\nfoo\n", []string{`"hello world"`, `"foo"`}},
		{"empty lines are rows", "\n\na\n\n", []string{`""`, `""`, `"a"`, `""`}},
		{"CRLF and no final newline", "a\r\nb\r\n\r\nc", []string{`"a"`, `"b"`, `""`, `"c"`}},
		{"only CR is kept inside", "a\rb\n", []string{`"a\rb"`}},
		{"BOM", "\xEF\xBB\xBFfirst\nsecond", []string{`"first"`, `"second"`}},
		{"lone BOM prefix is data", "\xEF\xBBok", []string{`"\xef\xbbok"`}},
		{"empty", "", nil},
		{"long line", strings.Repeat("x", 5000) + "\ny\n", []string{`"` + strings.Repeat("x", 5000) + `"`, `"y"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := decodeAll(t, "text", line, map[string]string{"invalid_utf8": "keep"}, tc.input)
			checkResult(t, res, tc.rows, nil, "")
		})
	}
}

func TestTextSchema(t *testing.T) {
	for _, s := range [][]string{{"n BIGINT"}, {"a VARCHAR", "b VARCHAR"}, {}} {
		_, err := NewDecoder("text", schemaOf(s...), nil, nil)
		if err == nil || !strings.Contains(err.Error(), "format 'text' needs a table of exactly one VARCHAR column") {
			t.Errorf("%v: %v", s, err)
		}
	}
}
