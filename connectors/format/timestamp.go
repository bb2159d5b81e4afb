package format

import "github.com/weirdb/weir/vector"

// FormatTimestamp formats epoch milliseconds as RFC 3339 in UTC with three
// fraction digits ("2024-01-01T00:00:05.000Z"), as the JSON encoder writes
// TIMESTAMP values. It is vector.FormatTimestamp, kept here for the tests
// and test helpers of other connectors.
func FormatTimestamp(ms int64) string { return vector.FormatTimestamp(ms) }
