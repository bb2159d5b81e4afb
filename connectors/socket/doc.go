// Package socket is the "socket" connector: a live source that connects
// to a TCP server as a client, like Spark's socketTextStream (run
// `nc -lk 9999` on the other side), and reads newline-delimited records.
//
// Table options (keys lower-case; Config declares them, with the options
// every source takes: on_error, dead_letter_path, idle_timeout,
// invalid_utf8):
//
//	host              the server (default 127.0.0.1)
//	port              its port, 1..65535 (required)
//	format            text (default; one VARCHAR column), csv or json
//	header            csv: whether each connection starts with a header
//	                  line (default false: fields map to columns by
//	                  position)
//	delimiter         csv: the field separator (default ",")
//	max_record_bytes  the longest record accepted (default 1MiB; also KiB,
//	                  MiB suffixes), as for every source; a longer one is
//	                  a bad row, skipped, and never buffered whole
//	reconnect_max     the longest wait between reconnect attempts (default
//	                  5s); waits start at 100ms and double
//	buffer_bytes      how many bytes of decoded rows may wait for the
//	                  query (default 64MiB); when they do, the socket is
//	                  not read and TCP flow control slows the sender
//
// When the peer closes the connection or it fails, and when a connect
// fails, the source logs a warning and tries again, forever, until the
// query stops. A record cut off by a failed connection is a bad row; one
// ended by the peer closing cleanly is kept. Rows already received are
// kept across reconnects. Bad rows are reported as "host:port:line N",
// lines counted from 1 on each connection.
//
// # Write-ahead log
//
// A socket cannot be read again, so when the query is checkpointed
// (SourceSpec.StateDir is set) NewSource returns a *WALSource, which
// keeps a write-ahead log, as Spark Streaming's receivers do since 1.2.
// Every complete record received is appended, as the raw bytes with
// their '\n', to the log in the state directory before its rows are
// queued: written to the file, so a killed process loses none of it, and
// fsynced when Position is called, so a checkpoint never points past
// durable input. Segments are files wal-<offset>.log, where a connection's
// input starts, and wal-<offset>.cont.log, rotated at 64MiB; <offset>
// counts bytes from the first record ever logged. A line longer than
// max_record_bytes is logged cut to max_record_bytes+1 bytes (it is a bad
// row either way), and a last line ended by the peer closing gets a '\n'.
//
// Position is a log offset at a record boundary, with what a decoder
// starting there needs (the line number, a CSV header) and how many rows
// after it Next already returned, so a checkpoint between two rows of a
// batch is exact. After a crash, Seek to the checkpoint's position makes
// the source replay the log from there to its end, decoded as the live
// input was (the same rows, the same bad rows), before it connects again;
// new input is appended after the log's end. Without a checkpoint (no
// Seek), the whole log is replayed: nothing in it was checkpointed. So
// what the source received before a crash is neither lost nor returned
// twice; what the peer sent that the source had not yet received is lost.
// A Position call deletes the segments wholly before the position of the
// call before it (checkpoints keep the last two).
//
// A source with a log starts reading (the log, then the socket) at Seek or
// at the first Next, whichever comes first. An error writing the log
// fails the query.
//
// The command registers the connector explicitly:
//
//	reg.RegisterSource("socket", socket.NewSource, socket.Config())
package socket
