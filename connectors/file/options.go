package file

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
)

// SourceConfig declares the options of the file source; register it with
// NewSource.
func SourceConfig() connectors.ConfigSpec {
	return connectors.ConfigSpec{
		Summary: "reads one file of CSV, JSON lines, text or Debezium change events, once (bounded)",
		Bounded: true,
		Options: connectors.Declare([]connectors.Option{
			{Name: "path", Type: connectors.String, Required: true, Doc: "the file to read, relative to the working directory"},
			{Name: "format", Type: connectors.Enum, Values: []string{"csv", "json", "jsonl", "ndjson", "text", "debezium-json"},
				Doc: "csv, json (also jsonl, ndjson), text, or debezium-json (Debezium change events: the table is a changelog); if left out, taken from the path's extension"},
		}, connectors.SourceOptions(), connectors.RecordOptions(), connectors.CSVOptions()),
	}
}

// RollingValues are the values of the sink's option rolling.
var RollingValues = []string{"none", "batch"}

// SinkConfig declares the options of the file sink; register it with
// NewSink.
func SinkConfig() connectors.ConfigSpec {
	return connectors.ConfigSpec{
		Summary: "writes JSON lines or CSV to one file, exactly once with checkpoints",
		Options: connectors.Declare([]connectors.Option{
			{Name: "path", Type: connectors.String, Required: true, Doc: "the file to write (its directory must exist)"},
			{Name: "format", Type: connectors.Enum, Values: []string{"json", "csv", "debezium-json"},
				Doc: "json (one object per line), csv, or debezium-json (a changelog in Debezium's before/after/op envelope); if left out, csv for a path ending in .csv, else json"},
			{Name: "changelog", Type: connectors.Bool, Default: "false",
				Doc: "json: write an updating query's changes, each row with a key _op (+I, -U, +U or -D)"},
			{Name: "rolling", Type: connectors.Enum, Values: RollingValues, Default: "none",
				Doc: "none: all output in one file; batch: a new file for each micro-batch, named from path and suffix"},
			{Name: "suffix", Type: connectors.String, Doc: "rolling = 'batch': the end of each file's name, e.g. '.jsonl'"},
		}, connectors.CSVOptions()),
		Check:     checkSinkOptions,
		Changelog: AcceptsChangelog,
		Guarantee: func(_ map[string]string, checkpointed bool) string {
			if checkpointed {
				return "exactly once (output published at each checkpoint)"
			}
			return "no recovery (without checkpoints a restart writes the file anew)"
		},
	}
}

// AcceptsChangelog reports whether a file sink with options opts writes an
// updating query's changes: with format = 'debezium-json', or 'json' with
// changelog = 'true'. Otherwise it returns an error that says so.
func AcceptsChangelog(opts map[string]string) error {
	on, err := format.ChangelogOption(opts)
	if err != nil {
		return err
	}
	f := sinkFormat(opts)
	switch {
	case f == "debezium-json":
		return nil
	case on && (f == "json" || f == "jsonl" || f == "ndjson"):
		return nil
	case on:
		return fmt.Errorf("option changelog = 'true' needs format = 'json', not '%s' (or write format = 'debezium-json')", f)
	}
	return fmt.Errorf("the file sink writes an updating result only as a changelog: " +
		"set changelog = 'true' (JSON lines with an _op key) or format = 'debezium-json'")
}

// checkSinkOptions refuses changelog = 'true' with a format other than
// json when the table is created.
func checkSinkOptions(_ *arrow.Schema, opts map[string]string) error {
	if on, err := format.ChangelogOption(opts); err != nil || !on {
		return err
	}
	return AcceptsChangelog(opts)
}

// sinkFormat is the sink's format: option format, lower-case, or if it is
// left out csv or text for a path ending in .csv or .txt, else json.
func sinkFormat(opts map[string]string) string {
	if f := strings.ToLower(opts["format"]); f != "" {
		return f
	}
	switch strings.ToLower(filepath.Ext(opts["path"])) {
	case ".csv":
		return "csv"
	case ".txt":
		return "text"
	}
	return "json"
}
