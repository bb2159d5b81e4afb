package sql

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// intervalForms is the help text of interval errors.
const intervalForms = `want an amount and a unit such as '5 seconds', '500ms', '1.5 minutes', '2h' ` +
	`(units: ms/millisecond, s/sec/second, m/min/minute, h/hour, d/day, plurals allowed)`

// units maps every accepted unit spelling (upper case) to its length.
var units = map[string]time.Duration{
	"MS": time.Millisecond, "MILLISECOND": time.Millisecond, "MILLISECONDS": time.Millisecond,
	"S": time.Second, "SEC": time.Second, "SECOND": time.Second, "SECONDS": time.Second,
	"M": time.Minute, "MIN": time.Minute, "MINUTE": time.Minute, "MINUTES": time.Minute,
	"H": time.Hour, "HOUR": time.Hour, "HOURS": time.Hour,
	"D": 24 * time.Hour, "DAY": 24 * time.Hour, "DAYS": 24 * time.Hour,
}

// mysqlUnits are the interval units MySQL itself understands; an
// INTERVAL with one of these outside a window call is left to TiDB.
var mysqlUnits = map[string]bool{
	"MICROSECOND": true, "SECOND": true, "MINUTE": true, "HOUR": true, "DAY": true,
	"WEEK": true, "MONTH": true, "QUARTER": true, "YEAR": true,
	"SECOND_MICROSECOND": true, "MINUTE_MICROSECOND": true, "MINUTE_SECOND": true,
	"HOUR_MICROSECOND": true, "HOUR_SECOND": true, "HOUR_MINUTE": true,
	"DAY_MICROSECOND": true, "DAY_SECOND": true, "DAY_MINUTE": true, "DAY_HOUR": true,
	"YEAR_MONTH": true,
}

// ParseInterval parses an interval such as "5 seconds", "5 second", "5s",
// "500ms", "500 milliseconds", "1 minute", "2 min", "1 hour", "1h",
// "1 day", "1d", "5 SECOND" or "1.5 seconds" (1500ms). Units are
// MILLISECOND(S)/MS, SECOND(S)/SEC/S, MINUTE(S)/MIN/M, HOUR(S)/H and
// DAY(S)/D, case-insensitive, with or without a space after the amount.
// A bare number is an error: the unit is required. Zero is allowed;
// callers that need a positive interval check for it.
func ParseInterval(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && isDigit(t[i]) {
		i++
	}
	intDigits := i
	if i < len(t) && t[i] == '.' {
		i++
		for i < len(t) && isDigit(t[i]) {
			i++
		}
	}
	amount := t[:i]
	if intDigits == 0 && i <= 1 {
		if strings.HasPrefix(t, "-") {
			return 0, fmt.Errorf("invalid interval %q: must not be negative", s)
		}
		return 0, fmt.Errorf("invalid interval %q: %s", s, intervalForms)
	}
	unit := strings.ToUpper(strings.TrimSpace(t[i:]))
	if unit == "" {
		return 0, fmt.Errorf("invalid interval %q: missing unit; %s", s, intervalForms)
	}
	u, ok := units[unit]
	if !ok {
		return 0, fmt.Errorf("invalid interval %q: unknown unit %q; %s", s, strings.TrimSpace(t[i:]), intervalForms)
	}
	d, err := scale(amount, u)
	if err != nil {
		return 0, fmt.Errorf("invalid interval %q: %v", s, err)
	}
	return d, nil
}

// scale returns amount (a plain decimal such as "1.5") times unit,
// truncated to whole nanoseconds.
func scale(amount string, unit time.Duration) (time.Duration, error) {
	if strings.HasSuffix(amount, ".") {
		amount += "0"
	}
	if strings.HasPrefix(amount, ".") {
		amount = "0" + amount
	}
	r, ok := new(big.Rat).SetString(amount)
	if !ok || r.Sign() < 0 {
		return 0, fmt.Errorf("%q is not a number", amount)
	}
	r.Mul(r, new(big.Rat).SetInt64(int64(unit)))
	q := new(big.Int).Quo(r.Num(), r.Denom())
	if !q.IsInt64() {
		return 0, errors.New("too large")
	}
	return time.Duration(q.Int64()), nil
}

// isPlainNumber reports whether s is digits with at most one '.'.
func isPlainNumber(s string) bool {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case isDigit(s[i]):
			digits++
		case s[i] == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// mysqlInterval renders d as an INTERVAL expression TiDB accepts, using
// the largest MySQL unit that divides d exactly (down to microseconds). A
// negative amount is quoted ('-5'), so that TiDB reads it as a constant.
func mysqlInterval(d time.Duration) string {
	amount := func(n time.Duration) string {
		if n < 0 {
			return fmt.Sprintf("'%d'", n)
		}
		return fmt.Sprint(int64(n))
	}
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "DAY"}, {time.Hour, "HOUR"}, {time.Minute, "MINUTE"}, {time.Second, "SECOND"}} {
		if d%u.d == 0 {
			return fmt.Sprintf("INTERVAL %s %s", amount(d/u.d), u.name)
		}
	}
	return fmt.Sprintf("INTERVAL %s MICROSECOND", amount(d/time.Microsecond))
}

// IntervalOf reads an interval as TiDB parsed it in timestamp arithmetic
// (ts + INTERVAL amount unit, DATE_ADD(ts, INTERVAL amount unit)): amount
// is a decimal, possibly negative, and unit a MySQL unit name. Besides
// Weir's units it takes MICROSECOND, which the bridge uses to carry
// MILLISECOND and '500ms' through TiDB's grammar.
func IntervalOf(amount, unit string) (time.Duration, error) {
	text, neg := cutMinus(amount)
	u := strings.ToUpper(unit)
	per, ok := units[u]
	if u == "MICROSECOND" {
		per, ok = time.Microsecond, true
	}
	if !ok {
		return 0, fmt.Errorf("interval unit %s is not supported; use MILLISECOND, SECOND, MINUTE, HOUR or DAY", u)
	}
	if !isPlainNumber(text) {
		return 0, fmt.Errorf("interval amount %s is not a number", snippet(amount))
	}
	d, err := scale(text, per)
	if err != nil {
		return 0, fmt.Errorf("bad interval amount: %v", err)
	}
	if neg {
		d = -d
	}
	return d, nil
}
