package kafka

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// sinkBenchBatch is a batch of 1,000 word counts.
func sinkBenchBatch() arrow.RecordBatch {
	words, ns := make([]string, 1000), make([]int64, 1000)
	for i := range words {
		words[i], ns[i] = fmt.Sprintf("word%d", i), int64(i)
	}
	return countsBatch(words, ns)
}

// BenchmarkSinkAtLeastOnce writes JSON records keyed by word to a kfake
// broker on loopback, one micro-batch of 1,000 rows per commit.
func BenchmarkSinkAtLeastOnce(b *testing.B) {
	brokers := sinkTestCluster(b, 3, "out")
	s := openTestSink(b, wordCounts, map[string]string{"brokers": brokers, "topic": "out", "key": "word"}, nil, "")
	defer s.Close()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := s.Write(sinkBenchBatch()); err != nil {
			b.Fatal(err)
		}
		if err := s.Commit(int64(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSinkExactlyOnce writes the same records through the spill file
// and one transaction per checkpoint of 10 micro-batches.
func BenchmarkSinkExactlyOnce(b *testing.B) {
	brokers := sinkTestCluster(b, 3, "out")
	s := openTestSink(b, wordCounts, map[string]string{"brokers": brokers, "topic": "out", "key": "word"}, nil, b.TempDir())
	defer s.Close()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := s.Write(sinkBenchBatch()); err != nil {
			b.Fatal(err)
		}
		if err := s.Commit(int64(i)); err != nil {
			b.Fatal(err)
		}
		if i%10 == 9 {
			st, err := s.Checkpoint()
			if err == nil {
				err = s.CheckpointComplete(st)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "rows/s")
}
