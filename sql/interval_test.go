package sql

import (
	"strings"
	"testing"
	"time"
)

func TestParseInterval(t *testing.T) {
	ok := []struct {
		in   string
		want time.Duration
	}{
		{"5 seconds", 5 * time.Second},
		{"5 second", 5 * time.Second},
		{"5s", 5 * time.Second},
		{"5 SECOND", 5 * time.Second},
		{"5 sec", 5 * time.Second},
		{"500ms", 500 * time.Millisecond},
		{"500 milliseconds", 500 * time.Millisecond},
		{"500 MILLISECOND", 500 * time.Millisecond},
		{"1 minute", time.Minute},
		{"2 min", 2 * time.Minute},
		{"3m", 3 * time.Minute},
		{"10 MINUTES", 10 * time.Minute},
		{"1 hour", time.Hour},
		{"1h", time.Hour},
		{"2 Hours", 2 * time.Hour},
		{"1 day", 24 * time.Hour},
		{"1d", 24 * time.Hour},
		{"7 DAYS", 7 * 24 * time.Hour},
		{"1.5 seconds", 1500 * time.Millisecond},
		{"0.25s", 250 * time.Millisecond},
		{".5 minute", 30 * time.Second},
		{"  5   seconds  ", 5 * time.Second},
		{"0 s", 0},
	}
	for _, c := range ok {
		got, err := ParseInterval(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseInterval(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	bad := []string{"", "5", "500", "seconds", "5 fortnights", "-5 s", "5 s s", "1e3 s", "1..5 s", "1.2.3 s", ".", "99999999999 days", "5 µs"}
	for _, in := range bad {
		d, err := ParseInterval(in)
		if err == nil {
			t.Errorf("ParseInterval(%q) = %v, want an error", in, d)
			continue
		}
		if !strings.Contains(err.Error(), "invalid interval") {
			t.Errorf("ParseInterval(%q) error %q does not say it is invalid", in, err)
		}
	}
	_, err := ParseInterval("5 fortnights")
	if !strings.Contains(err.Error(), "'500ms'") || !strings.Contains(err.Error(), "units:") {
		t.Errorf("error %q does not list the accepted forms", err)
	}
}

func TestIntervalOf(t *testing.T) {
	ok := []struct {
		amount, unit string
		want         time.Duration
	}{
		{"1000", "MICROSECOND", time.Millisecond},
		{"500000", "MICROSECOND", 500 * time.Millisecond},
		{"1.5", "SECOND", 1500 * time.Millisecond},
		{"-1", "SECOND", -time.Second},
		{" - 2", "minute", -2 * time.Minute},
		{"3", "DAY", 72 * time.Hour},
	}
	for _, c := range ok {
		got, err := IntervalOf(c.amount, c.unit)
		if err != nil || got != c.want {
			t.Errorf("IntervalOf(%q, %q) = %v, %v; want %v", c.amount, c.unit, got, err, c.want)
		}
	}
	bad := []struct{ amount, unit, msg string }{
		{"1", "MONTH", "interval unit MONTH is not supported; use MILLISECOND, SECOND, MINUTE, HOUR or DAY"},
		{"x", "SECOND", `interval amount "x" is not a number`},
		{"--1", "SECOND", `interval amount "--1" is not a number`},
	}
	for _, c := range bad {
		_, err := IntervalOf(c.amount, c.unit)
		if err == nil || err.Error() != c.msg {
			t.Errorf("IntervalOf(%q, %q) error %v, want %q", c.amount, c.unit, err, c.msg)
		}
	}
}

// A negative amount is refused where an interval is a window size or a
// watermark delay, saying it must be positive (not "not a number"), and
// kept, quoted, in timestamp arithmetic.
func TestNegativeIntervals(t *testing.T) {
	for _, script := range []string{
		"SELECT COUNT(*) FROM t GROUP BY TUMBLE(ts, INTERVAL '-5' SECOND)",
		"SELECT COUNT(*) FROM t GROUP BY TUMBLE(ts, INTERVAL '-5 seconds')",
		"SELECT COUNT(*) FROM t GROUP BY HOP(ts, INTERVAL -5 SECOND, INTERVAL '1' MINUTE)",
		"CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '-5' SECOND)",
	} {
		_, err := Parse(script)
		if err == nil || !strings.Contains(err.Error(), "interval must be positive, got ") || !strings.Contains(err.Error(), "-5") {
			t.Errorf("%s: error %v, want one saying the interval must be positive", script, err)
		}
	}
	stmts, err := Parse("SELECT ts - INTERVAL '-250' MILLISECOND, ts + INTERVAL '-1.5 seconds' FROM t")
	if err != nil {
		t.Fatal(err)
	}
	want := "SELECT ts - INTERVAL '-250000' MICROSECOND, ts + INTERVAL '-1500000' MICROSECOND FROM t"
	if stmts[0].Rewritten != want {
		t.Errorf("rewritten\n%s\nwant\n%s", stmts[0].Rewritten, want)
	}
}
