package format

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unsafe"
)

// errSyntax is the cause of every value that does not parse.
var errSyntax = errors.New("invalid syntax")

// ParseInt64 parses a BIGINT: an optional sign and decimal digits.
func ParseInt64(b []byte) (int64, error) {
	s := b
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, errSyntax
	}
	if len(s) <= 18 { // cannot overflow
		var n int64
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, errSyntax
			}
			n = n*10 + int64(c-'0')
		}
		if neg {
			n = -n
		}
		return n, nil
	}
	n, err := strconv.ParseInt(bytesString(b), 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, errors.New("out of range")
		}
		return 0, errSyntax
	}
	return n, nil
}

// ParseFloat64 parses a DOUBLE as strconv.ParseFloat does (so "NaN" and
// "Inf" are accepted); values out of range are an error.
func ParseFloat64(b []byte) (float64, error) {
	if f, ok := parseDecimal(b); ok {
		return f, nil
	}
	f, err := strconv.ParseFloat(bytesString(b), 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, errors.New("out of range")
		}
		return 0, errSyntax
	}
	return f, nil
}

// pow10s are the powers of ten a float64 holds exactly.
var pow10s = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseDecimal parses the common plain decimal, [+-]digits[.digits],
// when its digits make an integer below 2^53 and it has at most 22 digits
// after the point: the value is then that integer divided by a power of
// ten, both exact, and one correctly rounded division gives what
// strconv.ParseFloat gives (its own exact fast path). ok is false for
// anything else, left to strconv.
func parseDecimal(b []byte) (f float64, ok bool) {
	f, end, ok := decimalAt(b, 0)
	return f, ok && end == len(b)
}

// decimalAt reads the plain decimal at b[p:] as parseDecimal does, up to
// the first byte that cannot continue it, and returns where it stopped.
func decimalAt(b []byte, p int) (f float64, end int, ok bool) {
	neg := false
	if p < len(b) && (b[p] == '-' || b[p] == '+') {
		neg = b[p] == '-'
		p++
	}
	var m uint64
	start := p
	for ; p < len(b) && b[p]-'0' <= 9; p++ {
		m = m*10 + uint64(b[p]-'0')
	}
	digits, frac := p-start, 0
	if p < len(b) && b[p] == '.' {
		p++
		fs := p
		for ; p < len(b) && b[p]-'0' <= 9; p++ {
			m = m*10 + uint64(b[p]-'0')
		}
		frac = p - fs
		digits += frac
	}
	// 19 digits cannot overflow m; 2^53 and 10^22 bound exactness.
	if digits == 0 || digits > 19 || m >= 1<<53 || frac >= len(pow10s) {
		return 0, p, false
	}
	f = float64(m)
	if frac > 0 {
		f /= pow10s[frac]
	}
	if neg {
		f = -f
	}
	return f, p, true
}

// ParseBool parses a BOOLEAN: true/false, t/f, yes/no, 1/0, in any case.
func ParseBool(b []byte) (bool, error) {
	switch len(b) {
	case 1:
		switch b[0] {
		case 't', 'T', '1':
			return true, nil
		case 'f', 'F', '0':
			return false, nil
		}
	case 2:
		if b[0]|0x20 == 'n' && b[1]|0x20 == 'o' {
			return false, nil
		}
	case 3:
		if b[0]|0x20 == 'y' && b[1]|0x20 == 'e' && b[2]|0x20 == 's' {
			return true, nil
		}
	case 4:
		if b[0]|0x20 == 't' && b[1]|0x20 == 'r' && b[2]|0x20 == 'u' && b[3]|0x20 == 'e' {
			return true, nil
		}
	case 5:
		if b[0]|0x20 == 'f' && b[1]|0x20 == 'a' && b[2]|0x20 == 'l' && b[3]|0x20 == 's' && b[4]|0x20 == 'e' {
			return false, nil
		}
	}
	return false, errSyntax
}

// parseText parses b, the text of a field, as a value of column c into
// v. Numbers, booleans and timestamps may be surrounded by spaces or tabs.
func parseText(c *column, b []byte, v *value) error {
	k := c.kind
	v.valid = true
	if k == kindString {
		v.s = b
		return nil
	}
	b = trimSpace(b)
	var err error
	switch k {
	case kindInt64:
		v.i, err = ParseInt64(b)
	case kindFloat64:
		v.f, err = ParseFloat64(b)
	case kindBool:
		var t bool
		t, err = ParseBool(b)
		v.i = 0
		if t {
			v.i = 1
		}
	case kindTimestamp:
		v.i, err = c.ts.parseTimestamp(b)
	}
	return err
}

// badValue describes a field that did not parse as its column's type.
func badValue(col string, k kind, b []byte, err error) error {
	if k == kindTimestamp {
		return fmt.Errorf("column %s: %w", col, err)
	}
	if err == errSyntax {
		return fmt.Errorf("column %s: invalid %s %s", col, k.typeName(), quoteShort(b))
	}
	return fmt.Errorf("column %s: invalid %s %s: %v", col, k.typeName(), quoteShort(b), err)
}

// quoteShort quotes b for a message, cut to 64 bytes.
func quoteShort(b []byte) string {
	if len(b) > 64 {
		return strconv.Quote(string(b[:64])) + "..."
	}
	return strconv.Quote(string(b))
}

// floatToInt64 converts f to an int64 if it is integral and in range.
func floatToInt64(f float64) (int64, bool) {
	if f != math.Trunc(f) || f < -9.223372036854775808e18 || f >= 9.223372036854775808e18 {
		return 0, false
	}
	return int64(f), true
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// bytesString views b as a string without copying; the string must not
// outlive b or be retained (strconv copies what it keeps in errors).
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
