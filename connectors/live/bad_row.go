package live

import "unicode/utf8"

// MaxBadRecord is how many bytes of a bad record BadRow.Record keeps, as
// the file source does.
const MaxBadRecord = 200

// Truncate returns a copy of rec cut to at most MaxBadRecord bytes, at a
// UTF-8 character boundary.
func Truncate(rec []byte) string {
	if len(rec) > MaxBadRecord {
		cut := MaxBadRecord
		for cut > MaxBadRecord-utf8.UTFMax && !utf8.RuneStart(rec[cut]) {
			cut--
		}
		rec = rec[:cut]
	}
	return string(rec)
}
