package connectors

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// OptionType is the type of a WITH option's value, checked when a table
// is created.
type OptionType int

// The option types.
const (
	// String is any text.
	String OptionType = iota
	// Int is a whole number.
	Int
	// Number is a decimal number.
	Number
	// Bool is 'true' or 'false'.
	Bool
	// Duration is an amount and a unit, '200ms' or '5 seconds'; see
	// ParseDuration.
	Duration
	// Size is a number of bytes, '65536' or '16MiB'; see ParseSize.
	Size
	// Enum is one of the option's Values.
	Enum
)

// String names the type as SHOW CONNECTORS prints it.
func (t OptionType) String() string {
	switch t {
	case Int:
		return "int"
	case Number:
		return "number"
	case Bool:
		return "bool"
	case Duration:
		return "duration"
	case Size:
		return "size"
	case Enum:
		return "enum"
	}
	return "string"
}

// ColumnPlaceholder in an option's name stands for any column of the
// table: "fields.<column>.min" declares fields.ts.min, fields.n.min, ...
const ColumnPlaceholder = "<column>"

// Option declares one WITH option a connector reads, as Flink's
// ConfigOption and Benthos's config fields do.
type Option struct {
	// Name is the option's key, lower-case with '_' between words ('-' is
	// accepted for '_' when a table is created). It may hold
	// ColumnPlaceholder once.
	Name string
	// Type is the type its value must have.
	Type OptionType
	// Default is the value used when the option is left out, as a user
	// would write it; empty when there is none or it depends on other
	// options (Doc then says what happens).
	Default string
	// Doc says in one line what the option does.
	Doc string
	// Values are an Enum's allowed values, lower-case.
	Values []string
	// Required is true for an option without which the connector cannot
	// run.
	Required bool
}

// ConfigSpec declares what a connector accepts: its options and a check
// of the whole set against the table's schema. It is registered with the
// connector's factory.
type ConfigSpec struct {
	// Summary says in one line what the connector does.
	Summary string
	// Options are every option the connector reads.
	Options []Option
	// Bounded declares that the connector's source always reads to an end
	// (a file): the planner keeps an unwindowed GROUP BY over it
	// append-only, emitting its final result at end of input, where a
	// live source's gives an updating result.
	Bounded bool
	// BoundedWhen, if not nil, says the same for a table with options opts
	// (keys as declared), for a connector whose source ends or not
	// depending on its options (a generator with a row count).
	BoundedWhen func(opts map[string]string) bool
	// Check, if not nil, checks options that depend on each other or on
	// the schema (keys are the declared names); it runs after each value
	// has been checked against its type.
	Check func(schema *arrow.Schema, opts map[string]string) error
	// Changelog, for a sink, says whether a table with options opts
	// accepts an updating query's rows, whose batches end with an op
	// column (vector.OpField): nil if it does, else an error saying which
	// options would make it. A sink without it takes only append-only
	// rows.
	Changelog func(opts map[string]string) error
	// Guarantee, for a sink, says in a few words what a table with options
	// opts delivers across failures, checkpointed or not ("exactly once",
	// "at least once"); EXPLAIN shows it.
	Guarantee func(opts map[string]string, checkpointed bool) string
	// ManyWriters, for a sink, declares that several instances may write
	// one table at once, as the tasks of a query split by input partition
	// do: each keys or commits its writes on its own (upserts, its own
	// transactions), so that their outputs add up to one instance's.
	ManyWriters bool
}

// IsBounded reports whether a table with options opts always reads to
// an end: Bounded, or BoundedWhen(opts).
func (c ConfigSpec) IsBounded(opts map[string]string) bool {
	return c.Bounded || (c.BoundedWhen != nil && c.BoundedWhen(opts))
}

// Option returns the declared option named name (after '-' is read as
// '_'), and whether there is one. A key with a column, such as
// fields.ts.min, matches the option fields.<column>.min.
func (c ConfigSpec) Option(name string) (Option, bool) {
	k := canonicalKey(name)
	for _, o := range c.Options {
		if o.Name == k {
			return o, true
		}
		if _, ok := matchColumn(o.Name, k); ok {
			return o, true
		}
	}
	return Option{}, false
}

// Declare lists a connector's options: connector first, then own, then
// the options of shared that own does not redeclare (a connector
// redeclares a shared option to give it its own default or doc).
func Declare(own []Option, shared ...[]Option) []Option {
	out := []Option{{Name: "connector", Type: String, Required: true, Doc: "the connector that reads or writes the table"}}
	has := func(name string) bool { return slices.ContainsFunc(out, func(o Option) bool { return o.Name == name }) }
	for _, l := range append([][]Option{own}, shared...) {
		for _, o := range l {
			if !has(o.Name) {
				out = append(out, o)
			}
		}
	}
	return out
}

// OnErrorValues are the values of option on_error.
var OnErrorValues = []string{"skip", "dead_letter", "fail"}

// SourceOptions are the options every source takes besides connector;
// the planner reads them, not the connector.
func SourceOptions() []Option {
	return []Option{
		{Name: "on_error", Type: Enum, Values: OnErrorValues, Default: "skip",
			Doc: "a bad input row is skipped (counted, with a warning), also appended to dead_letter_path (dead_letter), or stops the query (fail)"},
		{Name: "dead_letter_path", Type: String, Doc: "the file bad rows are appended to as JSON lines, with on_error = 'dead_letter'"},
		{Name: "idle_timeout", Type: Duration,
			Doc: "after this long without input the watermark moves on without the source (default: it waits)"},
	}
}

// InvalidUTF8Values are the values of option invalid_utf8.
var InvalidUTF8Values = []string{"error", "replace", "keep"}

// RecordOptions are the options of every source that reads records in a
// format (file, socket, directory), besides the format's own.
func RecordOptions() []Option {
	return []Option{
		{Name: "format", Type: Enum, Values: []string{"csv", "json", "jsonl", "ndjson", "text"},
			Doc: "the record format: csv, json (one object per line; also jsonl, ndjson) or text (one line, one VARCHAR column)"},
		{Name: "max_record_bytes", Type: Size, Default: "16MiB",
			Doc: "the longest record read; a longer one is a bad row, skipped without being held in memory"},
		{Name: "invalid_utf8", Type: Enum, Values: InvalidUTF8Values, Default: "error",
			Doc: "invalid UTF-8 in a VARCHAR makes the row bad (error), becomes U+FFFD (replace) or is kept as is (keep)"},
	}
}

// CSVOptions are the options of the csv format, for sources and sinks.
func CSVOptions() []Option {
	return []Option{
		{Name: "header", Type: Bool, Default: "true", Doc: "csv: the first line names the columns"},
		{Name: "delimiter", Type: String, Default: ",", Doc: `csv: the field separator, one ASCII character ('\t' or 'tab' for a tab)`},
	}
}

// OptionError is a table's WITH option that is unknown or has a bad value.
type OptionError struct {
	// Key is the option as the user wrote it.
	Key string
	// Msg says what is wrong, naming the option.
	Msg string
}

// Error returns Msg.
func (e *OptionError) Error() string { return e.Msg }

func optionErr(key, format string, args ...any) *OptionError {
	return &OptionError{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// canonicalKey lower-cases a key and reads '-' as '_' (Flink's spelling),
// except inside a column name of fields.<column>.x.
func canonicalKey(key string) string {
	k := strings.ToLower(key)
	if strings.HasPrefix(k, "fields.") {
		if dot := strings.LastIndexByte(k, '.'); dot > len("fields.") {
			return k[:dot] + strings.ReplaceAll(k[dot:], "-", "_")
		}
	}
	return strings.ReplaceAll(k, "-", "_")
}

// matchColumn reports whether key is an instance of the declared name
// holding ColumnPlaceholder, and returns the column it names.
func matchColumn(name, key string) (string, bool) {
	pre, suf, ok := strings.Cut(name, ColumnPlaceholder)
	if !ok || len(key) <= len(pre)+len(suf) || !strings.HasPrefix(key, pre) || !strings.HasSuffix(key, suf) {
		return "", false
	}
	return key[len(pre) : len(key)-len(suf)], true
}

// CheckValue checks value against the option's type and returns an error
// that names the option and says what is wanted.
func (o Option) CheckValue(key, value string) error {
	v := strings.TrimSpace(value)
	want := ""
	switch o.Type {
	case Int:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			want = "a whole number"
		}
	case Number:
		if f, err := strconv.ParseFloat(v, 64); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			want = "a number"
		}
	case Bool:
		if _, err := strconv.ParseBool(v); err != nil {
			want = "'true' or 'false'"
		}
	case Duration:
		if _, err := ParseDuration(v); err != nil {
			want = "a duration such as '200ms', '5s' or '1 minute'"
		}
	case Size:
		if _, err := ParseSize(v); err != nil {
			want = "a size such as '65536', '64KiB' or '16MiB'"
		}
	case Enum:
		if !slices.Contains(o.Values, strings.ToLower(v)) {
			want = quoteList(o.Values, "or")
		}
	}
	if want == "" {
		return nil
	}
	return optionErr(key, "option %s: want %s, got '%s'", key, want, value)
}

// CheckOptions checks a table's WITH options against the declarations of
// its connector (source and sink: a table may be read and written), and
// returns them with each key spelled as declared ('-' read as '_'). An
// unknown key is an error with the closest declared name; a value is
// checked against its option's type, then the specs' Check functions run.
// A connector registered without a ConfigSpec accepts any options. Errors
// are *OptionError, or what a Check returned.
func (r *Registry) CheckOptions(schema *arrow.Schema, opts map[string]string) (map[string]string, error) {
	conn := strings.ToLower(opts["connector"])
	var specs []ConfigSpec
	if c, ok := r.sourceSpecs[conn]; ok {
		specs = append(specs, c)
	}
	if c, ok := r.sinkSpecs[conn]; ok {
		specs = append(specs, c)
	}
	if len(specs) == 0 {
		return opts, nil
	}
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	slices.Sort(keys) // of several bad options, always report the same one
	out := make(map[string]string, len(opts))
	for _, key := range keys {
		k := canonicalKey(key)
		var decl []Option
		for _, c := range specs {
			if o, ok := c.Option(k); ok {
				decl = append(decl, o)
			}
		}
		if len(decl) == 0 {
			return nil, unknownOption(key, conn, specs)
		}
		if col, ok := matchColumn(decl[0].Name, k); ok && schema != nil && !hasColumn(schema, col) {
			return nil, optionErr(key, "option %s: the table has no column %q", key, col)
		}
		err := decl[0].CheckValue(key, opts[key])
		for _, o := range decl[1:] {
			if err != nil && o.CheckValue(key, opts[key]) == nil {
				err = nil
			}
		}
		if err != nil {
			return nil, err
		}
		if _, dup := out[k]; dup {
			return nil, optionErr(key, "option %s is given twice (also as %s)", k, key)
		}
		out[k] = opts[key]
	}
	for _, c := range specs {
		if c.Check != nil {
			if err := c.Check(schema, out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func hasColumn(schema *arrow.Schema, col string) bool {
	return slices.ContainsFunc(schema.Fields(), func(f arrow.Field) bool { return strings.EqualFold(f.Name, col) })
}

// unknownOption is the error of an undeclared key: with the closest
// declared name if one is close, else with the list of them.
func unknownOption(key, conn string, specs []ConfigSpec) error {
	k := canonicalKey(key)
	best, bestDist := "", -1
	var all []string
	for _, c := range specs {
		for _, o := range c.Options {
			name := o.Name
			listed := name
			if pre, suf, ok := strings.Cut(name, ColumnPlaceholder); ok && strings.HasPrefix(suf, ".") {
				listed = pre + ColumnPlaceholder + ".<option>" // one entry for them all
			}
			if !slices.Contains(all, listed) {
				all = append(all, listed)
			}
			if pre, suf, ok := strings.Cut(name, ColumnPlaceholder); ok {
				// Suggest fields.<the key's column>.x.
				if !strings.HasPrefix(k, pre) {
					continue
				}
				rest := k[len(pre):]
				col := rest
				if dot := strings.LastIndexByte(rest, '.'); dot > 0 {
					col = rest[:dot]
				}
				name = pre + col + suf
			}
			if d := editDistance(k, name); d <= max(2, len(k)/2) && (bestDist < 0 || d < bestDist) {
				best, bestDist = name, d
			}
		}
	}
	if best != "" {
		return optionErr(key, "unknown option '%s' for connector '%s' (did you mean '%s'?)", key, conn, best)
	}
	slices.Sort(all)
	return optionErr(key, "unknown option '%s' for connector '%s' (have %s)", key, conn, strings.Join(all, ", "))
}

// editDistance is the Levenshtein distance of a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// quoteList writes 'a', 'b' or 'c'.
func quoteList(vals []string, conj string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = "'" + v + "'"
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " " + conj + " " + q[len(q)-1]
}

// durationUnits maps the unit words ParseDuration accepts to lengths.
var durationUnits = map[string]time.Duration{
	"ms": time.Millisecond, "millisecond": time.Millisecond, "milliseconds": time.Millisecond,
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
}

// ParseDuration parses a Duration option: Go's form ("200ms", "1m30s") or
// an amount and a unit word ("5 seconds", "1.5 min", "500 ms", "1 day").
// A unit is required; negative durations are an error.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if d, err := time.ParseDuration(t); err == nil {
		if d < 0 {
			return 0, fmt.Errorf("invalid duration %q: must not be negative", s)
		}
		return d, nil
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	unit, ok := durationUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	f, err := strconv.ParseFloat(t[:i], 64)
	if i == 0 || !ok || err != nil || f*float64(unit) > math.MaxInt64 {
		return 0, fmt.Errorf("invalid duration %q: want an amount and a unit such as '200ms', '5s', '5 seconds' or '1 minute'", s)
	}
	return time.Duration(f * float64(unit)), nil
}

// byteUnits maps the size suffixes ParseSize accepts to multipliers.
var byteUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
}

// ParseSize parses a Size option: a whole number of bytes, optionally
// followed by KiB, MiB or GiB (also K/KB, M/MB, G/GB, all powers of 1024).
// It must be positive.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	mult, ok := byteUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if i == 0 || !ok || err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q: want a positive number of bytes such as '65536', '64KiB' or '1MiB'", s)
	}
	return n * mult, nil
}
