package vector

import (
	"fmt"
	"strings"
)

// DateFormat is a compiled Java-style date pattern, as Flink's
// DATE_FORMAT takes it (java.time.format.DateTimeFormatter, whose letters
// agree with SimpleDateFormat's for the ones below). A run of one letter
// is a field; its length picks the form:
//
//	y   year: yy two digits, y as many as needed, yyyy padded to 4
//	M   month: M, MM (padded), MMM (Jan), MMMM (January)
//	d   day of month       D  day of year
//	H   hour 0-23          k  hour 1-24
//	h   hour 1-12          K  hour 0-11
//	m   minute             s  second
//	S   fraction of the second: S tenths, SS hundredths, SSS milliseconds
//	a   AM or PM
//	E   day of week: E, EE, EEE (Mon), EEEE (Monday)
//	Z   zone offset: +0000 (Weir's timestamps are UTC); X: Z
//
// Numbers are zero-padded to the run's length. Text in single quotes is
// copied (a doubled quote is one quote); other characters that are not letters are
// copied as they are; any other letter is an error, as in Java.
type DateFormat struct {
	items []dfItem
	// size is a typical length of a formatted value, max the most
	// bytes one can take (a field is at most 20: a year of 19 digits and
	// its sign), for reserving space.
	size, max int
}

// dfItem is one field or literal of a DateFormat.
type dfItem struct {
	letter byte // 0 for a literal
	width  int
	lit    string
}

var (
	monthNames = [12]string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
	dayNames = [7]string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)

// dfLetters are the pattern letters DateFormat knows.
const dfLetters = "yMdDHkhKmsSaEZX"

// ParseDateFormat compiles a pattern such as 'yyyy-MM-dd HH:mm:ss'. Its
// errors name the offending letter and its 1-based position.
func ParseDateFormat(p string) (*DateFormat, error) {
	f := &DateFormat{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			f.items = append(f.items, dfItem{lit: lit.String()})
			f.size += lit.Len()
			f.max += lit.Len()
			lit.Reset()
		}
	}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			if i+1 < len(p) && p[i+1] == '\'' {
				lit.WriteByte('\'')
				i += 2
				continue
			}
			j := i + 1
			for {
				if j >= len(p) {
					return nil, fmt.Errorf("date pattern %q: quote at position %d is not closed", p, i+1)
				}
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit.WriteByte(p[j])
				j++
			}
			i = j + 1
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			if strings.IndexByte(dfLetters, c) < 0 {
				return nil, fmt.Errorf("date pattern %q: unknown pattern letter %q at position %d (letters: %s; quote text as 'T')", p, c, i+1, dfLetters)
			}
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			w := j - i
			if w > 9 {
				return nil, fmt.Errorf("date pattern %q: too many %q at position %d", p, c, i+1)
			}
			flush()
			f.items = append(f.items, dfItem{letter: c, width: w})
			f.size += max(w, 4)
			f.max += 20
			i = j
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return f, nil
}

// Append appends ms (milliseconds since the epoch, UTC) formatted.
func (f *DateFormat) Append(b []byte, ms int64) []byte {
	days := ms / msPerDay
	rem := ms % msPerDay
	if rem < 0 {
		rem += msPerDay
		days--
	}
	y, mo, d := civilFromDays(days)
	hour := rem / msPerHour
	minute := rem / msPerMinute % 60
	sec := rem / msPerSecond % 60
	milli := rem % msPerSecond
	// 1970-01-01 was a Thursday: index 3 with Monday = 0.
	dow := (days%7 + 7 + 3) % 7
	for _, it := range f.items {
		switch it.letter {
		case 0:
			b = append(b, it.lit...)
		case 'y':
			if it.width == 2 {
				yy := y % 100
				if yy < 0 {
					yy += 100
				}
				b = appendPadded(b, yy, 2)
			} else {
				b = appendPadded(b, y, it.width)
			}
		case 'M':
			switch {
			case it.width == 3:
				b = append(b, monthNames[mo-1][:3]...)
			case it.width >= 4:
				b = append(b, monthNames[mo-1]...)
			default:
				b = appendPadded(b, mo, it.width)
			}
		case 'd':
			b = appendPadded(b, d, it.width)
		case 'D':
			b = appendPadded(b, days-daysFromCivil(y, 1, 1)+1, it.width)
		case 'H':
			b = appendPadded(b, hour, it.width)
		case 'k':
			if hour == 0 {
				b = appendPadded(b, 24, it.width)
			} else {
				b = appendPadded(b, hour, it.width)
			}
		case 'h':
			h := hour % 12
			if h == 0 {
				h = 12
			}
			b = appendPadded(b, h, it.width)
		case 'K':
			b = appendPadded(b, hour%12, it.width)
		case 'm':
			b = appendPadded(b, minute, it.width)
		case 's':
			b = appendPadded(b, sec, it.width)
		case 'S':
			switch it.width {
			case 1:
				b = appendPadded(b, milli/100, 1)
			case 2:
				b = appendPadded(b, milli/10, 2)
			default:
				b = appendPadded(b, milli, 3)
				for k := 3; k < it.width; k++ {
					b = append(b, '0')
				}
			}
		case 'a':
			if hour < 12 {
				b = append(b, "AM"...)
			} else {
				b = append(b, "PM"...)
			}
		case 'E':
			if it.width >= 4 {
				b = append(b, dayNames[dow]...)
			} else {
				b = append(b, dayNames[dow][:3]...)
			}
		case 'Z':
			b = append(b, "+0000"...)
		case 'X':
			b = append(b, 'Z')
		}
	}
	return b
}

// Format returns ms formatted.
func (f *DateFormat) Format(ms int64) string { return string(f.Append(nil, ms)) }

// appendPadded appends v in decimal, zero-padded to width digits (a
// negative v gets its sign first).
func appendPadded(b []byte, v int64, width int) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var tmp [20]byte
	i := len(tmp)
	for v >= 10 {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	tmp[i] = byte('0' + v)
	for k := len(tmp) - i; k < width; k++ {
		b = append(b, '0')
	}
	return append(b, tmp[i:]...)
}
