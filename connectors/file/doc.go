// Package file is the "file" connector: a bounded source that reads one
// file of CSV, JSON lines or text, and a sink that writes JSON lines or CSV
// to one file.
//
// Table options (keys lower-case; SourceConfig and SinkConfig declare
// them, with the options every source takes: on_error, dead_letter_path,
// idle_timeout, invalid_utf8):
//
//	path       the file, relative to the working directory (required)
//	format     csv, json (also jsonl, ndjson) or text for a source, json or
//	           csv for a sink; if left out, taken from the path's extension
//	           (.csv; .json, .jsonl, .ndjson; .txt, .log, .text)
//	header     csv: whether the first line names the columns (default true)
//	delimiter  csv: the field separator (default ","; "\t" or "tab" for tabs)
//	max_record_bytes
//	           source: the longest record read (default 16MiB; also KiB,
//	           MiB, GiB suffixes). A longer one is reported as a bad row
//	           and skipped without being held in memory (a CSV record
//	           with an unclosed quote then runs to the end of the file).
//	           The read buffer never grows past this, so a small value
//	           also makes reads small.
//
// Checkpoints. The source is a connectors.Seeker: its position is JSON
// {"offset":N,"line":L}, the byte offset of the next unread record and
// the line it starts on (no line for text). Seek reads a CSV file's
// header first, so columns map by it, then goes on at the offset.
//
// The sink is a connectors.Checkpointer and writes exactly once: rows go
// to <path>.pending (Commit writes them there), Checkpoint moves them to
// <path> (an append, or a rename while <path> is empty, then fsync) and
// returns JSON {"length":N}, <path>'s length; Restore cuts <path> back to
// that length and empties the pending file. Readers of <path> see only
// checkpointed output. A new sink replaces an existing <path> at its
// first Checkpoint or Close unless Restore comes first; Close is a last
// Checkpoint that removes the pending file, so a run without checkpoints
// leaves everything in <path>, as before.
//
// The command registers the connector explicitly:
//
//	reg.RegisterSource("file", file.NewSource, file.SourceConfig())
//	reg.RegisterSink("file", file.NewSink, file.SinkConfig())
package file
