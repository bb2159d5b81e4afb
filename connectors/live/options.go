package live

import (
	"time"

	"github.com/weirdb/weir/connectors"
)

// ParseDuration parses a duration option; it is connectors.ParseDuration.
func ParseDuration(s string) (time.Duration, error) { return connectors.ParseDuration(s) }

// ParseBytes parses a size option; it is connectors.ParseSize.
func ParseBytes(s string) (int64, error) { return connectors.ParseSize(s) }
