package socket

import "github.com/weirdb/weir/connectors"

// Config declares the options of the socket source; register it with
// NewSource.
func Config() connectors.ConfigSpec {
	return connectors.ConfigSpec{
		Summary: "connects to a TCP server and reads newline-delimited records (live)",
		Options: connectors.Declare([]connectors.Option{
			{Name: "host", Type: connectors.String, Default: "127.0.0.1", Doc: "the server to connect to"},
			{Name: "port", Type: connectors.Int, Required: true, Doc: "the server's TCP port, 1 to 65535"},
			{Name: "format", Type: connectors.Enum, Values: []string{"csv", "json", "jsonl", "ndjson", "text"}, Default: "text",
				Doc: "csv, json (also jsonl, ndjson) or text (one line, one VARCHAR column)"},
			{Name: "header", Type: connectors.Bool, Default: "false", Doc: "csv: each connection starts with a line naming the columns"},
			{Name: "max_record_bytes", Type: connectors.Size, Default: "1MiB",
				Doc: "the longest record accepted; a longer one is a bad row, skipped and never buffered whole"},
			{Name: "reconnect_max", Type: connectors.Duration, Default: "5s", Doc: "the longest wait between reconnect attempts (waits start at 100ms and double)"},
			{Name: "buffer_bytes", Type: connectors.Size, Default: "64MiB",
				Doc: "decoded rows that may wait for the query; when full, the socket is not read"},
		}, connectors.SourceOptions(), connectors.RecordOptions(), connectors.CSVOptions()),
	}
}
