package kafka

import (
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// parseBrokers splits option brokers, a comma list of host:port, and
// checks each has a port.
func parseBrokers(table, v string) ([]string, error) {
	var out []string
	for _, b := range strings.Split(v, ",") {
		b = strings.TrimSpace(b)
		if b == "" {
			continue
		}
		if i := strings.LastIndexByte(b, ':'); i <= 0 || i == len(b)-1 {
			return nil, fmt.Errorf("table %s: option brokers: want host:port, got %q", table, b)
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("table %s: option brokers: want a comma list of host:port, such as '127.0.0.1:9092'", table)
	}
	return out, nil
}

// clientOpts are the options every client of the connector starts from:
// the seed brokers over a plain TCP connection (no TLS, no SASL).
func clientOpts(brokers []string) []kgo.Opt {
	return []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.DialTimeout(10 * time.Second),
		kgo.ClientID("weir"),
	}
}
