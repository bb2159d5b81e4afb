// Package file is the "file" connector: a bounded source that reads one
// file of CSV, JSON lines or text, and a sink that writes JSON lines, CSV
// or text to one file, or to one file per micro-batch.
//
// Table options (keys lower-case; SourceConfig and SinkConfig declare
// them, with the options every source takes: on_error, dead_letter_path,
// idle_timeout, invalid_utf8):
//
//	path       the file, relative to the working directory (required);
//	           with rolling = 'batch' the files' name prefix
//	format     csv, json (also jsonl, ndjson) or text; if left out, taken
//	           from the path's extension (.csv; .json, .jsonl, .ndjson;
//	           .txt, .log, .text for a source, .txt for a sink), else json
//	           for a sink. A text sink writes the one VARCHAR column of
//	           each row as a line (NULL: an empty line); a query with other
//	           output columns is refused when it is planned. A sink's
//	           format may also be debezium-json: each change of an updating
//	           query in Debezium's envelope, {"before":...,"after":...,
//	           "op":"c"|"u"|"d"} (a -U/+U pair is one "u"). A source in
//	           format debezium-json reads such events as a changelog (its
//	           batches end with the op column): the table is updating.
//	changelog  sink, json: 'true' writes every row with a first key "_op",
//	           its kind (+I, -U, +U, -D); default 'false'. An updating
//	           query's rows (their batches end with vector.OpField) are
//	           refused unless changelog = 'true' or format = 'debezium-json'.
//	invalid_utf8
//	           source: what a VARCHAR value that is not valid UTF-8 does:
//	           'error' (the default: the row is bad, see on_error),
//	           'replace' (each run of bad bytes becomes U+FFFD) or 'keep'
//	           (the bytes stay; a JSON sink then refuses the value)
//	rolling    sink: 'none' (the default: one file) or 'batch': one file
//	           per micro-batch that produced rows, named
//	           <path>-<batch time in ms>.<suffix>, as Spark's
//	           saveAsTextFiles(prefix, suffix) does; a batch without rows
//	           makes no file. If two batches share a millisecond the later
//	           file is named a millisecond later.
//	suffix     sink with rolling = 'batch': the files' extension (default
//	           the format's: txt, json or csv; '' for none)
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
// Reading. A file of 1 MiB or more that is decoded in parallel (below)
// or searched for a pushed-down LIKE text is memory-mapped when reading
// starts (as long as it is then) instead of read into a buffer, so
// reading copies nothing; the pages decoded leave the process's resident
// memory as it goes. Other files are read 4 MiB at a time. With SourceSpec.Parallelism N > 1 (SET parallelism, weir
// run --parallelism; the default is the number of cores) a mapped file
// with more than 4 MiB to read is decoded on N goroutines: one cuts it
// into chunks of about 4 MiB, each ending at a record boundary (the next
// newline; for CSV, the next one outside a quoted field, following the
// decoder's grammar: only quotes are looked at one by one; a chunk is
// lengthened to end where a batch does while every line is a record), N
// workers decode whole chunks, each with a decoder of its own, and Next
// returns the batches in file order, with at most 2N chunks cut ahead of
// it, in batches of exactly maxRows rows as on one goroutine (the rows at
// the end of one chunk are copied together with those at the start of
// the next, when a chunk does not end where a batch does). The rows, their batches, and the bad rows with
// their lines (path:line) are exactly those of reading on one goroutine,
// and positions restore exactly; max_record_bytes, on_error and
// invalid_utf8 work as before. A text file with a pushed-down LIKE
// filter is searched for the text chunk by chunk, on every worker.
//
// Checkpoints. The source is a connectors.Seeker: its position is JSON
// {"offset":N,"line":L}, the byte offset of the next unread record and
// the line it starts on (no line for text read with
// invalid_utf8 = 'keep' or a pushed-down LIKE filter); decoded in
// parallel, a batch can end inside rows decoded together, and the
// position is then their start with "rows":K, the rows of them returned,
// which Seek skips (on one goroutine or several). Seek reads a CSV file's
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
// With rolling = 'batch' the sink is a RollingSink. Each batch's rows are
// written under a hidden temporary name in the same directory and renamed
// when the batch commits: to the final name when the query is not
// checkpointed; else to .<name>.tmp, renamed to <name> by the checkpoint
// that covers the batch. Its state is JSON {"last":ms}, the batch time of
// the last file published; Restore deletes the files of the prefix
// published after it and every temporary one, so the output after a crash
// equals one run. A new sink leaves existing files alone.
//
// The command registers the connector explicitly:
//
//	reg.RegisterSource("file", file.NewSource, file.SourceConfig())
//	reg.RegisterSink("file", file.NewSink, file.SinkConfig())
package file
