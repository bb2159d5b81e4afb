package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kfake"
)

// newKafkaCmd is `weir kafka`, the Kafka tools; for now the development
// broker.
func newKafkaCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kafka",
		Short: "Kafka tools: an in-memory development broker",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newDevBrokerCmd())
	return cmd
}

// devBrokerWarning says what the development broker is not.
const devBrokerWarning = "an in-memory Kafka broker for development and tests, NOT for production: it keeps everything in memory and loses it all when it stops"

func newDevBrokerCmd() *cobra.Command {
	var port int
	var topics string
	cmd := &cobra.Command{
		Use:   "dev-broker",
		Short: "Run an in-memory Kafka broker for development (not for production)",
		Long: "Run " + devBrokerWarning + `.

It speaks the Kafka protocol (franz-go's kfake) on 127.0.0.1, so weir's
kafka connector, kcat and other Kafka clients can use it; it runs until
Ctrl-C. Topics named in --topics are created at start; others are created
with one partition when a client first asks for them.

Examples:
  weir kafka dev-broker --topics words:6,counts:1
  kcat -P -b 127.0.0.1:9092 -t words < lines.txt
  weir run wordcount-kafka.sql`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDevBroker(cmd, port, topics)
		},
	}
	cmd.Flags().IntVar(&port, "port", 9092, "the TCP port on 127.0.0.1 to listen on (0: any free port)")
	cmd.Flags().StringVar(&topics, "topics", "", "topics to create, a comma list of name:partitions (words:6,counts:1; the count defaults to 1)")
	return cmd
}

// devTopic is a topic of --topics.
type devTopic struct {
	name       string
	partitions int32
}

// parseDevTopics reads --topics.
func parseDevTopics(v string) ([]devTopic, error) {
	var out []devTopic
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		name, n, has := strings.Cut(f, ":")
		t := devTopic{name: strings.TrimSpace(name), partitions: 1}
		if has {
			p, err := strconv.ParseInt(strings.TrimSpace(n), 10, 32)
			if err != nil || p < 1 || p > 10000 {
				return nil, fmt.Errorf("--topics: want name:partitions with 1 to 10000 partitions, got %q", f)
			}
			t.partitions = int32(p)
		}
		if t.name == "" {
			return nil, fmt.Errorf("--topics: a topic has no name in %q", v)
		}
		out = append(out, t)
	}
	return out, nil
}

// runDevBroker starts the broker, says where it listens, and waits for
// SIGINT or SIGTERM.
func runDevBroker(cmd *cobra.Command, port int, topicsFlag string) error {
	if port < 0 || port > 65535 {
		return fmt.Errorf("--port: want 0 to 65535, got %d", port)
	}
	topics, err := parseDevTopics(topicsFlag)
	if err != nil {
		return err
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(port), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1)}
	for _, t := range topics {
		opts = append(opts, kfake.SeedTopics(t.partitions, t.name))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return fmt.Errorf("dev-broker: cannot listen on 127.0.0.1:%d: %w", port, err)
	}
	defer c.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "weir kafka dev-broker: %s.\n", devBrokerWarning)
	for _, t := range topics {
		fmt.Fprintf(out, "topic %s: %d %s\n", t.name, t.partitions, plural(int64(t.partitions), "partition", "partitions"))
	}
	fmt.Fprintf(out, "listening: brokers = '%s' (Ctrl-C stops it)\n", c.ListenAddrs()[0])
	<-ctx.Done()
	fmt.Fprintln(cmd.ErrOrStderr(), "weir kafka dev-broker: stopped; its topics are gone")
	return nil
}
