package datagen

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
)

// Config declares the options of the datagen source; register it with
// NewSource. Its Check builds every column's generator, so an option that
// does not apply to its column's type, or a bad range, fails when the
// table is created.
func Config() connectors.ConfigSpec {
	field := func(opt string, t connectors.OptionType, def, doc string) connectors.Option {
		return connectors.Option{Name: "fields." + connectors.ColumnPlaceholder + "." + opt, Type: t, Default: def, Doc: doc}
	}
	kind := field("kind", connectors.Enum, "random", "random, or sequence (BIGINT only)")
	kind.Values = []string{"random", "sequence"}
	return connectors.ConfigSpec{
		Summary: "makes up rows at a steady rate, like Flink's datagen (live, or bounded with number_of_rows)",
		Options: connectors.Declare([]connectors.Option{
			{Name: "rows_per_second", Type: connectors.Number, Default: strconv.Itoa(defaultRate), Doc: "rows generated per second (decimals allowed)"},
			{Name: "number_of_rows", Type: connectors.Int, Doc: "stop after this many rows, making the source bounded (default: never stop)"},
			{Name: "seed", Type: connectors.Int, Doc: "seed of the random values, for the same values on every run (default: random, logged)"},
			{Name: "buffer_bytes", Type: connectors.Size, Default: "4MiB", Doc: "rows that may wait for the query; while they do, generation pauses"},
			kind,
			field("min", connectors.Number, "0", "random BIGINT or DOUBLE: the least value"),
			field("max", connectors.Number, "", "random BIGINT: the greatest value (default 1000); DOUBLE: the bound, exclusive (default 1)"),
			field("start", connectors.Int, "0", "sequence: the first value"),
			field("end", connectors.Int, "", "sequence: the last value; the source then ends after it (default: no end)"),
			field("wrap", connectors.Bool, "false", "sequence: start again at start after end"),
			field("length", connectors.Int, "", "VARCHAR: a random string of this many characters [a-z0-9]"),
			field("words", connectors.Int, "1", "VARCHAR: a line of this many random words"),
			field("null_rate", connectors.Number, "0", "the chance, 0 to 1, that a value is NULL"),
			field("max_past", connectors.Duration, "", "TIMESTAMP: each value is the generation time minus a random delay up to this"),
		}, connectors.SourceOptions()),
		Check: check,
	}
}

// check parses the options and builds (then frees) each column's
// generator, as NewSource does.
func check(schema *arrow.Schema, opts map[string]string) error {
	cfg, err := parseOptions(schema, opts)
	if err != nil {
		return err
	}
	for i, f := range schema.Fields() {
		g, err := cfg.newGenerator(f, i, memory.DefaultAllocator)
		if err != nil {
			return err
		}
		g.release()
	}
	return nil
}
