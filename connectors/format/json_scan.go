package format

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonScanner is a small validating scanner over one line of JSON.
type jsonScanner struct {
	b []byte
	p int
}

// maxJSONDepth bounds the nesting of arrays and objects.
const maxJSONDepth = 1000

func (s *jsonScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at column %d: %s", s.p+1, fmt.Sprintf(format, args...))
}

// unexpected describes the byte at the scanner's position.
func (s *jsonScanner) unexpected(what string) error {
	if s.p >= len(s.b) {
		return s.errorf("unexpected end of line, expected %s", what)
	}
	return s.errorf("unexpected %s, expected %s", quoteShort(s.b[s.p:s.p+1]), what)
}

func (s *jsonScanner) ws() {
	for s.p < len(s.b) {
		switch s.b[s.p] {
		case ' ', '\t', '\r', '\n':
			s.p++
		default:
			return
		}
	}
}

func (s *jsonScanner) peek() byte {
	if s.p < len(s.b) {
		return s.b[s.p]
	}
	return 0
}

// strSafe marks bytes that may appear in a string without special handling.
var strSafe = func() (t [256]bool) {
	for i := 0x20; i < 256; i++ {
		t[i] = true
	}
	t['"'], t['\\'] = false, false
	return t
}()

// indexUnsafe skips, eight bytes at a time, the bytes of b from p on
// that a string holds as they are; it returns the index of the first quote,
// backslash or control character, or of the last fewer than eight bytes.
func indexUnsafe(b []byte, p int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; p+8 <= len(b); p += 8 {
		x := binary.LittleEndian.Uint64(b[p:])
		q, bs := x^(ones*'"'), x^(ones*'\\')
		// The lowest marked byte is the first match of any of the three
		// tests; borrows mark only bytes above a match.
		if t := ((q-ones)&^q | (bs-ones)&^bs | (x-ones*0x20)&^x) & highs; t != 0 {
			return p + bits.TrailingZeros64(t)/8
		}
	}
	return p
}

// str scans a string at the position (which holds '"') and returns its raw
// content and whether it contains escapes.
func (s *jsonScanner) str() (raw []byte, esc bool, err error) {
	s.p++
	start := s.p
	b := s.b
	for {
		p := indexUnsafe(b, s.p)
		for p < len(b) && strSafe[b[p]] {
			p++
		}
		s.p = p
		if p >= len(b) {
			return nil, false, s.errorf("unterminated string")
		}
		switch c := b[p]; c {
		case '"':
			s.p++
			return b[start:p], esc, nil
		case '\\':
			esc = true
			if p+1 >= len(b) {
				s.p = p + 1
				return nil, false, s.errorf("unterminated string")
			}
			switch b[p+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.p = p + 2
			case 'u':
				if p+6 > len(b) || !isHex4(b[p+2:p+6]) {
					s.p = p
					return nil, false, s.errorf("invalid \\u escape")
				}
				s.p = p + 6
			default:
				s.p = p
				return nil, false, s.errorf("invalid escape %s", quoteShort(b[p:p+2]))
			}
		default:
			return nil, false, s.errorf("control character %s in string", quoteShort(b[p:p+1]))
		}
	}
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if !('0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f') {
			return false
		}
	}
	return true
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c <= '9':
			r |= rune(c - '0')
		default:
			r |= rune(c|0x20-'a') + 10
		}
	}
	return r
}

// unescapeJSON appends the decoded form of raw, a validated string's
// content, to dst. Lone surrogates become U+FFFD.
func unescapeJSON(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			j := i + 1
			for j < len(raw) && raw[j] != '\\' {
				j++
			}
			dst = append(dst, raw[i:j]...)
			i = j
			continue
		}
		switch raw[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(raw[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if d := utf16.DecodeRune(r, hex4(raw[i+2:])); d != utf8.RuneError {
						r2 = d
						i += 6
					}
				}
				r = r2
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, raw[i+1])
		}
		i += 2
	}
	return dst
}

// number scans a number and returns its text and whether it is an integer
// (no fraction or exponent).
func (s *jsonScanner) number() (lit []byte, isInt bool, err error) {
	b := s.b
	start := s.p
	p := s.p
	if p < len(b) && b[p] == '-' {
		p++
	}
	switch {
	case p < len(b) && b[p] == '0':
		p++
	case p < len(b) && b[p] >= '1' && b[p] <= '9':
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			p++
		}
	default:
		s.p = p
		return nil, false, s.unexpected("a value")
	}
	isInt = true
	if p < len(b) && b[p] == '.' {
		isInt = false
		p++
		q := p
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			p++
		}
		if p == q {
			s.p = p
			return nil, false, s.unexpected("a digit")
		}
	}
	if p < len(b) && (b[p] == 'e' || b[p] == 'E') {
		isInt = false
		p++
		if p < len(b) && (b[p] == '+' || b[p] == '-') {
			p++
		}
		q := p
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			p++
		}
		if p == q {
			s.p = p
			return nil, false, s.unexpected("a digit")
		}
	}
	s.p = p
	return b[start:p], isInt, nil
}

// literal scans true, false or null and returns which ('t', 'f', 'n').
func (s *jsonScanner) literal() (byte, error) {
	rest := s.b[s.p:]
	for _, w := range [...]string{"true", "false", "null"} {
		if len(rest) >= len(w) && string(rest[:len(w)]) == w {
			s.p += len(w)
			return w[0], nil
		}
	}
	return 0, s.unexpected("a value")
}

var errTooDeep = errors.New("invalid JSON: nested too deeply")

// skip scans and validates one value of any type.
func (s *jsonScanner) skip(depth int) error {
	if depth > maxJSONDepth {
		return errTooDeep
	}
	switch s.peek() {
	case '"':
		_, _, err := s.str()
		return err
	case '{':
		s.p++
		s.ws()
		if s.peek() == '}' {
			s.p++
			return nil
		}
		for {
			if s.peek() != '"' {
				return s.unexpected("a string key")
			}
			if _, _, err := s.str(); err != nil {
				return err
			}
			s.ws()
			if s.peek() != ':' {
				return s.unexpected("':'")
			}
			s.p++
			s.ws()
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			s.ws()
			switch s.peek() {
			case ',':
				s.p++
				s.ws()
			case '}':
				s.p++
				return nil
			default:
				return s.unexpected("',' or '}'")
			}
		}
	case '[':
		s.p++
		s.ws()
		if s.peek() == ']' {
			s.p++
			return nil
		}
		for {
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			s.ws()
			switch s.peek() {
			case ',':
				s.p++
				s.ws()
			case ']':
				s.p++
				return nil
			default:
				return s.unexpected("',' or ']'")
			}
		}
	case 't', 'f', 'n':
		_, err := s.literal()
		return err
	}
	_, _, err := s.number()
	return err
}
