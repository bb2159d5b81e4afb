package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirdb/weir/bench"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
)

// benchKafkaFlags are the flags of weir bench kafka.
type benchKafkaFlags struct {
	lines, events int
	partitions    int
	parallelism   int
	json          bool
}

func newBenchKafkaCmd() *cobra.Command {
	f := &benchKafkaFlags{}
	cmd := &cobra.Command{
		Use:   "kafka [flags]",
		Short: "Throughput from and to Kafka (a development broker on loopback): the word count and Nexmark",
		Long: `Bench kafka starts an in-memory Kafka-protocol broker (kfake, the development
broker of weir kafka dev-broker) on 127.0.0.1 in this process, loads the
bundled word-count text into a topic, and runs with the real engine:

  wordcount kafka->kafka   the word count reading the topic of lines and
                           writing its updating counts as upserts to another
                           topic, exactly once (checkpoints, one Kafka
                           transaction each); the counts are checked
  nexmark bid->kafka       the Nexmark generator's bids written to a topic
                           as JSON records
  nexmark q1 kafka->       Nexmark q1 over the bids read back from that topic
                           (JSON), into a blackhole table

A run over a topic ends when every loaded record has been read and the
last checkpoint has committed. The broker runs in the same process, so
its CPU time is in the figures: they are what one process does with its
broker beside it, a lower bound of what a real cluster gives.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return benchKafkaMain(cmd.Context(), f, os.Stdout, os.Stderr)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.lines, "lines", 1_000_000, "lines of text to load for the word count")
	fl.IntVar(&f.events, "events", 2_000_000, "Nexmark events to generate (about 92% are bids)")
	fl.IntVar(&f.partitions, "partitions", 4, "partitions of each topic")
	fl.IntVar(&f.parallelism, "parallelism", 0, "parallelism of each query (default: the number of cores)")
	fl.BoolVar(&f.json, "json", false, "print the figures as JSON")
	return cmd
}

// kafkaRun is one run's figures.
type kafkaRun struct {
	Name       string  `json:"name"`
	Rows       int64   `json:"rows"`
	Bytes      int64   `json:"bytes,omitempty"`
	Seconds    float64 `json:"seconds"`
	RowsPerSec float64 `json:"rows_per_sec"`
	MBPerSec   float64 `json:"mb_per_sec,omitempty"`
	Cores      float64 `json:"cores"`
	PeakMem    int64   `json:"peak_mem_bytes"`
	Check      string  `json:"check"`
}

func benchKafkaMain(ctx context.Context, f *benchKafkaFlags, stdout, stderr io.Writer) error {
	if f.lines <= 0 || f.events <= 0 || f.partitions <= 0 {
		return fmt.Errorf("--lines, --events and --partitions must be positive")
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(int32(f.partitions), "lines", "counts", "bids"))
	if err != nil {
		return err
	}
	defer c.Close()
	brokers := strings.Join(c.ListenAddrs(), ",")
	fmt.Fprintf(stderr, "weir bench kafka: development broker on %s, %d partitions per topic\n", brokers, f.partitions)

	var text bytes.Buffer
	gen, err := bench.GenerateText(&text, bench.TextConfig{Lines: f.lines, Seed: 1, LineBytes: 100, Pattern: "ERROR", MatchEvery: 100, Vocabulary: 100_000}, nil)
	if err != nil {
		return err
	}
	want, err := bench.WordCount(bytes.NewReader(text.Bytes()), nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "weir bench kafka: loading %d lines (%.0f MB) into topic lines\n", gen.Lines, float64(gen.Bytes)/1e6)
	if err := loadLines(ctx, c.ListenAddrs(), text.Bytes()); err != nil {
		return err
	}
	text = bytes.Buffer{}
	dir, err := os.MkdirTemp("", "weir-bench-kafka-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	par := ""
	if f.parallelism > 0 {
		par = fmt.Sprintf("SET parallelism = %d;\n", f.parallelism)
	}
	var runs []kafkaRun
	wc := par + fmt.Sprintf(`CREATE TABLE lines_in (line VARCHAR) WITH (connector = 'kafka', brokers = '%[1]s', topic = 'lines', format = 'text');
CREATE TABLE counts_out (word VARCHAR, n BIGINT, PRIMARY KEY (word) NOT ENFORCED) WITH (connector = 'kafka', brokers = '%[1]s', topic = 'counts');
INSERT INTO counts_out
SELECT word, COUNT(*) AS n FROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM lines_in) AS w WHERE word <> '' GROUP BY word;
`, brokers)
	r, err := benchKafkaRun(ctx, "wordcount kafka->kafka", wc, filepath.Join(dir, "ck-wc"), gen.Lines, stderr)
	if err != nil {
		return err
	}
	r.Bytes, r.MBPerSec = gen.Bytes, float64(gen.Bytes)/1e6/r.Seconds
	r.Check = checkKafkaCounts(ctx, c.ListenAddrs(), want.Counts)
	runs = append(runs, r)

	ddl := bench.NexmarkDDL(int64(f.events))
	out := par + ddl + fmt.Sprintf("CREATE TABLE bids_out (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR) WITH (connector = 'kafka', brokers = '%s', topic = 'bids');\nINSERT INTO bids_out SELECT * FROM bid;\n", brokers)
	r, err = benchKafkaRun(ctx, "nexmark bid->kafka", out, filepath.Join(dir, "ck-bid"), -1, stderr)
	if err != nil {
		return err
	}
	bids := r.Rows
	r.Check = fmt.Sprintf("%d bids of %d events", r.Rows, f.events)
	runs = append(runs, r)

	q1, err := bench.NexmarkQuery("q1")
	if err != nil {
		return err
	}
	bidIn := fmt.Sprintf("CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR, WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND) WITH (connector = 'kafka', brokers = '%s', topic = 'bids');\n", brokers)
	script := par + bench.NexmarkScript(q1, bench.NexmarkScriptConfig{Tables: bidIn, Sink: true})
	r, err = benchKafkaRun(ctx, "nexmark q1 kafka->blackhole", script, filepath.Join(dir, "ck-q1"), bids, stderr)
	if err != nil {
		return err
	}
	r.Check = fmt.Sprintf("%d of %d bids read", r.Rows, bids)
	runs = append(runs, r)

	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"machine": machineInfo(), "partitions": f.partitions, "runs": runs})
	}
	tw := tablewriter.NewWriter(stdout)
	tw.Header("run", "rows", "rows/s", "MB/s", "seconds", "cores", "peak mem", "check")
	for _, r := range runs {
		mbs := "-"
		if r.MBPerSec > 0 {
			mbs = fmt.Sprintf("%.0f", r.MBPerSec)
		}
		tw.Append(r.Name, fmt.Sprint(r.Rows), humanRate(r.RowsPerSec), mbs, fmt.Sprintf("%.2f", r.Seconds),
			fmt.Sprintf("%.2f", r.Cores), exec.FormatBytes(r.PeakMem), r.Check)
	}
	return tw.Render()
}

// humanRate formats a rate as 1.23M or 456k.
func humanRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// loadLines produces text's lines to topic lines, not timed.
func loadLines(ctx context.Context, brokers []string, text []byte) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic("lines"), kgo.ProducerBatchMaxBytes(1<<20),
		kgo.MaxBufferedRecords(1<<16))
	if err != nil {
		return err
	}
	defer cl.Close()
	var firstErr error
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			i = len(text)
		}
		line := text[:i]
		text = text[min(i+1, len(text)):]
		cl.Produce(ctx, &kgo.Record{Value: line}, func(_ *kgo.Record, err error) {
			if err != nil && firstErr == nil {
				firstErr = err
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	return firstErr
}

// benchKafkaRun runs script's one query with checkpoints in ck until it
// has read want rows (want < 0: until its input ends), then stops it,
// which takes its last checkpoint, and measures the whole.
func benchKafkaRun(ctx context.Context, name, script, ck string, want int64, stderr io.Writer) (kafkaRun, error) {
	sess := planner.NewSession(registry())
	sess.BadRow = func(connectors.BadRow) error { return nil }
	sess.Log = slog.New(slog.DiscardHandler)
	sess.Settings["batch_interval"] = "100ms"
	sess.CheckpointDir = ck
	j, err := plan(sess, script, io.Discard, "jsonl", 0)
	if err != nil {
		return kafkaRun{}, fmt.Errorf("%s: %w\n%s", name, err, script)
	}
	if len(j.queries) != 1 {
		j.close()
		return kafkaRun{}, fmt.Errorf("%s: want one query, planned %d", name, len(j.queries))
	}
	q := j.queries[0]
	every, batches := j.prepared[q].CheckpointSettings()
	q.Checkpoint = &exec.Checkpointing{Dir: filepath.Join(ck, "q1"), Every: every, EveryBatches: batches, Fingerprint: j.prepared[q].Fingerprint()}
	fmt.Fprintf(stderr, "weir bench kafka: %s\n", name)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := startMeter()
	done := make(chan error, 1)
	go func() { done <- q.Run(runCtx) }()
	if want >= 0 {
		t := time.NewTicker(5 * time.Millisecond)
	wait:
		for {
			select {
			case err := <-done:
				m.stop()
				if err == nil {
					err = fmt.Errorf("the query ended after %d of %d rows", q.Metrics().RowsIn, want)
				}
				return kafkaRun{}, fmt.Errorf("%s: %w", name, err)
			case <-t.C:
				if q.Metrics().RowsIn >= want {
					break wait
				}
			}
		}
		t.Stop()
		cancel()
	}
	if err := <-done; err != nil {
		m.stop()
		return kafkaRun{}, fmt.Errorf("%s: %w", name, err)
	}
	meas := m.stop()
	rows := q.Metrics().RowsIn
	r := kafkaRun{Name: name, Rows: rows, Seconds: meas.wall.Seconds(), PeakMem: meas.peakMem}
	if s := meas.wall.Seconds(); s > 0 {
		r.RowsPerSec = float64(rows) / s
		r.Cores = meas.cpu.Seconds() / s
	}
	return r, nil
}

// checkKafkaCounts reads topic counts with read_committed isolation, keeps
// each word's last count, and compares them with want.
func checkKafkaCounts(ctx context.Context, brokers []string, want map[string]int64) string {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics("counts"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return "FAILED: " + err.Error()
	}
	defer cl.Close()
	got := map[string]int64{}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	records := 0
	for len(got) < len(want) || !sameWordCounts(got, want) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			break
		}
		fs.EachRecord(func(r *kgo.Record) {
			records++
			var row struct {
				Word string `json:"word"`
				N    int64  `json:"n"`
			}
			if json.Unmarshal(r.Value, &row) == nil {
				got[row.Word] = row.N
			}
		})
	}
	if !sameWordCounts(got, want) {
		return fmt.Sprintf("FAILED: %d of %d words right", matchingWords(got, want), len(want))
	}
	return fmt.Sprintf("ok: %d words exact (%d upserts read)", len(want), records)
}

func sameWordCounts(got, want map[string]int64) bool {
	return len(got) == len(want) && matchingWords(got, want) == len(want)
}

func matchingWords(got, want map[string]int64) int {
	n := 0
	for w, c := range want {
		if got[w] == c {
			n++
		}
	}
	return n
}
