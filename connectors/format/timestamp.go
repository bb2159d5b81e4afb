package format

import (
	"fmt"
	"strconv"
	"time"
)

const msPerDay = 86_400_000

// ParseTimestamp parses a TIMESTAMP(3) and returns milliseconds since the
// Unix epoch, UTC. It accepts
//
//	2024-01-02                     midnight UTC
//	2024-01-02 15:04:05[.fff]      UTC; 'T' may replace the space, the
//	2024-01-02T15:04[:05]          seconds may be left out, the fraction has
//	                               1 to 9 digits and is truncated to ms
//	...Z, ...+02:00, ...-0530      RFC 3339 zones, converted to UTC
//	1704207845000                  integer epoch milliseconds
//
// and, more slowly, RFC 1123 dates ("Mon, 02 Jan 2006 15:04:05 MST").
func ParseTimestamp(s string) (int64, error) {
	if ms, ok := parseTimestampFast(s); ok {
		return ms, nil
	}
	if isInteger(s) {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			return ms, nil
		}
	}
	for _, layout := range fallbackLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	q := s
	if len(q) > 64 {
		q = q[:64] + "..."
	}
	return 0, fmt.Errorf("invalid TIMESTAMP %q (want 'YYYY-MM-DD[ HH:MM:SS[.fff]]', RFC 3339, or epoch milliseconds)", q)
}

var fallbackLayouts = []string{time.RFC1123Z, time.RFC1123, time.RFC3339Nano}

func isInteger(s string) bool {
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// digits parses s[i:i+n] as a decimal number.
func digits(s string, i, n int) (int64, bool) {
	if i+n > len(s) {
		return 0, false
	}
	var v int64
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// parseTimestampFast parses the fixed-width forms without package time.
func parseTimestampFast(s string) (int64, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(s, 0, 4)
	mo, ok2 := digits(s, 5, 2)
	d, ok3 := digits(s, 8, 2)
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return 0, false
	}
	ms := daysFromCivil(y, mo, d) * msPerDay
	if len(s) == 10 {
		return ms, true
	}
	if c := s[10]; c != ' ' && c != 'T' && c != 't' {
		return 0, false
	}
	h, ok1 := digits(s, 11, 2)
	mi, ok2 := digits(s, 14, 2)
	if !ok1 || !ok2 || s[13] != ':' || h > 23 || mi > 59 {
		return 0, false
	}
	ms += h*3_600_000 + mi*60_000
	p := 16
	if p < len(s) && s[p] == ':' {
		sec, ok := digits(s, 17, 2)
		if !ok || sec > 59 {
			return 0, false
		}
		ms += sec * 1000
		p = 19
		if p < len(s) && s[p] == '.' {
			p++
			start := p
			var frac int64
			for p < len(s) && s[p] >= '0' && s[p] <= '9' {
				if p-start < 3 {
					frac = frac*10 + int64(s[p]-'0')
				}
				p++
			}
			n := p - start
			if n == 0 || n > 9 {
				return 0, false
			}
			for ; n < 3; n++ {
				frac *= 10
			}
			ms += frac
		}
	}
	if p == len(s) {
		return ms, true
	}
	switch s[p] {
	case 'Z', 'z':
		return ms, p+1 == len(s)
	case '+', '-':
		// ±hh, ±hhmm or ±hh:mm
		oh, ok := digits(s, p+1, 2)
		if !ok || oh > 23 {
			return 0, false
		}
		q := p + 3
		var om int64
		if q < len(s) {
			if s[q] == ':' {
				q++
			}
			if om, ok = digits(s, q, 2); !ok || om > 59 {
				return 0, false
			}
			q += 2
		}
		if q != len(s) {
			return 0, false
		}
		off := (oh*60 + om) * 60_000
		if s[p] == '+' {
			return ms - off, true
		}
		return ms + off, true
	}
	return 0, false
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// FormatTimestamp formats epoch milliseconds as RFC 3339 in UTC with three
// fraction digits: "2024-01-01T00:00:05.000Z".
func FormatTimestamp(ms int64) string {
	return string(AppendTimestamp(make([]byte, 0, 24), ms, 'T', true))
}

// AppendTimestamp appends epoch milliseconds ms as "2024-01-01T00:00:05.000Z"
// to b, with sep between date and time (e.g. ' ' for CSV) and the trailing
// 'Z' only if zone is true.
func AppendTimestamp(b []byte, ms int64, sep byte, zone bool) []byte {
	t := time.UnixMilli(ms).UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		b = t.AppendFormat(b, "2006-01-02")
	} else {
		b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
			byte('0'+mo/10), byte('0'+mo%10), '-', byte('0'+d/10), byte('0'+d%10))
	}
	h, mi, s := t.Clock()
	f := t.Nanosecond() / 1_000_000
	b = append(b, sep, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':',
		byte('0'+s/10), byte('0'+s%10), '.', byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
	if zone {
		b = append(b, 'Z')
	}
	return b
}
