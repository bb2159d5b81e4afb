package vector

import (
	"math"
	mrand "math/rand"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	ms := func(y int, mo time.Month, d, h, mi, s, milli int) int64 {
		return time.Date(y, mo, d, h, mi, s, milli*1e6, time.UTC).UnixMilli()
	}
	good := []struct {
		in   string
		want int64
	}{
		// From connectors/format.
		{"2024-01-01 00:00:05", ms(2024, 1, 1, 0, 0, 5, 0)},
		{"2024-01-01T00:00:05", ms(2024, 1, 1, 0, 0, 5, 0)},
		{"2024-01-01t00:00:05z", ms(2024, 1, 1, 0, 0, 5, 0)},
		{"2024-01-01 00:00:05.1", ms(2024, 1, 1, 0, 0, 5, 100)},
		{"2024-01-01 00:00:05.12", ms(2024, 1, 1, 0, 0, 5, 120)},
		{"2024-01-01 00:00:05.123", ms(2024, 1, 1, 0, 0, 5, 123)},
		{"2024-01-01 00:00:05.123999999", ms(2024, 1, 1, 0, 0, 5, 123)},
		{"2024-01-01T00:00:05.123Z", ms(2024, 1, 1, 0, 0, 5, 123)},
		{"2024-01-01T02:00:05.5+02:00", ms(2024, 1, 1, 0, 0, 5, 500)},
		{"2023-12-31T19:00:05-05:00", ms(2024, 1, 1, 0, 0, 5, 0)},
		{"2024-01-01T05:30:05+0530", ms(2024, 1, 1, 0, 0, 5, 0)},
		{"2024-01-01T01:00:05+01", ms(2024, 1, 1, 0, 0, 5, 0)},
		{"2024-01-01 10:15", ms(2024, 1, 1, 10, 15, 0, 0)},
		{"2024-02-29", ms(2024, 2, 29, 0, 0, 0, 0)},
		{"2000-02-29", ms(2000, 2, 29, 0, 0, 0, 0)},
		{"1969-12-31 23:59:59.999", -1},
		{"1900-03-01 00:00:00", ms(1900, 3, 1, 0, 0, 0, 0)},
		{"0001-01-01", ms(1, 1, 1, 0, 0, 0, 0)},
		{"9999-12-31 23:59:59.999", ms(9999, 12, 31, 23, 59, 59, 999)},
		{"1704067205000", 1704067205000},
		{"-1000", -1000},
		{"0", 0},
		{"Mon, 01 Jan 2024 00:00:05 +0000", ms(2024, 1, 1, 0, 0, 5, 0)},

		// From vector (casts and literals).
		{"2024-01-02 03:04:05", ms(2024, 1, 2, 3, 4, 5, 0)},
		{"2024-01-02 03:04:05.6", ms(2024, 1, 2, 3, 4, 5, 600)},
		{"2024-01-02 03:04:05.67", ms(2024, 1, 2, 3, 4, 5, 670)},
		{"2024-01-02 03:04:05.678999", ms(2024, 1, 2, 3, 4, 5, 678)},
		{"2024-01-02T03:04:05Z", ms(2024, 1, 2, 3, 4, 5, 0)},
		{"2024-01-02T03:04:05.123+05:30", ms(2024, 1, 1, 21, 34, 5, 123)},
		{"2024-01-02T03:04:05-0800", ms(2024, 1, 2, 11, 4, 5, 0)},
		{"2024-01-02T03:04:05+02", ms(2024, 1, 2, 1, 4, 5, 0)},
		{"2024-01-02 03:04", ms(2024, 1, 2, 3, 4, 0, 0)},
		{"2024-1-2", ms(2024, 1, 2, 0, 0, 0, 0)},
		{"  2024-01-02  ", ms(2024, 1, 2, 0, 0, 0, 0)},
		{"2024-02-29", ms(2024, 2, 29, 0, 0, 0, 0)},
		{"2000-02-29 23:59:59.999", ms(2000, 2, 29, 23, 59, 59, 999)},
		{"1969-12-31 23:59:59.999", ms(1969, 12, 31, 23, 59, 59, 999)},
		{"1600-03-01", ms(1600, 3, 1, 0, 0, 0, 0)},
		{"2024-01-02 03:04:05 UTC", ms(2024, 1, 2, 3, 4, 5, 0)},
		{"2024-01-02 03:04:05 +01:00", ms(2024, 1, 2, 2, 4, 5, 0)},
		{"9999-12-31 23:59:59.999", ms(9999, 12, 31, 23, 59, 59, 999)},

		// Accepted by one of the two former parsers and rejected by the
		// other (connectors/format): the union accepts them.
		{"2024-1-01", ms(2024, 1, 1, 0, 0, 0, 0)},
		{"2024-01-01 00:00:05 ", ms(2024, 1, 1, 0, 0, 5, 0)},
		{"2024-01-01 00:00:05.1234567890", ms(2024, 1, 1, 0, 0, 5, 123)},

		// More of the union: the flexible forms, and what only package time
		// parses (RFC 1123, the rest of RFC 3339).
		{"\t2024-01-02 3:4:5.6\r\n", ms(2024, 1, 2, 3, 4, 5, 600)},
		{"2024-01-02T03:04Z", ms(2024, 1, 2, 3, 4, 0, 0)},
		{"2024-01-02 03:04:05Z", ms(2024, 1, 2, 3, 4, 5, 0)},
		{"2024-01-02 03:04:05 z", ms(2024, 1, 2, 3, 4, 5, 0)},
		{"2024-01-02T03:04:05UTC", ms(2024, 1, 2, 3, 4, 5, 0)},
		{"2024-01-02 03:04:05 -0130", ms(2024, 1, 2, 4, 34, 5, 0)},
		{"-0044-03-15", ms(-44, 3, 15, 0, 0, 0, 0)},
		{"0000-02-29", ms(0, 2, 29, 0, 0, 0, 0)},
		{"10000-01-01 00:00:00.000", ms(10000, 1, 1, 0, 0, 0, 0)},
		{"+1704067205000", 1704067205000},
		{"0001704067205000", 1704067205000},
		{"9223372036854775807", math.MaxInt64},
		{"-9223372036854775808", math.MinInt64},
		{"2024-01-01T00:00:05,25Z", ms(2024, 1, 1, 0, 0, 5, 250)},
		{"Mon, 01 Jan 2024 02:00:05 +0200", ms(2024, 1, 1, 0, 0, 5, 0)},
		{"Mon, 01 Jan 2024 00:00:05 UTC", ms(2024, 1, 1, 0, 0, 5, 0)},
		{" Mon, 01 Jan 2024 00:00:05 UTC ", ms(2024, 1, 1, 0, 0, 5, 0)},
	}
	for _, tc := range good {
		got, err := ParseTimestamp(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseTimestamp(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	bad := []string{
		// From connectors/format.
		"", "abc", "2024-13-01", "2023-02-29", "1900-02-29", "2024-01-32", "2024-01-01 24:00:00",
		"2024-01-01 00:60:00", "2024-01-01 00:00:60", "2024-01-01 00:00:05.",
		"2024-01-01 00:00:05Zx", "2024-01-01 00:00:05+2", "2024-01-01 00:00:05+25:00",
		"2024-01-01x00:00:05", "2024/01/01", "99999999999999999999", "1.5",
		// From vector.
		"", "2024-", "2024-13-01", "2023-02-29", "2024-01-32", "2024-01-02 24:00:00",
		"2024-01-02 03:60", "2024-01-02x", "2024-01-02 03:04:05.", "2024-01-02T03:04:05+5", "abc", "99999999999999999999",
		"2024-01-02 03:04:05Zjunk", "2024-01-02T03:04:05+25:00",
		// More.
		"   ", "-", "+", "2024-00-01", "2024-01-00", "2024-01-01 00:00:05.1Z Z", "2024-01-01 00:00:05  Z",
		"2024-01-01 00:00:05+05:3", "2024-01-01 00:00:05+05:300", "2024-01-01 00:00:05 GMT", "2024-01-01 00",
		"2024-01-01 00:", "9223372036854775808", "-9223372036854775809", "Mon", "Mon, 32 Jan 2024 00:00:05 UTC",
		"1234567-01-01", "024-01-01", "2024-01-01T00:00:05,Z",
	}
	for _, in := range bad {
		if got, err := ParseTimestamp(in); err == nil {
			t.Errorf("ParseTimestamp(%q) = %d, want an error", in, got)
		} else if !strings.HasPrefix(err.Error(), "invalid TIMESTAMP ") {
			t.Errorf("ParseTimestamp(%q): %v", in, err)
		}
	}
	if _, err := ParseTimestamp(strings.Repeat("x", 100)); err == nil || strings.Contains(err.Error(), strings.Repeat("x", 65)) {
		t.Errorf("long input: %v", err)
	}
}

func TestFormatTimestamp(t *testing.T) {
	for _, tc := range []struct {
		ms   int64
		want string
	}{
		{0, "1970-01-01T00:00:00.000Z"},
		{1704067205000, "2024-01-01T00:00:05.000Z"},
		{1704067205123, "2024-01-01T00:00:05.123Z"},
		{-1, "1969-12-31T23:59:59.999Z"},
		{time.Date(-44, 3, 15, 1, 2, 3, 4e6, time.UTC).UnixMilli(), "-0044-03-15T01:02:03.004Z"},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), "10000-01-01T00:00:00.000Z"},
	} {
		if got := FormatTimestamp(tc.ms); got != tc.want {
			t.Errorf("FormatTimestamp(%d) = %q, want %q", tc.ms, got, tc.want)
		}
		if got := string(AppendTimestamp(nil, tc.ms, ' ', false)); got != strings.TrimSuffix(strings.Replace(tc.want, "T", " ", 1), "Z") {
			t.Errorf("AppendTimestamp(%d) = %q", tc.ms, got)
		}
	}
	// Round trip over years 1 to 9999, both layouts.
	r := rand.New(rand.NewPCG(1, 2))
	lo, hi := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC).UnixMilli()
	for range 100000 {
		ms := lo + r.Int64N(hi-lo+1)
		s := FormatTimestamp(ms)
		if want := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z"); s != want {
			t.Fatalf("FormatTimestamp(%d) = %q, want %q", ms, s, want)
		}
		for _, in := range []string{s, string(AppendTimestamp(nil, ms, ' ', false))} {
			if got, err := ParseTimestamp(in); err != nil || got != ms {
				t.Fatalf("ParseTimestamp(%q) = %d, %v; want %d", in, got, err, ms)
			}
		}
	}
	// Random round trips against the time package, with zones.
	rng := mrand.New(mrand.NewSource(8))
	for i := 0; i < 20000; i++ {
		ms := rng.Int63n(2*253402300799999) - 253402300799999/2
		tm := time.UnixMilli(ms).UTC()
		if tm.Year() < 0 || tm.Year() > 9999 {
			continue
		}
		s := string(AppendTimestamp(nil, ms, ' ', false))
		if want := tm.Format("2006-01-02 15:04:05.000"); s != want {
			t.Fatalf("AppendTimestamp(%d) = %s, want %s", ms, s, want)
		}
		got, err := ParseTimestamp(s)
		if err != nil || got != ms {
			t.Fatalf("ParseTimestamp(%q) = %d %v, want %d", s, got, err, ms)
		}
		iso := tm.In(time.FixedZone("", int(rng.Int63n(47)-23)*1800)).Format("2006-01-02T15:04:05.000-07:00")
		if got, err := ParseTimestamp(iso); err != nil || got != ms {
			t.Fatalf("ParseTimestamp(%q) = %d %v, want %d", iso, got, err, ms)
		}
	}
	// Any int64 formats as package time does; years of up to 6 digits
	// (with sign) parse back.
	for i := 0; i < 100000; i++ {
		var ms int64
		switch i % 3 {
		case 0:
			ms = int64(r.Uint64())
		case 1:
			ms = r.Int64N(2*4e16) - 4e16
		default:
			ms = r.Int64N(2*1e14) - 1e14
		}
		if i < 4 {
			ms = []int64{math.MinInt64, math.MaxInt64, math.MinInt64 + 1, math.MaxInt64 - 1}[i]
		}
		tm := time.UnixMilli(ms).UTC()
		s := FormatTimestamp(ms)
		if want := tm.Format("2006-01-02T15:04:05.000Z"); s != want {
			t.Fatalf("FormatTimestamp(%d) = %q, want %q", ms, s, want)
		}
		if y := tm.Year(); y > -1e6 && y < 1e6 {
			if got, err := ParseTimestamp(s); err != nil || got != ms {
				t.Fatalf("ParseTimestamp(%q) = %d, %v; want %d", s, got, err, ms)
			}
		}
	}
}

var benchTimestamps = []string{"2024-01-01 00:00:05.123", "2024-01-01T00:00:05.123Z", "2024-01-01T02:00:05.5+02:00",
	"2024-01-01", "1704067205000", "2024-1-1 0:00:05 UTC"}

func BenchmarkParseTimestamp(b *testing.B) {
	for _, in := range benchTimestamps {
		b.Run(in, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := ParseTimestamp(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendTimestamp(b *testing.B) {
	buf := make([]byte, 0, 64)
	for i := 0; i < b.N; i++ {
		buf = AppendTimestamp(buf[:0], 1704067205123+int64(i)*37, 'T', true)
	}
}
