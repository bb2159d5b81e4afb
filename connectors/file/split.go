package file

import "bytes"

// lineBoundary returns the offset just after the first newline of data at
// or after target-1, that is the first record boundary at or after target
// when records are lines; len(data) if there is none.
func lineBoundary(data []byte, target int) int {
	if target >= len(data) {
		return len(data)
	}
	if k := bytes.IndexByte(data[target-1:], '\n'); k >= 0 {
		return target + k
	}
	return len(data)
}

// csvBoundary returns the first record boundary of data at or after target
// (> off), scanning from off, where a record starts; len(data) if there is
// none. It follows the grammar of the CSV decoder (see format.Resumer's
// SkipRecord): a quote opens a quoted field only at the start of a field;
// inside one, newlines do not end the record and "" is an escaped quote;
// after the closing quote, text other than the delimiter or a newline runs
// to the end of the line; a quote that is never closed runs to the end of
// the input. Only quotes are looked at one by one (bytes.IndexByte finds
// them), so cutting a file without quotes costs one search for a newline.
func csvBoundary(data []byte, off, target int, delim byte) int {
	if target >= len(data) {
		return len(data)
	}
	i := off // outside quotes: every newline from i on ends a record
	for {
		// The candidate: the first newline at or after target-1.
		nl := len(data)
		from := max(i, target-1)
		if k := bytes.IndexByte(data[from:], '\n'); k >= 0 {
			nl = from + k
		}
		q := bytes.IndexByte(data[i:nl], '"')
		if q < 0 {
			return min(nl+1, len(data))
		}
		q += i
		if q > off && data[q-1] != '\n' && data[q-1] != delim {
			i = q + 1 // a quote inside an unquoted field is text
			continue
		}
		// A quoted field: find its closing quote.
		j := q + 1
		for {
			k := bytes.IndexByte(data[j:], '"')
			if k < 0 {
				return len(data) // never closed: the record runs to the end
			}
			j += k + 1
			if j < len(data) && data[j] == '"' {
				j++ // an escaped quote
				continue
			}
			break
		}
		switch {
		case j >= len(data):
			return len(data)
		case data[j] == delim:
			i = j + 1
		case data[j] == '\n':
			if j+1 >= target {
				return j + 1
			}
			i = j + 1
		default:
			// Text after the closing quote: the record ends at the
			// end of the line.
			k := bytes.IndexByte(data[j:], '\n')
			if k < 0 {
				return len(data)
			}
			if j+k+1 >= target {
				return j + k + 1
			}
			i = j + k + 1
		}
	}
}
