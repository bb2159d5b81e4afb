package kafka

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/vector"
)

// SinkFormats are the values of the sink's option format.
var SinkFormats = []string{"json", "csv", "text", "debezium-json"}

// Delivery guarantees, the values of the sink's option delivery.
const (
	// DeliveryExactlyOnce sends each checkpoint's output in one Kafka
	// transaction once the checkpoint is durable.
	DeliveryExactlyOnce = "exactly-once"
	// DeliveryAtLeastOnce sends each micro-batch's output at once; after
	// a crash the output since the last checkpoint is sent again.
	DeliveryAtLeastOnce = "at-least-once"
)

// SinkConfig declares the options of the Kafka sink; register it with
// NewSink.
func SinkConfig() connectors.ConfigSpec {
	return connectors.ConfigSpec{
		Summary: "writes records to a Kafka topic, exactly once with checkpoints (transactions); an updating result as upserts and tombstones",
		Options: connectors.Declare([]connectors.Option{
			{Name: "brokers", Type: connectors.String, Required: true, Doc: "the Kafka brokers to connect to, host:port separated by commas"},
			{Name: "topic", Type: connectors.String, Required: true, Doc: "the topic to write (it must exist)"},
			{Name: "format", Type: connectors.Enum, Values: SinkFormats, Default: "json",
				Doc: "each record's value: json (an object), csv (one line), text (the one VARCHAR column) or debezium-json (a change in Debezium's envelope)"},
			{Name: "key", Type: connectors.String,
				Doc: "columns whose values form each record's key, separated by commas: a JSON object of them, or the text of one VARCHAR column; by default the result's key (PRIMARY KEY, or the window bounds and GROUP BY columns)"},
			{Name: "transactional_id", Type: connectors.String,
				Doc: "exactly-once: the Kafka transactional id, unique to this sink; by default weir-<query>-<table>"},
			{Name: "delivery", Type: connectors.Enum, Values: []string{DeliveryExactlyOnce, DeliveryAtLeastOnce},
				Doc: "exactly-once (Kafka transactions committed with each checkpoint; the default when the query checkpoints) or at-least-once"},
			{Name: "delimiter", Type: connectors.String, Default: ",", Doc: `csv: the field separator, one ASCII character ('\t' or 'tab' for a tab)`},
		}),
		Check:       checkSinkOptions,
		Changelog:   func(map[string]string) error { return nil },
		ManyWriters: true,
		Guarantee: func(opts map[string]string, checkpointed bool) string {
			if checkpointed && opts["delivery"] != DeliveryAtLeastOnce {
				return "exactly once (a Kafka transaction per checkpoint; read it with isolation.level=read_committed)"
			}
			return "at least once (idempotent producer; records may repeat after a restart)"
		},
	}
}

// checkSinkOptions checks, when the table is created, that the key names
// columns of the table and that format text has one VARCHAR column.
func checkSinkOptions(schema *arrow.Schema, opts map[string]string) error {
	if schema == nil {
		return nil
	}
	data := vector.WithoutOpColumn(schema)
	for _, k := range sinkKeyOption(opts) {
		if fieldIndex(data, k) < 0 {
			return fmt.Errorf("option key: %q is not a column of the table (%s)", k, columnList(data))
		}
	}
	// A table read as a source may have metadata columns besides its one
	// text column: the sink checks what it is given when it opens.
	payload := 0
	for _, f := range data.Fields() {
		if _, meta := metaTypes[strings.ToLower(f.Name)]; !meta {
			payload++
		}
	}
	if strings.EqualFold(opts["format"], "text") && (payload != 1 || data.Field(0).Type.ID() != arrow.STRING) {
		return fmt.Errorf("option format: 'text' writes exactly one VARCHAR column, the table has (%s): use format 'json' or 'csv'", columnList(data))
	}
	return nil
}

// sinkKeyOption returns the columns option key lists, or nil.
func sinkKeyOption(opts map[string]string) []string {
	var out []string
	for _, k := range strings.Split(opts["key"], ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// sinkSettings are a sink's options, checked.
type sinkSettings struct {
	brokers []string
	topic   string
	format  string
	key     []string // the record key's columns, or nil
	txnID   string   // exactly-once only
	exactly bool     // exactly-once delivery
}

// readSinkOptions reads and checks spec's options.
func readSinkOptions(spec connectors.SinkSpec) (sinkSettings, error) {
	o := spec.Options
	s := sinkSettings{brokers: splitBrokers(o["brokers"]), topic: strings.TrimSpace(o["topic"])}
	if len(s.brokers) == 0 {
		return s, fmt.Errorf("connector 'kafka' needs option brokers (host:port of the Kafka brokers, separated by commas)")
	}
	if s.topic == "" {
		return s, fmt.Errorf("connector 'kafka' needs option topic (the topic to write)")
	}
	s.format = strings.ToLower(strings.TrimSpace(o["format"]))
	switch s.format {
	case "":
		s.format = "json"
	case "jsonl", "ndjson":
		s.format = "json"
	case "json", "csv", "text", "debezium-json":
	default:
		return s, fmt.Errorf("option format: want one of %s, got %q", strings.Join(SinkFormats, ", "), o["format"])
	}
	s.key = sinkKeyOption(o)
	if s.key == nil {
		s.key = spec.Key
	}
	if vector.IsChangelog(spec.Schema) && s.format != "debezium-json" && len(s.key) == 0 {
		return s, fmt.Errorf("the query's result is updating, and the Kafka sink writes it as upserts keyed by the result's key (as Flink's upsert-kafka does): "+
			"declare it in the CREATE TABLE of %s as PRIMARY KEY (...) NOT ENFORCED, or set option key, or write format = 'debezium-json'", spec.Table)
	}
	switch d := strings.ToLower(strings.TrimSpace(o["delivery"])); d {
	case "":
		s.exactly = spec.Checkpointed
	case DeliveryExactlyOnce:
		if !spec.Checkpointed {
			return s, fmt.Errorf("option delivery = 'exactly-once' needs a checkpointed query: run it with --checkpoint-dir, or set delivery = 'at-least-once'")
		}
		s.exactly = true
	case DeliveryAtLeastOnce:
	default:
		return s, fmt.Errorf("option delivery: want 'exactly-once' or 'at-least-once', got %q", o["delivery"])
	}
	if s.exactly {
		s.txnID = strings.TrimSpace(o["transactional_id"])
		if s.txnID == "" {
			s.txnID = "weir-" + spec.Table
			if spec.Query != "" {
				s.txnID = "weir-" + spec.Query + "-" + spec.Table
			}
		}
		if spec.StateDir == "" {
			return s, fmt.Errorf("exactly-once delivery keeps each checkpoint's output in a state directory until the checkpoint is durable, and none was given")
		}
	}
	return s, nil
}
