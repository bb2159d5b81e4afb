// Package socket is the "socket" connector: a live source that connects
// to a TCP server as a client, like Spark's socketTextStream (run
// `nc -lk 9999` on the other side), and reads newline-delimited records.
//
// Table options (keys lower-case):
//
//	host            the server (default 127.0.0.1)
//	port            its port, 1..65535 (required)
//	format          text (default; one VARCHAR column), csv or json
//	header          csv: whether each connection starts with a header line
//	                (default false: fields map to columns by position)
//	delimiter       csv: the field separator (default ",")
//	max_line_bytes  the longest line accepted (default 1MiB; also KiB,
//	                MiB suffixes); a longer line is a bad row, skipped,
//	                and never buffered whole
//	reconnect_max   the longest wait between reconnect attempts (default
//	                5s); waits start at 100ms and double
//	buffer_bytes    how many bytes of decoded rows may wait for the query
//	                (default 4MiB); when they do, the socket is not read
//	                and TCP flow control slows the sender
//
// When the peer closes the connection or it fails, and when a connect
// fails, the source logs a warning and tries again, forever, until the
// query stops. A record cut off by a failed connection is a bad row; one
// ended by the peer closing cleanly is kept. Rows already received are
// kept across reconnects; nothing is replayed (there is no write-ahead
// log yet). Bad rows are reported as "host:port:line N", lines counted
// from 1 on each connection.
//
// The command registers the connector explicitly:
//
//	reg.RegisterSource("socket", socket.NewSource)
package socket
