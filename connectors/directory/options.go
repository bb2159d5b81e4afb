package directory

import "github.com/weirdb/weir/connectors"

// Config declares the options of the directory source; register it with
// NewSource.
func Config() connectors.ConfigSpec {
	return connectors.ConfigSpec{
		Summary: "watches a directory and reads each file moved into it, once, whole (live)",
		Options: connectors.Declare([]connectors.Option{
			{Name: "path", Type: connectors.String, Required: true, Doc: "the directory to watch (it must exist)"},
			{Name: "format", Type: connectors.Enum, Values: []string{"csv", "json", "jsonl", "ndjson", "text"},
				Doc: "csv, json (also jsonl, ndjson) or text; if left out, taken from the extension in pattern"},
			{Name: "pattern", Type: connectors.String, Doc: "a glob the file's base name must match, e.g. '*.csv' (default: every name)"},
			{Name: "poll_interval", Type: connectors.Duration, Default: "200ms", Doc: "how often the directory is listed"},
			{Name: "buffer_bytes", Type: connectors.Size, Default: "4MiB",
				Doc: "decoded rows that may wait for the query; while they do, reading and scanning pause"},
		}, connectors.SourceOptions(), connectors.RecordOptions(), connectors.CSVOptions()),
	}
}
