// Package directory is the "directory" connector: a live source that
// watches a directory and reads every file that appears in it, like
// Spark's textFileStream.
//
// Table options (keys lower-case; Config declares them, with the options
// every source takes: on_error, dead_letter_path, idle_timeout,
// invalid_utf8):
//
//	path              the directory (required; it must exist)
//	format            csv, json or text; if left out, taken from the
//	                  extension in pattern ('*.csv' means csv)
//	pattern           a glob the base name must match, e.g. '*.csv'
//	                  (path.Match syntax; default: every name)
//	poll_interval     how often the directory is listed (default 200ms)
//	header            csv: whether each file starts with a header line
//	                  (default true)
//	delimiter         csv: the field separator (default ",")
//	max_record_bytes  the longest record accepted (default 16MiB), as for
//	                  every source; a longer one is a bad row, skipped
//	buffer_bytes      how many bytes of decoded rows may wait for the
//	                  query (default 4MiB); while they do, reading and
//	                  scanning pause
//
// Files present when the source starts are read first, oldest
// modification time first (then by name); after that each new file is
// read once, whole, in the order the scans find them (files found by the
// same scan: oldest first). Files are never read twice, even if they
// change, and files that change after they were read are not re-read.
//
// The contract, as for textFileStream, is atomic move-in: write a file
// elsewhere, or under an ignored name, and rename it into place when it
// is complete. Ignored names: those starting with '.' or '_' and those
// ending in '.tmp', '.partial' or '.crdownload' (as browsers, rsync and
// many writers name files in progress). Subdirectories are not watched.
//
// A file that vanishes before it is read is logged and skipped. A file
// that cannot be read, or whose CSV header names none of the table's
// columns, is a bad row (Position "path:line") and is skipped. Done lists
// the files whose rows have all been returned by Next.
//
// The source is a connectors.Seeker, so checkpoints can replay it: its
// position is JSON {"done":[...],"file":"...","rows":N}, the files fully
// returned, the file partly returned and how many of its rows and bad
// rows were returned or reported. Seek skips those; reading starts at
// Seek or the first Next, whichever comes first.
//
// The command registers the connector explicitly:
//
//	reg.RegisterSource("directory", directory.NewSource, directory.Config())
package directory
