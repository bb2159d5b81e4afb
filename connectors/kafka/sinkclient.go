package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// sinkDialTimeout bounds each connection attempt to a broker.
const sinkDialTimeout = 10 * time.Second

// sinkStartTimeout bounds the sink's checks at start: reaching the
// brokers and finding the topic.
var sinkStartTimeout = 15 * time.Second

// sinkStableWait bounds how long Restore waits for the topic's open
// transactions to end before it reads it.
const sinkStableWait = 2 * time.Minute

// newSinkClient returns a producer to topic on brokers: transactional
// with id txnID when it is not empty, else idempotent. Records are
// produced with acks from all in-sync replicas.
func newSinkClient(brokers []string, topic, txnID string) (*kgo.Client, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.DefaultProduceTopic(topic),
		kgo.DialTimeout(sinkDialTimeout),
		kgo.ProducerLinger(0),
		kgo.RecordDeliveryTimeout(2 * time.Minute),
	}
	if txnID != "" {
		opts = append(opts, kgo.TransactionalID(txnID), kgo.TransactionTimeout(time.Minute))
	}
	return kgo.NewClient(opts...)
}

// sinkPartitions returns the partitions of topic, sorted, or an error
// that says the brokers cannot be reached or the topic does not exist.
func sinkPartitions(ctx context.Context, cl *kgo.Client, brokers []string, topic string) ([]int32, error) {
	req := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the Kafka brokers %s: %w", strings.Join(brokers, ","), err)
	}
	for _, rt := range resp.Topics {
		if rt.Topic == nil || *rt.Topic != topic {
			continue
		}
		if err := kerr.ErrorForCode(rt.ErrorCode); err != nil {
			if errors.Is(err, kerr.UnknownTopicOrPartition) {
				return nil, fmt.Errorf("Kafka topic %q does not exist on %s: create it first (kafka-topics.sh --create --topic %s)", topic, strings.Join(brokers, ","), topic)
			}
			return nil, fmt.Errorf("Kafka topic %q: %w", topic, err)
		}
		var parts []int32
		for _, p := range rt.Partitions {
			parts = append(parts, p.Partition)
		}
		sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
		if len(parts) == 0 {
			return nil, fmt.Errorf("Kafka topic %q has no partitions", topic)
		}
		return parts, nil
	}
	return nil, fmt.Errorf("Kafka topic %q does not exist on %s: create it first", topic, strings.Join(brokers, ","))
}

// sinkEndOffsets returns the end offset of every partition of topic:
// the log end offset, or with committed the last stable offset (before
// which no transaction is open).
func sinkEndOffsets(ctx context.Context, cl *kgo.Client, topic string, parts []int32, committed bool) (map[int32]int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	if committed {
		req.IsolationLevel = 1
	}
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range parts {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p
		rp.CurrentLeaderEpoch = -1
		rp.Timestamp = -1 // latest
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("list the offsets of Kafka topic %q: %w", topic, err)
	}
	out := make(map[int32]int64, len(parts))
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("list the offsets of Kafka topic %q partition %d: %w", topic, p.Partition, err)
			}
			out[p.Partition] = p.Offset
		}
	}
	for _, p := range parts {
		if _, ok := out[p]; !ok {
			return nil, fmt.Errorf("list the offsets of Kafka topic %q: no answer for partition %d", topic, p)
		}
	}
	return out, nil
}

// sinkStableEnd waits until no transaction is open before the current
// log end of any partition of topic (the last stable offset has reached
// it), and returns those log ends. A producer that fenced its crashed
// predecessor calls it so that what the predecessor committed or
// aborted is settled before it reads the topic.
func sinkStableEnd(ctx context.Context, cl *kgo.Client, topic string, parts []int32) (map[int32]int64, error) {
	end, err := sinkEndOffsets(ctx, cl, topic, parts, false)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(sinkStableWait)
	wait := 20 * time.Millisecond
	for {
		lso, err := sinkEndOffsets(ctx, cl, topic, parts, true)
		if err != nil {
			return nil, err
		}
		open := int32(-1)
		for _, p := range parts {
			if lso[p] < end[p] {
				open = p
				break
			}
		}
		if open < 0 {
			return end, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("Kafka topic %q partition %d still has an open transaction after %s (another producer's?): cannot tell which output is committed", topic, open, sinkStableWait)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait): // waits for the brokers, not for this process
		}
		wait = min(2*wait, time.Second)
	}
}

// sinkFindMarked reports whether a committed record of topic, between
// the offsets from (inclusive) and to (exclusive) of each partition,
// carries the headers weir-sink = txnID and weir-checkpoint = n. It reads
// with read_committed isolation, so records of aborted transactions are
// not seen.
func sinkFindMarked(ctx context.Context, brokers []string, topic string, from, to map[int32]int64, txnID string, n int64) (bool, error) {
	offs := map[int32]kgo.Offset{}
	left := map[int32]int64{} // the last offset still to read, per partition
	for p, end := range to {
		start := from[p] // 0 for a partition added since
		if start < end {
			offs[p] = kgo.NewOffset().At(start)
			left[p] = end - 1
		}
	}
	if len(left) == 0 {
		return false, nil
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.DialTimeout(sinkDialTimeout),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offs}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
		kgo.FetchMaxWait(200*time.Millisecond),
	)
	if err != nil {
		return false, err
	}
	defer cl.Close()
	want := []byte(fmt.Sprint(n))
	ctx, cancel := context.WithTimeout(ctx, sinkStableWait)
	defer cancel()
	for len(left) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return false, fmt.Errorf("read Kafka topic %q to find checkpoint %d's output: %w", topic, n, err)
		}
		var ferr error
		fs.EachError(func(_ string, p int32, err error) {
			ferr = fmt.Errorf("read Kafka topic %q partition %d: %w", topic, p, err)
		})
		if ferr != nil {
			return false, ferr
		}
		found := false
		fs.EachRecord(func(r *kgo.Record) {
			if !r.Attrs.IsControl() && sinkHeader(r, sinkHeaderSink) == txnID && string(sinkHeaderBytes(r, sinkHeaderCheckpoint)) == string(want) {
				found = true
			}
			if last, ok := left[r.Partition]; ok && r.Offset >= last {
				delete(left, r.Partition)
			}
		})
		if found {
			return true, nil
		}
	}
	return false, nil
}

// The headers every record a transaction of the sink sends carries.
const (
	// sinkHeaderSink is the sink's transactional id.
	sinkHeaderSink = "weir-sink"
	// sinkHeaderCheckpoint is the number of the sink's checkpoint whose
	// output the record is.
	sinkHeaderCheckpoint = "weir-checkpoint"
)

func sinkHeader(r *kgo.Record, key string) string { return string(sinkHeaderBytes(r, key)) }

func sinkHeaderBytes(r *kgo.Record, key string) []byte {
	for _, h := range r.Headers {
		if h.Key == key {
			return h.Value
		}
	}
	return nil
}
