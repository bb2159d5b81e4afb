// Package kafka is the "kafka" connector, on github.com/twmb/franz-go.
// This file describes its source: a live source that reads one topic,
// one row per record.
//
// Table options (keys lower-case; SourceConfig declares them, with the
// options every source takes: on_error, dead_letter_path, idle_timeout):
//
//	brokers           the bootstrap brokers, a comma list of host:port
//	                  (required); plain TCP, no TLS or SASL
//	topic             the topic (required)
//	group             the consumer group (optional): the group's members
//	                  share the topic's partitions (cooperative-sticky), and
//	                  the source commits its offsets to the group after
//	                  each checkpoint; without it the source reads every
//	                  partition itself and keeps its offsets only in
//	                  checkpoints
//	start             where a partition without a checkpointed offset
//	                  starts: earliest (default), latest, or group (the
//	                  group's committed offset, else earliest; needs group)
//	partitions        read only these partitions ('0,2'), assigned
//	                  directly, without the group (not with option group)
//	format            the value's format: json (default; also jsonl,
//	                  ndjson), csv, text (the whole value is the one
//	                  VARCHAR column), or debezium-json: a Debezium change
//	                  event, which makes the table a changelog (its
//	                  batches end with the op column; an update's -U and
//	                  +U are one record's two rows, each with the
//	                  record's metadata columns)
//	delimiter         csv: the field separator (default ","); a value is
//	                  one record without a header
//	invalid_utf8      error (default), replace or keep, as for every
//	                  source; it applies to _key too
//	max_record_bytes  the longest value decoded (default 1MiB); a longer
//	                  one is a bad row
//	buffer_bytes      fetched records that may wait for the query
//	                  (default 16MiB); when full, fetching pauses
//
// # Rows and metadata columns
//
// Each record's value is one row: a JSON object (line breaks in it are
// white space, so pretty-printed JSON is read), a CSV record (a value
// holding two is a bad row) or, for text, the whole value without a
// trailing newline. A record without a value (a tombstone) and a blank
// json or csv value make no row. A table column named
//
//	_key        VARCHAR       the record's key (NULL if it has none)
//	_partition  BIGINT        its partition
//	_offset     BIGINT        its offset
//	_timestamp  TIMESTAMP(3)  its timestamp
//
// is filled from the record, not from the value; another type is an error
// when the table is opened. A value that does not decode is a bad row
// whose position is "topic/partition@offset", handled per on_error and
// skipped: the source moves past it, never stuck on it.
//
// Records are read with isolation read_committed, so records of aborted
// or open transactions (a Kafka sink mid-checkpoint) are never rows.
//
// # Live reading and back-pressure
//
// Start starts a background goroutine; it connects, joins the group or
// assigns the partitions once the position is known (at Seek, or at the
// first Next), and polls records into a buffer of buffer_bytes. Next
// never waits: it decodes up to maxRows buffered records on its own
// goroutine, or returns connectors.ErrNoData. When the buffer is full the
// goroutine stops polling, and the client stops fetching. Brokers that
// cannot be reached, and a topic that does not exist yet, are retried
// with a warning, forever.
//
// # Positions and exactly-once
//
// Position is the next offset of each partition read so far, as JSON:
// {"topic":"words","offsets":{"0":42,"1":17}}, exact after the last row
// Next returned (bad records and tombstones count as read). Seek makes
// each partition in it continue at its offset; a partition not in it
// starts as option start says. So with checkpoints, a restarted query
// reads each record after its checkpoint once, and none before it. An
// offset no longer in the log (deleted by retention while the query was
// down, or a topic made anew) continues at the log's start.
//
// With option group, CheckpointComplete commits the checkpoint's
// offsets to the group, and nothing else does (auto-commit is off):
// the group's offsets are never ahead of a durable checkpoint. It commits
// only the partitions the group assigns to the source at that moment, so
// it never sets back another member's offsets of a partition taken over. A failed
// commit is logged, not fatal: the checkpoint holds the offsets. When the
// group assigns a partition, it starts at this source's own offset in it
// (its checkpoint's, or where it had got before the partition was taken
// away) unless the group has committed a later one (another member read
// on); a partition new to the source starts as option start says at the
// query's first start, and at the group's committed offset later. So
// processes that share a topic through a group use start = 'group': a
// process that joins later then continues where the group is, instead of
// at the start. When a partition is taken away, its records not yet
// returned by Next are dropped, for its next owner to read; the rows
// returned since the last completed checkpoint are read again by that
// owner (moving a partition's state with it is the scale-out runner's
// part, not the source's).
//
// Without --checkpoint-dir there are no checkpoints, so nothing is
// committed to the group and a restart starts as option start says.
// Without a group, the partitions are listed when the source starts;
// partitions added to the topic later are read after a restart (a group
// member gets them at once, by a rebalance).
//
// # Watermarks
//
// Rows are returned interleaved as fetched. The source keeps each
// partition's largest event time and is a connectors.EventTimeFloor: the
// table's watermark is the least of its partitions' (minus the WATERMARK
// delay), as Flink's is, so a partition that lags behind another does not
// make the other's rows late. A partition counts while it has records
// still to deliver (holding the watermark where it is until it delivers
// its first) and, once read to its end, until it has delivered nothing
// for idle_timeout (when the table sets one; Flink's idle partitions). A
// partition that never delivered a row does not count, so an empty
// partition does not stop the windows (where Flink waits for it unless
// idleness is set). When every partition is idle, idle_timeout moves the
// watermark on with the wall clock, as for every source.
//
// # The sink
//
// A table with connector = 'kafka' as a query's sink writes one record per
// row to option topic on option brokers: the value in option format
// (json, csv, text or debezium-json), the key the JSON object of the key
// columns (option key, by default the result's key: the table's PRIMARY
// KEY (...) NOT ENFORCED, or else the window bounds and GROUP BY columns
// of an aggregation), or the plain text of one VARCHAR key column, or
// none.
//
// An updating result is written as upserts, as Flink's upsert-kafka
// does: the key is the PRIMARY KEY (...) NOT ENFORCED of the sink table;
// +I and +U write the row as the key's new value, -D writes a tombstone
// (a null value), -U is skipped (its +U follows). With format =
// 'debezium-json' every change is written in Debezium's envelope instead.
//
// Exactly once (the default when the query checkpoints): the rows are
// not sent as they come but appended to a spill file in the sink's state
// directory. Checkpoint fsyncs it (spill-N.rec) and returns N, its size
// and the topic's end offsets. Once the checkpoint is durable,
// CheckpointComplete sends spill N in one Kafka transaction (transactional
// id option transactional_id, by default weir-<query>-<table>) and
// deletes it. Every record of that transaction carries the headers
// weir-sink (the transactional id) and weir-checkpoint (N): they are the
// marker that says "checkpoint N was sent", committed atomically with the
// output. After a crash Restore(N) starts a producer with the same
// transactional id, which fences the crashed one and aborts its open
// transaction; if spill N is still there it reads the topic from the
// checkpointed end offsets with read_committed isolation, and sends spill
// N again only if no record carries N's marker. A consumer with
// isolation.level = read_committed so sees each result exactly once.
// (Committing a consumer-group offset in the transaction as the marker
// would need franz-go's group-transaction session, which is tied to a
// consuming group; the headers need nothing but the producer.)
//
// With delivery = 'at-least-once', or without checkpoints, each
// micro-batch's records are produced by an idempotent producer and
// flushed at its commit; after a crash the output since the last
// checkpoint is written again.
//
// # Scale-out
//
// Membership (membership.go) joins a consumer group without consuming:
// weir run uses it to run a query over a group's table as one task per
// partition the process owns, each task reading its partition with option
// partitions (docs/scale-out.md).
//
// The command registers the connector explicitly:
//
//	reg.RegisterSource("kafka", kafka.NewSource, kafka.SourceConfig())
//	reg.RegisterSink("kafka", kafka.NewSink, kafka.SinkConfig())
package kafka
