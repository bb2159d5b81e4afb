package kafka

import (
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirdb/weir/connectors"
)

var _ connectors.EventTimeFloor = (*Source)(nil)

// noteEventTimes records, per partition, the largest event time of the
// rows of b (row i from partition parts[i]) and when it delivered them.
func (s *Source) noteEventTimes(b arrow.RecordBatch, parts []int32) {
	if s.timeCol < 0 || len(parts) != int(b.NumRows()) {
		return
	}
	ts, ok := b.Column(s.timeCol).(*array.Timestamp)
	if !ok {
		return
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range parts {
		s.lastRow[p] = now
		if ts.IsNull(i) {
			continue
		}
		if v := int64(ts.Value(i)); v > s.maxTsOf(p) {
			s.maxTs[p] = v
		}
	}
}

// maxTsOf is partition p's largest event time, math.MinInt64 before its
// first row. Called with mu held.
func (s *Source) maxTsOf(p int32) int64 {
	if v, ok := s.maxTs[p]; ok {
		return v
	}
	return math.MinInt64
}

// noteEnds records the partitions' ends (last stable offsets) a fetch
// reported.
func (s *Source) noteEnds(fs kgo.Fetches) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		if p.Topic == s.topic && p.Err == nil {
			end := p.LastStableOffset
			if end < 0 {
				end = p.HighWatermark
			}
			if end > s.hw[p.Partition] {
				s.hw[p.Partition] = end
			}
		}
	})
}

// EventTimeFloor implements connectors.EventTimeFloor: the watermark of a
// Kafka table is the least of its partitions' event times, as Flink's is,
// over the partitions this source reads that count:
//   - a partition with records still to deliver counts with the largest
//     event time it has delivered, and holds the watermark where it is if
//     it has delivered none yet (its rows may be older than the others');
//   - a partition read to its end counts with its largest event time until
//     it has delivered nothing for idle_timeout (when the table sets one),
//     as Flink's idle partitions; one that never delivered a row does not
//     count (an empty partition does not stop the windows).
func (s *Source) EventTimeFloor() int64 {
	if s.timeCol < 0 {
		return math.MaxInt64
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	floor := int64(math.MaxInt64)
	for p, mine := range s.assigned {
		if !mine {
			continue
		}
		next, known := s.next[p]
		pending := s.hw[p] > next || (!known && s.hw[p] > 0)
		last, delivered := s.lastRow[p]
		switch {
		case pending && !delivered:
			return math.MinInt64
		case pending:
		case !delivered:
			continue
		case s.idle > 0 && now.Sub(last) >= s.idle:
			continue
		}
		floor = min(floor, s.maxTsOf(p))
	}
	return floor
}
