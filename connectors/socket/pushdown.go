package socket

import "github.com/weirdb/weir/connectors"

// ContainsPushdown reports how a socket source with these options takes a
// Contains hint: inexact for text (the default format), whose decoder
// skips the lines without the text. A source with a write-ahead log
// (checkpointed) logs and replays every line and ignores the hint.
func ContainsPushdown(options map[string]string) connectors.Pushdown {
	format := options["format"]
	if format == "" {
		format = "text"
	}
	return connectors.TextContains(format)
}
