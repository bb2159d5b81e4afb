package kafka

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
)

// Start modes (option start).
const (
	startEarliest = "earliest"
	startLatest   = "latest"
	startGroup    = "group"
)

// SourceConfig declares the options of the kafka source; register it
// with NewSource.
func SourceConfig() connectors.ConfigSpec {
	return connectors.ConfigSpec{
		Summary: "reads a Kafka topic: one row per record, with its key, partition, offset and timestamp as columns _key, _partition, _offset, _timestamp (live)",
		Options: connectors.Declare([]connectors.Option{
			{Name: "brokers", Type: connectors.String, Required: true, Doc: "the bootstrap brokers, a comma list of host:port"},
			{Name: "topic", Type: connectors.String, Required: true, Doc: "the topic to read (or write)"},
			{Name: "group", Type: connectors.String, Doc: "the consumer group: the weir run processes with this group share the topic's partitions, each running a query over the table as one task per partition it owns (docs/scale-out.md)"},
			{Name: "session_timeout", Type: connectors.Duration, Default: "10s",
				Doc: "group: how long the group waits for a process that stopped answering (killed) before it moves its partitions to the others"},
			{Name: "start", Type: connectors.Enum, Values: []string{startEarliest, startLatest, startGroup}, Default: startEarliest,
				Doc: "where a partition without a checkpointed offset starts: earliest, latest, or group (the group's committed offset, else earliest)"},
			{Name: "partitions", Type: connectors.String,
				Doc: "read only these partitions (a comma list such as '0,2'), assigned directly without joining the group"},
			{Name: "format", Type: connectors.Enum, Values: []string{"json", "jsonl", "ndjson", "csv", "text", "debezium-json"}, Default: "json",
				Doc: "the record value's format: json (one object), csv (one line), text (the whole value, one VARCHAR column), or debezium-json (a Debezium change event: the table is a changelog)"},
			{Name: "delimiter", Type: connectors.String, Default: ",", Doc: `csv: the field separator, one ASCII character ('\t' or 'tab' for a tab)`},
			{Name: "max_record_bytes", Type: connectors.Size, Default: "1MiB",
				Doc: "the longest record value decoded; a longer one is a bad row"},
			{Name: "buffer_bytes", Type: connectors.Size, Default: "16MiB",
				Doc: "fetched records that may wait for the query; when full, fetching pauses"},
		}, connectors.SourceOptions(), connectors.RecordOptions()),
		Check: checkSourceOptions,
	}
}

// checkSourceOptions checks the options that depend on each other.
func checkSourceOptions(_ *arrow.Schema, opts map[string]string) error {
	if strings.EqualFold(strings.TrimSpace(opts["start"]), startGroup) && strings.TrimSpace(opts["group"]) == "" {
		return fmt.Errorf("option start = 'group' needs option group (the consumer group whose offsets to start from)")
	}
	if v, ok := opts["partitions"]; ok {
		if _, err := parsePartitions(v); err != nil {
			return err
		}
		if strings.TrimSpace(opts["group"]) != "" {
			return fmt.Errorf("option partitions assigns partitions directly, without the consumer group: leave out option group, or option partitions to share the topic in the group")
		}
	}
	return nil
}

// parsePartitions reads option partitions: a comma list of partition
// numbers, sorted and without duplicates.
func parsePartitions(v string) ([]int32, error) {
	var out []int32
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.ParseInt(f, 10, 32)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("option partitions: want a comma list of partition numbers such as '0,1,2', got '%s'", v)
		}
		if !slices.Contains(out, int32(n)) {
			out = append(out, int32(n))
		}
	}
	slices.Sort(out)
	return out, nil
}
