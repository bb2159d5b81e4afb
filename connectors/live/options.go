package live

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// durationUnits maps the unit spellings ParseDuration accepts to lengths.
var durationUnits = map[string]time.Duration{
	"ms": time.Millisecond, "millisecond": time.Millisecond, "milliseconds": time.Millisecond,
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hour": time.Hour, "hours": time.Hour,
}

// ParseDuration parses a duration option: Go's form ("200ms", "1m30s") or
// an amount and a unit word ("5 seconds", "1.5 min", "500 ms"). A unit is
// required; negative durations are an error.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if d, err := time.ParseDuration(t); err == nil {
		if d < 0 {
			return 0, fmt.Errorf("invalid duration %q: must not be negative", s)
		}
		return d, nil
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	unit, ok := durationUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	f, err := strconv.ParseFloat(t[:i], 64)
	if i == 0 || !ok || err != nil {
		return 0, fmt.Errorf("invalid duration %q: want an amount and a unit such as '200ms', '5s', '5 seconds' or '1 minute'", s)
	}
	return time.Duration(f * float64(unit)), nil
}

// byteUnits maps the size suffixes ParseBytes accepts to multipliers.
var byteUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
}

// ParseBytes parses a size option: a whole number of bytes, optionally
// followed by KiB, MiB or GiB (also K/KB, M/MB, G/GB, all powers of 1024).
// It must be positive.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	mult, ok := byteUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if i == 0 || !ok || err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q: want a positive number of bytes such as '65536', '64KiB' or '1MiB'", s)
	}
	return n * mult, nil
}
