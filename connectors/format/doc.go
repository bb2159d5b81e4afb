// Package format decodes records (CSV, JSON lines, plain text lines,
// Debezium change events as a changelog) into Arrow record batches of a
// given schema, and encodes batches back into CSV or JSON lines. Sources
// and sinks of every connector share it.
//
// A Decoder is fed raw input in chunks of any size; it consumes whole
// records only (it knows where a CSV record with quoted newlines ends), so
// the caller just carries the unconsumed tail over to the next call. Bad
// records are reported with their line numbers and skipped: among them
// records with a VARCHAR value that is not valid UTF-8 (option
// invalid_utf8) and records without the table's event-time column. An
// Encoder writes batches as lines (CSV, JSON, text) to an io.Writer; an
// updating stream's batches (a changelog, ending with vector.OpField) get
// their row kind as a first "_op" key or column, or, in "debezium-json",
// Debezium's before/after/op envelope.
//
// TIMESTAMP(3) text is read and written with vector.ParseTimestamp and
// vector.AppendTimestamp, the one definition Weir's casts and literals use
// too: RFC 3339 ("2024-01-01T00:00:05.000Z") in JSON, "2024-01-01
// 00:00:05.000" in CSV. (The common 'YYYY-MM-DD HH:MM:SS.fff' shape takes
// a fast path that keeps the column's last date; it gives the same values
// and errors.)
//
// Decoding allocates nothing per value: rows are written straight into
// the Arrow buffers of the batch being built (row_builder.go), CSV fields
// of one-line records are parsed as they are found, and plain numbers,
// decimals and timestamps take exact fast paths before the general
// parsers. Decoders share no state, so a source may run one per goroutine.
package format
