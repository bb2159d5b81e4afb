package vector

import "strconv"

// Timestamps are int64 milliseconds since the Unix epoch, UTC. This file
// parses and formats them without the time package, so that casting a
// column of text does not allocate per row.

const (
	msPerSecond = 1000
	msPerMinute = 60 * msPerSecond
	msPerHour   = 60 * msPerMinute
	msPerDay    = 24 * msPerHour
)

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

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
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

// parseTimestamp parses text as a timestamp in milliseconds since the
// epoch, UTC. Accepted forms (surrounding spaces ignored):
//
//	YYYY-MM-DD
//	YYYY-MM-DD HH:MM[:SS[.fff...]]
//	YYYY-MM-DDTHH:MM[:SS[.fff...]][Z|±hh[:mm]|±hhmm]   (also with ' ' before the zone, or ' UTC')
//	an integer: epoch milliseconds
//
// Month, day, hour, minute and second may have one or two digits.
// Fractions beyond milliseconds are truncated.
func parseTimestamp(s string) (int64, bool) {
	s = trimSpaces(s)
	if s == "" {
		return 0, false
	}
	if isInteger(s) {
		v, ok := parseInt64(s)
		return v, ok
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

// appendTimestamp appends ms formatted as "YYYY-MM-DD HH:MM:SS.fff" (UTC).
func appendTimestamp(b []byte, ms int64) []byte {
	days := ms / msPerDay
	rem := ms % msPerDay
	if rem < 0 {
		rem += msPerDay
		days--
	}
	y, mo, d := civilFromDays(days)
	if y >= 0 && y <= 9999 {
		b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	} else {
		b = strconv.AppendInt(b, y, 10)
	}
	h := rem / msPerHour
	mi := rem / msPerMinute % 60
	s := rem / msPerSecond % 60
	f := rem % msPerSecond
	return append(b, '-', byte('0'+mo/10), byte('0'+mo%10), '-', byte('0'+d/10), byte('0'+d%10),
		' ', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10),
		':', byte('0'+s/10), byte('0'+s%10), '.', byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
}

// formatTimestamp formats ms as "YYYY-MM-DD HH:MM:SS.fff" (UTC).
func formatTimestamp(ms int64) string {
	return string(appendTimestamp(make([]byte, 0, 23), ms))
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
