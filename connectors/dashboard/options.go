package dashboard

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/vector"
)

// ChartKinds are the values of option chart.
var ChartKinds = []string{"line", "bar", "table"}

// Config declares the dashboard sink's options and checks them against
// the table's columns. Register it with NewSink.
func Config() connectors.ConfigSpec {
	return connectors.ConfigSpec{
		Summary: "shows a query's results as a live chart on the page of weir --http (the last 2000 points)",
		Options: connectors.Declare([]connectors.Option{
			{Name: "chart", Type: connectors.Enum, Values: ChartKinds, Default: "line",
				Doc: "how the page draws the points: a line per series, bars, or a table"},
			{Name: "x", Type: connectors.String, Required: true, Doc: "the column on the x axis"},
			{Name: "y", Type: connectors.String, Required: true, Doc: "the column on the y axis, numeric"},
			{Name: "series", Type: connectors.String, Doc: "the column whose values split the points into series (one line or bar colour each)"},
		}),
		Check: func(schema *arrow.Schema, opts map[string]string) error {
			_, err := parseOptions(schema, opts)
			return err
		},
		Changelog: func(map[string]string) error { return nil },
		Guarantee: func(map[string]string, bool) string { return "best effort (in memory, for viewing)" },
	}
}

// options are a dashboard table's options, resolved against its schema.
type options struct {
	chart        string
	x, y, series int // column indexes; series is -1 without one
}

// parseOptions checks the options and finds their columns in schema
// (whose op column, if any, is not one of them).
func parseOptions(schema *arrow.Schema, opts map[string]string) (options, error) {
	o := options{chart: "line", series: -1}
	if c := strings.ToLower(strings.TrimSpace(opts["chart"])); c != "" {
		o.chart = c
	}
	col := func(opt string, required bool) (int, error) {
		name := strings.TrimSpace(opts[opt])
		if name == "" {
			if required {
				return -1, fmt.Errorf("option %s is required for connector 'dashboard': name the column on the %s axis", opt, opt)
			}
			return -1, nil
		}
		if schema == nil {
			return -1, nil
		}
		var names []string
		for i, f := range schema.Fields() {
			if vector.IsOpField(f) {
				continue
			}
			if strings.EqualFold(f.Name, name) {
				return i, nil
			}
			names = append(names, f.Name)
		}
		return -1, fmt.Errorf("option %s: the table has no column %q (have %s)", opt, name, strings.Join(names, ", "))
	}
	var err error
	if o.x, err = col("x", true); err != nil {
		return o, err
	}
	if o.y, err = col("y", true); err != nil {
		return o, err
	}
	if o.series, err = col("series", false); err != nil {
		return o, err
	}
	if schema != nil {
		if t := schema.Field(o.y).Type.ID(); t != arrow.INT64 && t != arrow.FLOAT64 {
			return o, fmt.Errorf("option y: column %q is %s, want a number (BIGINT or DOUBLE)", schema.Field(o.y).Name, vector.TypeName(schema.Field(o.y).Type))
		}
	}
	return o, nil
}
