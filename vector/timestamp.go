package vector

import (
	"fmt"
	"strconv"
	"time"
)

// Timestamps are int64 milliseconds since the Unix epoch, UTC. This file is
// the one definition of how Weir reads and writes TIMESTAMP(3) text: casts
// and literals here, and the CSV/JSON decoders and encoders of
// connectors/format, use it. The common forms are parsed and formatted
// without the time package, so that a column of text converts without
// allocating per row.

const (
	msPerSecond = 1000
	msPerMinute = 60 * msPerSecond
	msPerHour   = 60 * msPerMinute
	msPerDay    = 24 * msPerHour
)

// ParseTimestamp parses text as a TIMESTAMP(3) and returns milliseconds
// since the Unix epoch, UTC. Surrounding spaces, tabs, CR and LF are
// ignored. It accepts
//
//	2024-01-02                        midnight UTC
//	2024-01-02 15:04:05[.fff]         UTC; 'T' or 't' may replace the space;
//	2024-01-02T15:04[:05]             the seconds may be left out; the
//	                                  fraction has any number of digits and
//	                                  is truncated to milliseconds
//	2024-1-2 3:04:05                  month, day, hour, minute and second
//	                                  may have one or two digits
//	-0044-03-15, 10000-01-01          signed years, 4 to 6 digits
//	...Z, ...+02:00, ...-0530, ...+02 zones, converted to UTC; also 'z',
//	...[ ]UTC, ... +01:00             "UTC" and a space before the zone
//	1704207845000                     integer epoch milliseconds
//
// and, more slowly (with package time), RFC 1123 dates ("Mon, 02 Jan 2006
// 15:04:05 MST" or "... -0700") and whatever else time.RFC3339Nano
// accepts, such as a comma before the fraction.
func ParseTimestamp(s string) (int64, error) {
	t := trimSpaces(s)
	if ms, ok := parseTimestampFixed(t); ok {
		return ms, nil
	}
	if isInteger(t) {
		if ms, ok := parseInt64(t); ok {
			return ms, nil
		}
	} else if ms, ok := parseTimestampFlex(t); ok {
		return ms, nil
	} else if ms, ok := parseTimestampTime(t); ok {
		return ms, nil
	}
	q := s
	if len(q) > 64 {
		q = q[:64] + "..."
	}
	return 0, fmt.Errorf("invalid TIMESTAMP %q (want 'YYYY-MM-DD[ HH:MM:SS[.fff]]', RFC 3339, or epoch milliseconds)", q)
}

// digitsAt parses s[i:i+n] as a decimal number.
func digitsAt(s string, i, n int) (int64, bool) {
	if i < 0 || i+n > len(s) {
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

// parseTimestampFixed parses the fixed-width forms (4-digit year, 2-digit
// fields, zone directly after the time) by position: the fast path.
func parseTimestampFixed(s string) (int64, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y, ok1 := digitsAt(s, 0, 4)
	mo, ok2 := digitsAt(s, 5, 2)
	d, ok3 := digitsAt(s, 8, 2)
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
	h, ok1 := digitsAt(s, 11, 2)
	mi, ok2 := digitsAt(s, 14, 2)
	if !ok1 || !ok2 || s[13] != ':' || h > 23 || mi > 59 {
		return 0, false
	}
	ms += h*msPerHour + mi*msPerMinute
	p := 16
	if p < len(s) && s[p] == ':' {
		sec, ok := digitsAt(s, 17, 2)
		if !ok || sec > 59 {
			return 0, false
		}
		ms += sec * msPerSecond
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
			if n == 0 {
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
		oh, ok := digitsAt(s, p+1, 2)
		if !ok || oh > 23 {
			return 0, false
		}
		q := p + 3
		var om int64
		if q < len(s) {
			if s[q] == ':' {
				q++
			}
			if om, ok = digitsAt(s, q, 2); !ok || om > 59 {
				return 0, false
			}
			q += 2
		}
		if q != len(s) {
			return 0, false
		}
		off := oh*msPerHour + om*msPerMinute
		if s[p] == '+' {
			return ms - off, true
		}
		return ms + off, true
	}
	return 0, false
}

// tsScanner reads the fields of a timestamp.
type tsScanner struct {
	s string
	i int
}

// digits reads between min and max decimal digits.
func (p *tsScanner) digits(minN, maxN int) (int64, bool) {
	var v int64
	n := 0
	for p.i < len(p.s) && n < maxN && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		v = v*10 + int64(p.s[p.i]-'0')
		p.i++
		n++
	}
	return v, n >= minN
}

// eat consumes c if it is next.
func (p *tsScanner) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// parseTimestampFlex parses the variable-width forms of ParseTimestamp
// (signed and long years, one-digit fields, a space or "UTC" before the
// zone); s is trimmed and not an integer.
func parseTimestampFlex(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	p := tsScanner{s: s}
	neg := p.eat('-')
	y, ok := p.digits(4, 6)
	if !ok || !p.eat('-') {
		return 0, false
	}
	if neg {
		y = -y
	}
	mo, ok := p.digits(1, 2)
	if !ok || !p.eat('-') || mo < 1 || mo > 12 {
		return 0, false
	}
	d, ok := p.digits(1, 2)
	if !ok || d < 1 || d > daysIn(y, mo) {
		return 0, false
	}
	ms := daysFromCivil(y, mo, d) * msPerDay
	if p.i == len(s) {
		return ms, true
	}
	if !p.eat(' ') && !p.eat('T') && !p.eat('t') {
		return 0, false
	}
	h, ok := p.digits(1, 2)
	if !ok || h > 23 || !p.eat(':') {
		return 0, false
	}
	mi, ok := p.digits(1, 2)
	if !ok || mi > 59 {
		return 0, false
	}
	var sec int64
	if p.eat(':') {
		if sec, ok = p.digits(1, 2); !ok || sec > 59 {
			return 0, false
		}
		if p.eat('.') {
			start := p.i
			var frac int64
			for p.i < len(s) && s[p.i] >= '0' && s[p.i] <= '9' {
				if p.i-start < 3 {
					frac = frac*10 + int64(s[p.i]-'0')
				}
				p.i++
			}
			n := p.i - start
			if n == 0 {
				return 0, false
			}
			for ; n < 3; n++ {
				frac *= 10
			}
			ms += frac
		}
	}
	ms += h*msPerHour + mi*msPerMinute + sec*msPerSecond
	if p.i == len(s) {
		return ms, true
	}
	// Time zone.
	rest := s[p.i:]
	if rest[0] == ' ' {
		rest = rest[1:]
	}
	switch rest {
	case "Z", "z", "UTC":
		return ms, true
	}
	if len(rest) < 3 || (rest[0] != '+' && rest[0] != '-') {
		return 0, false
	}
	z := tsScanner{s: rest, i: 1}
	zh, ok := z.digits(2, 2)
	if !ok || zh > 23 {
		return 0, false
	}
	var zm int64
	if z.i < len(rest) {
		z.eat(':')
		if zm, ok = z.digits(2, 2); !ok || zm > 59 || z.i != len(rest) {
			return 0, false
		}
	}
	off := zh*msPerHour + zm*msPerMinute
	if rest[0] == '+' {
		return ms - off, true
	}
	return ms + off, true
}

// parseTimestampTime tries the layouts only package time parses: RFC 1123
// (which starts with a weekday name) and the remainder of RFC 3339 (which
// starts with "YYYY-"). The guards keep garbage off the slow path.
func parseTimestampTime(s string) (int64, bool) {
	switch {
	case s != "" && (s[0]|0x20 >= 'a' && s[0]|0x20 <= 'z'):
		for _, layout := range [...]string{time.RFC1123Z, time.RFC1123} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UnixMilli(), true
			}
		}
	case len(s) >= 10 && s[4] == '-':
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UnixMilli(), true
		}
	}
	return 0, false
}

// FormatTimestamp formats epoch milliseconds as RFC 3339 in UTC with three
// fraction digits: "2024-01-01T00:00:05.000Z".
func FormatTimestamp(ms int64) string {
	return string(AppendTimestamp(make([]byte, 0, 24), ms, 'T', true))
}

// TimestampWriter appends timestamps as AppendTimestamp does, remembering
// the last day it converted to a calendar date: the timestamps of a
// result often share their day (a window's bounds), and the conversion is
// the costly part. The zero value is ready; it is not safe for concurrent
// use.
type TimestampWriter struct {
	day       int64
	y, mo, d  int64
	converted bool
}

// Append appends ms to b exactly as AppendTimestamp(b, ms, sep, zone).
func (w *TimestampWriter) Append(b []byte, ms int64, sep byte, zone bool) []byte {
	days := ms / msPerDay
	rem := ms % msPerDay
	if rem < 0 {
		rem += msPerDay
		days--
	}
	if !w.converted || days != w.day {
		w.y, w.mo, w.d = civilFromDays(days)
		w.day, w.converted = days, true
	}
	return appendCivil(b, w.y, w.mo, w.d, rem, sep, zone)
}

// AppendTimestamp appends epoch milliseconds ms to b as
// "2024-01-01T00:00:05.000Z" (UTC), with sep between date and time (e.g.
// ' ' for CSV and SQL text) and the trailing 'Z' only if zone is true.
// Years outside 0..9999 are written as time.Time.Format writes them
// ("-0044", "10000").
func AppendTimestamp(b []byte, ms int64, sep byte, zone bool) []byte {
	days := ms / msPerDay
	rem := ms % msPerDay
	if rem < 0 {
		rem += msPerDay
		days--
	}
	y, mo, d := civilFromDays(days)
	return appendCivil(b, y, mo, d, rem, sep, zone)
}

// appendCivil appends the date y-mo-d and the time of day rem
// (milliseconds) as AppendTimestamp does.
func appendCivil(b []byte, y, mo, d, rem int64, sep byte, zone bool) []byte {
	if y >= 0 && y <= 9999 {
		b = append(b, pairs[2*(y/100)], pairs[2*(y/100)+1], pairs[2*(y%100)], pairs[2*(y%100)+1])
	} else if y < 0 && y > -10000 {
		y = -y
		b = append(b, '-', pairs[2*(y/100)], pairs[2*(y/100)+1], pairs[2*(y%100)], pairs[2*(y%100)+1])
	} else {
		b = strconv.AppendInt(b, y, 10)
	}
	r := uint32(rem)
	h := r / msPerHour
	r -= h * msPerHour
	mi := r / msPerMinute
	r -= mi * msPerMinute
	s := r / msPerSecond
	f := r - s*msPerSecond
	b = append(b, '-', pairs[2*mo], pairs[2*mo+1], '-', pairs[2*d], pairs[2*d+1],
		sep, pairs[2*h], pairs[2*h+1], ':', pairs[2*mi], pairs[2*mi+1], ':', pairs[2*s], pairs[2*s+1],
		'.', byte('0'+f/100), pairs[2*(f%100)], pairs[2*(f%100)+1])
	if zone {
		b = append(b, 'Z')
	}
	return b
}

// pairs holds the two-digit decimal strings "00" to "99".
const pairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// daysFromCivil returns the number of days since 1970-01-01 of a proleptic
// Gregorian date (Howard Hinnant's algorithm).
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

// civilFromDays is the inverse of daysFromCivil. It counts in unsigned
// arithmetic from 0000-03-01 (Neri and Schneider's algorithm, as in package
// time), first moving dates before that forward by whole 400-year cycles.
func civilFromDays(days int64) (y, m, d int64) {
	z := days + 719468 // days since 0000-03-01
	var shift int64
	if z < 0 {
		k := -z/146097 + 1
		z += k * 146097
		shift = -400 * k
	}
	n := 4*uint64(z) + 3
	century := n / 146097
	cd := 4*uint32(n%146097/4) + 3 // day of the century, scaled
	cy := cd / 1461
	md := 2141*(cd%1461/4) + 197913 // from the day of a year starting March 1
	m = int64(md >> 16)
	d = int64((md&0xFFFF)/2141) + 1
	y = int64(century*100) + int64(cy) + shift
	if m > 12 {
		m -= 12
		y++
	}
	return y, m, d
}

// daysIn returns the number of days of month m in year y.
func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// trimSpaces trims ASCII spaces, tabs, CR and LF from both ends.
func trimSpaces(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// isSpace reports whether c is an ASCII space, tab, CR or LF.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isInteger reports whether s is an optionally signed run of digits.
func isInteger(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseInt64 parses an optionally signed decimal integer without
// allocating, reporting false on syntax errors and overflow.
func parseInt64(s string) (int64, bool) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var u uint64 // 19 digits always fit
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}
