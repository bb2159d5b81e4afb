// Package format decodes records (CSV, JSON lines, plain text lines) into
// Arrow record batches of a given schema, and encodes batches back into
// CSV or JSON lines. Sources and sinks of every connector share it.
//
// A Decoder is fed raw input in chunks of any size; it consumes whole
// records only (it knows where a CSV record with quoted newlines ends), so
// the caller just carries the unconsumed tail over to the next call. Bad
// records are reported with their line numbers and skipped. An Encoder
// writes batches as lines to an io.Writer.
//
// ParseTimestamp and FormatTimestamp are the one definition of how Weir
// reads and writes TIMESTAMP(3) text; the planner reuses them for casts
// and literals.
package format
