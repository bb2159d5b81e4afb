package format

import (
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
	}
	for _, tc := range good {
		got, err := ParseTimestamp(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseTimestamp(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	bad := []string{
		"", "abc", "2024-13-01", "2023-02-29", "1900-02-29", "2024-01-32", "2024-01-01 24:00:00",
		"2024-01-01 00:60:00", "2024-01-01 00:00:60", "2024-01-01 00:00:05.", "2024-01-01 00:00:05.1234567890",
		"2024-01-01 00:00:05Zx", "2024-01-01 00:00:05+2", "2024-01-01 00:00:05+25:00", "2024-1-01",
		"2024-01-01x00:00:05", "2024/01/01", "99999999999999999999", "1.5", "2024-01-01 00:00:05 ",
	}
	for _, in := range bad {
		if got, err := ParseTimestamp(in); err == nil {
			t.Errorf("ParseTimestamp(%q) = %d, want an error", in, got)
		} else if !strings.HasPrefix(err.Error(), "invalid TIMESTAMP ") {
			t.Errorf("ParseTimestamp(%q): %v", in, err)
		}
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
}
