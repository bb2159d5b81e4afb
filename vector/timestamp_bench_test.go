package vector

import "testing"

var benchTSInputs = []string{"2024-01-01 00:00:05.123", "2024-01-01T00:00:05.123Z", "2024-01-01T02:00:05.5+02:00", "2024-01-01", "1704067205000"}

func BenchmarkParseTimestampOld(b *testing.B) {
	for _, in := range benchTSInputs {
		b.Run(in, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, ok := parseTimestamp(in); !ok {
					b.Fatal(in)
				}
			}
		})
	}
}

func BenchmarkAppendTimestampOld(b *testing.B) {
	buf := make([]byte, 0, 64)
	for i := 0; i < b.N; i++ {
		buf = appendTimestamp(buf[:0], 1704067205123+int64(i)*37)
	}
}
