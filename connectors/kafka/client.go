package kafka

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// parseBrokers splits option brokers, a comma list of host:port, and
// checks each has a port.
func parseBrokers(table, v string) ([]string, error) {
	out := splitBrokers(v)
	for _, b := range out {
		if i := strings.LastIndexByte(b, ':'); i <= 0 || i == len(b)-1 {
			return nil, fmt.Errorf("table %s: option brokers: want host:port, got %q", table, b)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("table %s: option brokers: want a comma list of host:port, such as '127.0.0.1:9092'", table)
	}
	return out, nil
}

// clientOpts are the options every client of the connector starts from:
// the seed brokers over a plain TCP connection (no TLS, no SASL), the
// client's warnings and errors logged to log for table.
func clientOpts(brokers []string, log *slog.Logger, table string) []kgo.Opt {
	return []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.DialTimeout(10 * time.Second),
		kgo.ClientID("weir"),
		kgo.WithLogger(clientLogger{log: log, table: table}),
	}
}

// clientLogger passes a client's warnings and errors (a broker that
// cannot be reached, a group that cannot be joined) to a slog.Logger.
type clientLogger struct {
	log   *slog.Logger
	table string
}

// Level is the least severe level logged: warnings.
func (l clientLogger) Level() kgo.LogLevel { return kgo.LogLevelWarn }

// Log logs msg and its key-value pairs.
func (l clientLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lv := slog.LevelWarn
	if level == kgo.LogLevelError {
		lv = slog.LevelError
	}
	l.log.Log(context.Background(), lv, "kafka client: "+msg, append([]any{"table", l.table}, keyvals...)...)
}

// splitBrokers splits option brokers ("host:port,host:port") into its
// addresses.
func splitBrokers(opt string) []string {
	var out []string
	for _, b := range strings.Split(opt, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}
