package file

import "github.com/weirdb/weir/connectors"

// SourceConfig declares the options of the file source; register it with
// NewSource.
func SourceConfig() connectors.ConfigSpec {
	return connectors.ConfigSpec{
		Summary: "reads one file of CSV, JSON lines or text, once (bounded)",
		Bounded: true,
		Options: connectors.Declare([]connectors.Option{
			{Name: "path", Type: connectors.String, Required: true, Doc: "the file to read, relative to the working directory"},
			{Name: "format", Type: connectors.Enum, Values: []string{"csv", "json", "jsonl", "ndjson", "text"},
				Doc: "csv, json (also jsonl, ndjson) or text; if left out, taken from the path's extension"},
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
			{Name: "format", Type: connectors.Enum, Values: []string{"json", "csv"},
				Doc: "json (one object per line) or csv; if left out, csv for a path ending in .csv, else json"},
			{Name: "rolling", Type: connectors.Enum, Values: RollingValues, Default: "none",
				Doc: "none: all output in one file; batch: a new file for each micro-batch, named from path and suffix"},
			{Name: "suffix", Type: connectors.String, Doc: "rolling = 'batch': the end of each file's name, e.g. '.jsonl'"},
		}, connectors.CSVOptions()),
	}
}
