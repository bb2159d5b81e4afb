package datagen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live"
)

const (
	defaultRate   = 1000
	defaultBuffer = 4 << 20
)

// config is the parsed table options.
type config struct {
	rate   float64
	limit  int64 // rows to generate; -1: no limit
	seed   uint64
	seeded bool
	budget int64
	fields []map[string]string // per schema field: option name -> value
	keys   []map[string]string // per schema field: option name -> key as written
}

// normalize makes Flink's hyphenated option names underscored.
func normalize(key string) string { return strings.ReplaceAll(strings.ToLower(key), "-", "_") }

// parseOptions reads the table options for schema.
func parseOptions(schema *arrow.Schema, opts map[string]string) (*config, error) {
	c := &config{rate: defaultRate, limit: -1, budget: defaultBuffer}
	c.fields = make([]map[string]string, schema.NumFields())
	c.keys = make([]map[string]string, schema.NumFields())
	for i := range c.fields {
		c.fields[i], c.keys[i] = map[string]string{}, map[string]string{}
	}
	// Sorted, so that of several bad options the same one is reported.
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		v := strings.TrimSpace(opts[key])
		switch k := normalize(key); {
		case k == "rows_per_second":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || !(f > 0) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("option %s: want a positive number of rows, got %q", key, v)
			}
			c.rate = f
		case k == "number_of_rows":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("option %s: want a whole number of rows, 0 or more, got %q", key, v)
			}
			c.limit = n
		case k == "seed":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("option %s: want an integer, got %q", key, v)
			}
			c.seed, c.seeded = uint64(n), true
		case k == "buffer_bytes":
			n, err := live.ParseBytes(v)
			if err != nil {
				return nil, fmt.Errorf("option %s: %w", key, err)
			}
			c.budget = n
		case strings.HasPrefix(k, "fields."):
			rest := k[len("fields."):]
			dot := strings.LastIndexByte(rest, '.')
			if dot <= 0 || dot == len(rest)-1 {
				return nil, fmt.Errorf("option %s: want fields.<column>.<option>", key)
			}
			col, name := rest[:dot], rest[dot+1:]
			i := slices.IndexFunc(schema.Fields(), func(f arrow.Field) bool { return strings.EqualFold(f.Name, col) })
			if i < 0 {
				return nil, fmt.Errorf("option %s: the table has no column %q", key, col)
			}
			c.fields[i][name], c.keys[i][name] = v, key
		}
	}
	return c, nil
}

// fieldOptions are the per-column options that apply to each type.
var fieldOptions = map[arrow.Type][]string{
	arrow.INT64:     {"kind", "null_rate", "min", "max", "start", "end", "wrap"},
	arrow.FLOAT64:   {"kind", "null_rate", "min", "max"},
	arrow.STRING:    {"kind", "null_rate", "length", "words"},
	arrow.BOOL:      {"kind", "null_rate"},
	arrow.TIMESTAMP: {"kind", "null_rate", "max_past"},
}

// sequenceOptions apply only with kind = 'sequence', randomOptions only
// with kind = 'random'.
var (
	sequenceOptions = []string{"start", "end", "wrap"}
	randomOptions   = []string{"min", "max"}
)

// newGenerator builds the generator of schema field i.
func (c *config) newGenerator(f arrow.Field, i int, mem memory.Allocator) (generator, error) {
	o, keys := c.fields[i], c.keys[i]
	bad := func(name, format string, args ...any) error {
		return &connectors.OptionError{Key: keys[name], Msg: fmt.Sprintf("option %s: %s", keys[name], fmt.Sprintf(format, args...))}
	}
	allowed, ok := fieldOptions[f.Type.ID()]
	if tt, isTS := f.Type.(*arrow.TimestampType); !ok || isTS && tt.Unit != arrow.Millisecond {
		return nil, fmt.Errorf("column %s: datagen cannot generate type %s", f.Name, f.Type)
	}
	names := make([]string, 0, len(o))
	for name := range o {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !slices.Contains(allowed, name) {
			return nil, &connectors.OptionError{Key: keys[name],
				Msg: fmt.Sprintf("unknown option '%s' for a %s column (have %s)", keys[name], typeName(f.Type), strings.Join(allowed, ", "))}
		}
	}
	kind := "random"
	if v, ok := o["kind"]; ok {
		kind = strings.ToLower(v)
		if kind != "random" && kind != "sequence" {
			return nil, bad("kind", "want 'random' or 'sequence', got %q", v)
		}
		if kind == "sequence" && f.Type.ID() != arrow.INT64 {
			return nil, bad("kind", "a sequence must be a BIGINT column, not %s", typeName(f.Type))
		}
	}
	for _, name := range names {
		if kind == "random" && slices.Contains(sequenceOptions, name) {
			return nil, bad(name, "applies only with kind = 'sequence'")
		}
		if kind == "sequence" && slices.Contains(randomOptions, name) {
			return nil, bad(name, "applies only with kind = 'random' (a sequence has start and end)")
		}
	}
	b := base{rng: rand.New(rand.NewPCG(c.seed, uint64(i)+1))}
	if v, ok := o["null_rate"]; ok {
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || !(p >= 0 && p <= 1) {
			return nil, bad("null_rate", "want a number from 0 to 1, got %q", v)
		}
		b.nullRate = p
	}
	intOpt := func(name string, def int64) (int64, error) {
		v, ok := o[name]
		if !ok {
			return def, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, bad(name, "want an integer, got %q", v)
		}
		return n, nil
	}
	switch f.Type.ID() {
	case arrow.INT64:
		ib := array.NewInt64Builder(mem)
		b.b = ib
		if kind == "sequence" {
			g := &int64Seq{base: b, ib: ib}
			var err error
			if g.start, err = intOpt("start", 0); err == nil {
				g.end, err = intOpt("end", math.MaxInt64)
			}
			if err != nil {
				ib.Release()
				return nil, err
			}
			_, g.hasEnd = o["end"]
			if g.end < g.start {
				ib.Release()
				return nil, bad("end", "%d is less than start (%d)", g.end, g.start)
			}
			if v, ok := o["wrap"]; ok {
				w, err := strconv.ParseBool(v)
				if err != nil {
					ib.Release()
					return nil, bad("wrap", "want 'true' or 'false', got %q", v)
				}
				g.wrap = w
			}
			g.next = g.start
			return g, nil
		}
		lo, err := intOpt("min", 0)
		hi := int64(0)
		if err == nil {
			hi, err = intOpt("max", 1000)
		}
		if err == nil && hi < lo {
			err = bad("max", "%d is less than min (%d)", hi, lo)
		}
		if err != nil {
			ib.Release()
			return nil, err
		}
		return &int64Random{base: b, ib: ib, min: lo, span: uint64(hi-lo) + 1}, nil
	case arrow.FLOAT64:
		fb := array.NewFloat64Builder(mem)
		b.b = fb
		lo, hi := 0.0, 1.0
		for _, p := range []struct {
			name string
			dst  *float64
		}{{"min", &lo}, {"max", &hi}} {
			if v, ok := o[p.name]; ok {
				x, err := strconv.ParseFloat(v, 64)
				if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
					fb.Release()
					return nil, bad(p.name, "want a number, got %q", v)
				}
				*p.dst = x
			}
		}
		if hi < lo || math.IsInf(hi-lo, 0) {
			fb.Release()
			return nil, bad("max", "%g must be at least min (%g), within range", hi, lo)
		}
		return &float64Random{base: b, fb: fb, min: lo, width: hi - lo}, nil
	case arrow.STRING:
		g := &stringsGen{base: b, kind: oneWord}
		_, hasLen := o["length"]
		_, hasWords := o["words"]
		if hasLen && hasWords {
			return nil, bad("words", "set length or words, not both")
		}
		for _, p := range []struct {
			name string
			kind stringKind
		}{{"length", chars}, {"words", manyWord}} {
			if v, ok := o[p.name]; ok {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 || n > 1<<20 {
					return nil, bad(p.name, "want a whole number from 0 to 1048576, got %q", v)
				}
				g.kind, g.n = p.kind, n
			}
		}
		g.sb = array.NewStringBuilder(mem)
		g.b = g.sb
		return g, nil
	case arrow.BOOL:
		bb := array.NewBooleanBuilder(mem)
		b.b = bb
		return &boolRandom{base: b, bb: bb}, nil
	default: // TIMESTAMP(3)
		g := &timestamps{base: b}
		if v, ok := o["max_past"]; ok {
			d, err := live.ParseDuration(v)
			if err != nil {
				return nil, bad("max_past", "%v", err)
			}
			g.maxPast = d.Milliseconds()
		}
		g.tb = array.NewTimestampBuilder(mem, f.Type.(*arrow.TimestampType))
		g.b = g.tb
		return g, nil
	}
}

// typeName is the SQL name of a column type.
func typeName(t arrow.DataType) string {
	switch t.ID() {
	case arrow.INT64:
		return "BIGINT"
	case arrow.FLOAT64:
		return "DOUBLE"
	case arrow.STRING:
		return "VARCHAR"
	case arrow.BOOL:
		return "BOOLEAN"
	case arrow.TIMESTAMP:
		return "TIMESTAMP"
	}
	return t.String()
}
