package format

import (
	"encoding/binary"

	"github.com/weirdb/weir/vector"
)

// FormatTimestamp formats epoch milliseconds as RFC 3339 in UTC with three
// fraction digits ("2024-01-01T00:00:05.000Z"), as the JSON encoder writes
// TIMESTAMP values. It is vector.FormatTimestamp, kept here for the tests
// and test helpers of other connectors.
func FormatTimestamp(ms int64) string { return vector.FormatTimestamp(ms) }

// tsCache remembers the last date a TIMESTAMP column parsed: the values of
// a column mostly share their day, and the day is the costly part.
type tsCache struct {
	date8 uint64 // the date's first 8 bytes, little-endian
	date2 uint16 // and its last 2
	ms    int64  // the date's midnight, epoch ms
	ok    bool
}

// parseTimestamp parses a TIMESTAMP as vector.ParseTimestamp does. The
// common shape, 'YYYY-MM-DD HH:MM:SS[.fff]' (or with a T, and a Z), takes
// a fast path whose date comes from the cache (or from
// vector.ParseTimestamp, which checks it); anything else, and anything the
// fast path doubts, goes to vector.ParseTimestamp whole.
func (c *tsCache) parseTimestamp(b []byte) (int64, error) {
	if ms, ok := c.parseFixed(b); ok {
		return ms, nil
	}
	return vector.ParseTimestamp(bytesString(b))
}

func (c *tsCache) parseFixed(b []byte) (int64, bool) {
	n := len(b)
	if n > 0 && (b[n-1] == 'Z' || b[n-1] == 'z') {
		n--
	}
	if (n != 19 && n != 23) || b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' ||
		(b[10] != ' ' && b[10] != 'T' && b[10] != 't') {
		return 0, false
	}
	d8, d2 := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint16(b[8:])
	if !c.ok || d8 != c.date8 || d2 != c.date2 {
		for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9} {
			if b[i] < '0' || b[i] > '9' {
				return 0, false
			}
		}
		ms, err := vector.ParseTimestamp(bytesString(b[:10]))
		if err != nil {
			return 0, false
		}
		c.date8, c.date2, c.ms, c.ok = d8, d2, ms, true
	}
	h, ok1 := digits2(b[11], b[12])
	mi, ok2 := digits2(b[14], b[15])
	s, ok3 := digits2(b[17], b[18])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || s > 59 {
		return 0, false
	}
	ms := c.ms + ((h*60+mi)*60+s)*1000
	if n == 23 {
		if b[19] != '.' {
			return 0, false
		}
		f1, ok1 := digits2(b[20], b[21])
		f2, ok2 := digits2('0', b[22])
		if !ok1 || !ok2 {
			return 0, false
		}
		ms += f1*10 + f2
	}
	return ms, true
}

// digits2 is the number two decimal digits make.
func digits2(a, b byte) (int64, bool) {
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return 0, false
	}
	return int64(a-'0')*10 + int64(b-'0'), true
}
