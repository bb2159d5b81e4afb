package vector

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestDateFormatPatterns(t *testing.T) {
	ms := time.Date(2024, 3, 3, 8, 5, 9, 7e6, time.UTC).UnixMilli()
	pm := time.Date(2023, 11, 30, 12, 0, 0, 120e6, time.UTC).UnixMilli()
	midnight := time.Date(2024, 12, 31, 0, 30, 0, 0, time.UTC).UnixMilli()
	cases := []struct {
		pattern string
		ms      int64
		want    string
	}{
		{"yyyy-MM-dd HH:mm", ms, "2024-03-03 08:05"},
		{"yyyy-MM-dd", ms, "2024-03-03"},
		{"HH:mm", ms, "08:05"},
		{"yy/M/d H:m:s", ms, "24/3/3 8:5:9"},
		{"y", ms, "2024"},
		{"yyyyy", ms, "02024"},
		{"SSS", ms, "007"},
		{"S SS SSSS", pm, "1 12 1200"},
		{"hh:mm a", ms, "08:05 AM"},
		{"h a", pm, "12 PM"},
		{"K k", midnight, "0 24"},
		{"h a", midnight, "12 AM"},
		{"E EEE EEEE", ms, "Sun Sun Sunday"},
		{"MMM MMMM", pm, "Nov November"},
		{"D DDD", midnight, "366 366"},
		{"D DDD", ms, "63 063"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSZ", ms, "2024-03-03T08:05:09.007+0000"},
		{"yyyy-MM-dd'T'HH:mm:ssX", ms, "2024-03-03T08:05:09Z"},
		{"''yyyy''", ms, "'2024'"},
		{"'o''clock' H", ms, "o'clock 8"},
		{"'day' d, 'of' MMMM", ms, "day 3, of March"},
		{"", ms, ""},
		{"-_/:., ", ms, "-_/:., "},
		{"yyyy-MM-dd HH:mm:ss.SSS", -1, "1969-12-31 23:59:59.999"},
		{"yyyy-MM-dd E", 0, "1970-01-01 Thu"},
		{"yy", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), "00"},
	}
	for _, c := range cases {
		f, err := ParseDateFormat(c.pattern)
		if err != nil {
			t.Errorf("%q: %v", c.pattern, err)
			continue
		}
		if got := f.Format(c.ms); got != c.want {
			t.Errorf("%q at %d: got %q, want %q", c.pattern, c.ms, got, c.want)
		}
	}
}

func TestDateFormatErrors(t *testing.T) {
	cases := []struct{ pattern, want string }{
		{"yyyy-MM-dd Q", `unknown pattern letter 'Q' at position 12`},
		{"yyyy-MM-ddTHH", `unknown pattern letter 'T' at position 11`},
		{"'open", `quote at position 1 is not closed`},
		{"HH 'it''s", `quote at position 4 is not closed`},
		{"yyyyyyyyyy", `too many 'y' at position 1`},
	}
	for _, c := range cases {
		_, err := ParseDateFormat(c.pattern)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.pattern, err, c.want)
		}
	}
}

// TestDateFormatAgainstTime compares patterns with the time package's
// equivalent layouts over random instants, before and after 1970.
func TestDateFormatAgainstTime(t *testing.T) {
	pairs := []struct{ java, goLayout string }{
		{"yyyy-MM-dd HH:mm:ss.SSS", "2006-01-02 15:04:05.000"},
		{"yy/M/d h:mm a EEE MMM", "06/1/2 3:04 PM Mon Jan"},
		{"EEEE, MMMM d, yyyy hh:mm:ss", "Monday, January 2, 2006 03:04:05"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSX", "2006-01-02T15:04:05.00Z"},
	}
	r := rand.New(rand.NewPCG(1, 2))
	lo := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	hi := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for _, p := range pairs {
		f, err := ParseDateFormat(p.java)
		if err != nil {
			t.Fatal(err)
		}
		for range 2000 {
			ms := lo + r.Int64N(hi-lo)
			want := time.UnixMilli(ms).UTC().Format(p.goLayout)
			if got := f.Format(ms); got != want {
				t.Fatalf("%q at %d: got %q, want %q", p.java, ms, got, want)
			}
		}
	}
	f, _ := ParseDateFormat("D")
	for range 2000 {
		ms := lo + r.Int64N(hi-lo)
		if got, want := f.Format(ms), time.UnixMilli(ms).UTC().YearDay(); got != itoa(want) {
			t.Fatalf("D at %d: got %s, want %d", ms, got, want)
		}
	}
}

func itoa(n int) string { return string(appendPadded(nil, int64(n), 1)) }

// FuzzDateFormat checks that no pattern makes the parser or the
// formatter panic, and that formatting is a pure function.
func FuzzDateFormat(f *testing.F) {
	for _, p := range []string{"yyyy-MM-dd HH:mm", "'T'", "''", "'", "EEEE MMMM SSSSSSSSS a", "yyyyyyyyyy", "\xff'"} {
		f.Add(p, int64(1709453109007))
	}
	f.Add("yyyy", int64(math.MinInt64))
	f.Add("D E", int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, p string, ms int64) {
		df, err := ParseDateFormat(p)
		if err != nil {
			return
		}
		if a, b := df.Format(ms), df.Format(ms); a != b {
			t.Fatalf("%q: %q then %q", p, a, b)
		}
	})
}
