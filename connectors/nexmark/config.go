package nexmark

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
)

// The options' names.
const (
	optType     = "nexmark.table.type"
	optEvents   = "nexmark.events"
	optRate     = "nexmark.events_per_second"
	optBaseTime = "nexmark.base_time"
	optDelay    = "nexmark.inter_event_delay"
)

// DefaultBaseTime is the time of event 0 unless nexmark.base_time says
// otherwise: the reference's base time in its tests.
var DefaultBaseTime = time.Date(2015, 7, 15, 0, 0, 0, 0, time.UTC)

// defaultDelay is the event time between two events of an unpaced source:
// the reference's default of 10,000 events per second.
const defaultDelay = 100 * time.Microsecond

// Config declares the options of the nexmark source; register it with
// NewSource. Its Check parses them and matches the table's columns, so a
// bad value or an unknown column fails when the table is created.
func Config() connectors.ConfigSpec {
	return connectors.ConfigSpec{
		Summary: "the Nexmark benchmark's person, auction and bid streams, made up deterministically (bounded with nexmark.events)",
		// With an end and no pace a table is read back to back like a
		// file: an unwindowed GROUP BY over it emits its final result.
		BoundedWhen: func(opts map[string]string) bool {
			n, _ := strconv.ParseInt(opts[optEvents], 10, 64)
			r, _ := strconv.ParseFloat(opts[optRate], 64)
			return n > 0 && r == 0
		},
		Options: connectors.Declare([]connectors.Option{
			{Name: optType, Type: connectors.Enum, Values: []string{"person", "auction", "bid"}, Required: true,
				Doc: "the kind of event the table holds: person, auction or bid"},
			{Name: optEvents, Type: connectors.Int, Default: "0",
				Doc: "events of the whole history, all three kinds counted; the source ends after them (0: never)"},
			{Name: optRate, Type: connectors.Number, Default: "0",
				Doc: "events (all kinds) per second, paced like a live source; 0: as fast as the query reads"},
			{Name: optBaseTime, Type: connectors.String, Default: "2015-07-15 00:00:00",
				Doc: "the event time of event 0, UTC"},
			{Name: optDelay, Type: connectors.Duration,
				Doc: "the event time between two events (default: 1s / events_per_second when paced, else 100us)"},
		}, connectors.SourceOptions()),
		Check: func(schema *arrow.Schema, opts map[string]string) error {
			cfg, err := parseOptions(opts)
			if err != nil {
				return err
			}
			_, err = matchColumns(schema, cfg.kind)
			return err
		},
	}
}

// config is the parsed options.
type config struct {
	kind    Kind
	events  int64   // events of the history; math.MaxInt64: no end
	bounded bool    // nexmark.events was set, > 0
	rate    float64 // events per second; 0: unpaced
	baseMs  int64
	delayNs int64
}

// parseOptions reads the table options (keys as declared, or lower-case
// as a source is given them).
func parseOptions(opts map[string]string) (*config, error) {
	c := &config{events: math.MaxInt64, baseMs: DefaultBaseTime.UnixMilli()}
	get := func(k string) (string, bool) {
		v, ok := opts[k]
		return strings.TrimSpace(v), ok
	}
	v, ok := get(optType)
	if !ok {
		return nil, &connectors.OptionError{Key: optType, Msg: fmt.Sprintf("option %s is required: person, auction or bid", optType)}
	}
	switch strings.ToLower(v) {
	case "person":
		c.kind = Person
	case "auction":
		c.kind = Auction
	case "bid":
		c.kind = Bid
	default:
		return nil, &connectors.OptionError{Key: optType, Msg: fmt.Sprintf("option %s: want person, auction or bid, got %q", optType, v)}
	}
	if v, ok := get(optEvents); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, &connectors.OptionError{Key: optEvents, Msg: fmt.Sprintf("option %s: want a whole number of events, 0 (no end) or more, got %q", optEvents, v)}
		}
		if n > 0 {
			c.events, c.bounded = n, true
		}
	}
	if v, ok := get(optRate); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, &connectors.OptionError{Key: optRate, Msg: fmt.Sprintf("option %s: want a number of events per second, 0 (as fast as possible) or more, got %q", optRate, v)}
		}
		c.rate = f
	}
	if v, ok := get(optBaseTime); ok {
		t, err := parseTime(v)
		if err != nil {
			return nil, &connectors.OptionError{Key: optBaseTime, Msg: fmt.Sprintf("option %s: want a time such as '2015-07-15 00:00:00' (UTC), got %q", optBaseTime, v)}
		}
		c.baseMs = t.UnixMilli()
	}
	c.delayNs = int64(defaultDelay)
	if c.rate > 0 {
		c.delayNs = max(1, int64(math.Round(1e9/c.rate)))
	}
	if v, ok := get(optDelay); ok {
		d, err := connectors.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, &connectors.OptionError{Key: optDelay, Msg: fmt.Sprintf("option %s: want a positive duration such as '100us' or '1ms', got %q", optDelay, v)}
		}
		c.delayNs = int64(d)
	}
	return c, nil
}

// parseTime reads a UTC time: '2015-07-15 00:00:00[.000]', the same with
// a T, RFC 3339, or a date.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", s)
}

// matchColumns maps each column of schema to the field of kind k it
// names (without regard to case), checking its type.
func matchColumns(schema *arrow.Schema, k Kind) ([]int, error) {
	out := make([]int, schema.NumFields())
	for c, f := range schema.Fields() {
		out[c] = -1
		for j, fd := range kindFields[k] {
			if strings.EqualFold(f.Name, fd.name) {
				out[c] = j
			}
		}
		if out[c] < 0 {
			return nil, fmt.Errorf("column %s: a nexmark %s table has no such column (it has %s)", f.Name, k, fieldNames(k))
		}
		want := kindFields[k][out[c]].typ
		if !typeIs(f.Type, want) {
			return nil, fmt.Errorf("column %s: a nexmark %s's %s is %s, not %s", f.Name, k, kindFields[k][out[c]].name, want, sqlType(f.Type))
		}
	}
	return out, nil
}

func typeIs(t arrow.DataType, want colType) bool {
	switch want {
	case bigint:
		return t.ID() == arrow.INT64
	case varchar:
		return t.ID() == arrow.STRING
	}
	tt, ok := t.(*arrow.TimestampType)
	return ok && tt.Unit == arrow.Millisecond
}

// sqlType is the SQL name of a column type, for messages.
func sqlType(t arrow.DataType) string {
	switch t.ID() {
	case arrow.INT64:
		return "BIGINT"
	case arrow.INT32:
		return "INT"
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
