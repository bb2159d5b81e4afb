package connectors

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

func testRegistry() *Registry {
	r := NewRegistry()
	r.RegisterSource("src", func(SourceSpec) (Source, error) { return nopSource{}, nil }, ConfigSpec{
		Summary: "a test source",
		Options: Declare([]Option{
			{Name: "path", Type: String, Required: true, Doc: "the file"},
			{Name: "rate", Type: Number, Doc: "rows per second"},
			{Name: "fields." + ColumnPlaceholder + ".min", Type: Int, Doc: "least value"},
		}, SourceOptions(), RecordOptions()),
	})
	r.RegisterSink("src", func(SinkSpec) (Sink, error) { return nil, nil }, ConfigSpec{
		Options: Declare([]Option{{Name: "format", Type: Enum, Values: []string{"json", "csv"}, Doc: "sink format"}}),
		Check: func(_ *arrow.Schema, o map[string]string) error {
			if o["rate"] == "13" {
				return errors.New("option rate: unlucky")
			}
			return nil
		},
	})
	r.RegisterSource("free", func(SourceSpec) (Source, error) { return nopSource{}, nil })
	return r
}

var testSchema = arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)

func TestCheckOptions(t *testing.T) {
	r := testRegistry()
	cases := []struct {
		opts map[string]string
		want string // error text, or "" for none
	}{
		{map[string]string{"path": "x", "rate": "2.5", "on_error": "FAIL", "idle_timeout": "5 seconds", "max_record_bytes": "1KiB"}, ""},
		{map[string]string{"on_eror": "fail"}, "unknown option 'on_eror' for connector 'src' (did you mean 'on_error'?)"},
		{map[string]string{"pth": "x"}, "(did you mean 'path'?)"},
		{map[string]string{"zzzzzz": "x"}, "unknown option 'zzzzzz' for connector 'src' (have connector, dead_letter_path, fields.<column>.<option>, format, idle_timeout, invalid_utf8, max_record_bytes, on_error, path, rate)"},
		{map[string]string{"rate": "fast"}, "option rate: want a number, got 'fast'"},
		{map[string]string{"idle_timeout": "soon"}, "option idle_timeout: want a duration such as '200ms', '5s' or '1 minute', got 'soon'"},
		{map[string]string{"max_record_bytes": "-1"}, "option max_record_bytes: want a size"},
		{map[string]string{"on_error": "retry"}, "option on_error: want 'skip', 'dead_letter' or 'fail', got 'retry'"},
		// A value valid for the source or the sink passes.
		{map[string]string{"format": "text"}, ""},
		{map[string]string{"format": "xml"}, "option format: want 'csv', 'json', 'jsonl', 'ndjson' or 'text', got 'xml'"},
		{map[string]string{"fields.n.min": "1"}, ""},
		{map[string]string{"fields.N.min": "x"}, "option fields.N.min: want a whole number, got 'x'"},
		{map[string]string{"fields.m.min": "1"}, `option fields.m.min: the table has no column "m"`},
		{map[string]string{"fields.n.mn": "1"}, "unknown option 'fields.n.mn' for connector 'src' (did you mean 'fields.n.min'?)"},
		{map[string]string{"rate": "13"}, "option rate: unlucky"},
		{map[string]string{"on-error": "skip", "on_error": "fail"}, "option on_error is given twice"},
	}
	for _, c := range cases {
		opts := map[string]string{"connector": "src"}
		maps.Copy(opts, c.opts)
		_, err := r.CheckOptions(testSchema, opts)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: %v", c.opts, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: error %v, want %q", c.opts, err, c.want)
		}
	}
}

func TestCheckOptionsSpelling(t *testing.T) {
	r := testRegistry()
	got, err := r.CheckOptions(testSchema, map[string]string{"connector": "src", "idle-timeout": "1s", "fields.n.MIN": "3"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"connector": "src", "idle_timeout": "1s", "fields.n.min": "3"}
	if !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	var oe *OptionError
	if _, err := r.CheckOptions(testSchema, map[string]string{"connector": "src", "Rat": "1", "ratte": "1"}); !errors.As(err, &oe) || oe.Key != "Rat" {
		t.Errorf("error %v: want an OptionError for the first bad key, Rat", err)
	}
	// Without a ConfigSpec anything goes.
	opts := map[string]string{"connector": "free", "anything": "x"}
	if got, err := r.CheckOptions(testSchema, opts); err != nil || !maps.Equal(got, opts) {
		t.Errorf("undeclared connector: %v %v", got, err)
	}
}

func TestDeclare(t *testing.T) {
	got := Declare([]Option{{Name: "format", Default: "text"}, {Name: "port"}}, RecordOptions(), CSVOptions())
	var names []string
	for _, o := range got {
		names = append(names, o.Name)
	}
	if strings.Join(names, ",") != "connector,format,port,max_record_bytes,invalid_utf8,header,delimiter" {
		t.Errorf("names %v", names)
	}
	if got[1].Default != "text" {
		t.Errorf("own format not kept: %+v", got[1])
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"on_eror", "on_error", 1}, {"hostname", "host", 4}, {"kitten", "sitting", 3}} {
		if d := editDistance(c.a, c.b); d != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, d, c.d)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for s, want := range map[string]time.Duration{"200ms": 200 * time.Millisecond, "1m30s": 90 * time.Second, "5 seconds": 5 * time.Second, "1.5 min": 90 * time.Second, "1 day": 24 * time.Hour} {
		if d, err := ParseDuration(s); err != nil || d != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", s, d, err, want)
		}
	}
	for _, s := range []string{"", "5", "-1s", "5 parsecs", "1e30 days"} {
		if _, err := ParseDuration(s); err == nil {
			t.Errorf("ParseDuration(%q): no error", s)
		}
	}
}

func TestParseSize(t *testing.T) {
	for s, want := range map[string]int64{"65536": 65536, "64KiB": 64 << 10, "16 MiB": 16 << 20, "1g": 1 << 30} {
		if n, err := ParseSize(s); err != nil || n != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, n, err, want)
		}
	}
	for _, s := range []string{"", "0", "-1", "1TiB", "big", "99999999999GiB"} {
		if _, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q): no error", s)
		}
	}
}
