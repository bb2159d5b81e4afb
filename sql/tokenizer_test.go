package sql

import (
	"reflect"
	"testing"
)

func TestTokenize(t *testing.T) {
	src := "SELECT `a``b`, 'it''s', \"q\\\"\", 1.5e3, .5, 0x1F, x<=>y -- c\n#h\n/* b */ a->>'$' --x"
	toks, err := tokenize(src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range toks {
		if src[tk.start:tk.end] != tk.text {
			t.Errorf("token %q has wrong offsets", tk.text)
		}
		got = append(got, tk.text)
	}
	want := []string{"SELECT", "`a``b`", ",", "'it''s'", ",", `"q\""`, ",", "1.5e3", ",", ".5", ",", "0x1F", ",",
		"x", "<=>", "y", "-- c", "#h", "/* b */", "a", "->>", "'$'", "-", "-", "x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if n := toks[1].name(); n != "a`b" {
		t.Errorf("name = %q", n)
	}
	if u := unquote(`'it''s \n\\'`); u != "it's \n\\" {
		t.Errorf("unquote = %q", u)
	}
}
