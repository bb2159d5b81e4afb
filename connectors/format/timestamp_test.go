package format

import (
	"testing"

	"github.com/weirdb/weir/vector"
)

// checkTimestamp fails unless the cached parse agrees with
// vector.ParseTimestamp, after a parse of prev has filled the cache.
func checkTimestamp(t *testing.T, prev, s string) {
	t.Helper()
	var c tsCache
	c.parseTimestamp([]byte(prev))
	got, err := c.parseTimestamp([]byte(s))
	want, werr := vector.ParseTimestamp(s)
	if (err == nil) != (werr == nil) || got != want || err != nil && err.Error() != werr.Error() {
		t.Fatalf("after %q, parseTimestamp(%q) = %d, %v; vector: %d, %v", prev, s, got, err, want, werr)
	}
}

// The fast path with its date cache gives what vector.ParseTimestamp
// gives, value or error.
func TestParseTimestampCached(t *testing.T) {
	for _, s := range []string{
		"2024-01-01 00:00:00.000", "2024-01-01T12:34:56.789", "2024-01-01t12:34:56.789Z", "2024-01-01 23:59:59",
		"2024-01-01 23:59:59Z", "2024-02-29 10:00:00.5", "2023-02-29 10:00:00.000", "2024-13-01 00:00:00.000",
		"2024-01-01 24:00:00.000", "2024-01-01 00:60:00.000", "2024-01-01 00:00:60.000", "2024-01-01 00:00:00.0a0",
		"2024-01-01 00:00:00,000", "2024-01-01_00:00:00.000", " 024-01-01 00:00:00.000", "2024-01-01 00:00:00.000+01:00",
		"2024-01-01", "1704067200000", "", "2024-01-01 00:00:00.000ZZ", "+024-01-01 00:00:00", "2024-1-01 00:00:00.000",
		"2024-01-01 0:00:00.0000", "2024-01-01 00:00:00.1234", "0000-01-01 00:00:00.000", "9999-12-31 23:59:59.999",
	} {
		for _, prev := range []string{"", "2024-01-01 00:00:00.000", s} {
			checkTimestamp(t, prev, s)
		}
	}
}

func FuzzParseTimestampCached(f *testing.F) {
	f.Add("2024-01-01 00:00:00.000", "2024-01-01 12:00:00.123")
	f.Add("2024-01-01T00:00:00Z", "2024-01-02 00:00:00")
	f.Fuzz(checkTimestamp)
}
