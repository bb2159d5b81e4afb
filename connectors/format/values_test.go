package format

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// checkFloat fails unless ParseFloat64 gives, bit for bit, what
// strconv.ParseFloat gives (both succeed or both fail).
func checkFloat(t *testing.T, s string) {
	t.Helper()
	got, err := ParseFloat64([]byte(s))
	want, werr := strconv.ParseFloat(s, 64)
	if (err == nil) != (werr == nil) {
		t.Fatalf("ParseFloat64(%q): error %v, strconv: %v", s, err, werr)
	}
	if err == nil && math.Float64bits(got) != math.Float64bits(want) {
		t.Fatalf("ParseFloat64(%q) = %v (%#x), strconv: %v (%#x)", s, got, math.Float64bits(got), want, math.Float64bits(want))
	}
}

// The plain-decimal fast path gives strconv's value exactly, and leaves
// everything else to strconv.
func TestParseFloat64(t *testing.T) {
	for _, s := range []string{"0", "-0", "+0", "0.0", "-0.000", "1", "1.", ".5", "-.5", "+.5", ".", "-", "+", "",
		"12.345", "99.999", "0.1", "0.3", "1.7976931348623157", "9007199254740991", "9007199254740992",
		"9007199254740993", "123456789012345678", "1234567890123456789", "12345678901234567890",
		"0.0000000000000000000001", "0.00000000000000000000001", "1e5", "1E-3", "NaN", "inf", "-Inf",
		"1_000", "0x1p-2", "1.2.3", "1,5", " 1", "1 ", "00000000000000000000012.5", "4.35", "2.675"} {
		checkFloat(t, s)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		ip, fp := r.Uint64N(1_000_000_000), r.Uint64N(1_000_000_000)
		digits := r.IntN(10)
		s := strconv.FormatUint(ip, 10)
		if digits > 0 {
			f := strconv.FormatUint(fp, 10)
			for len(f) < 9 {
				f = "0" + f
			}
			s += "." + f[:digits]
		}
		if r.IntN(2) == 0 {
			s = "-" + s
		}
		checkFloat(t, s)
	}
}

func FuzzParseFloat64(f *testing.F) {
	for _, s := range []string{"12.345", "-0.5", "9007199254740993", ".", "1e3", "0.1"} {
		f.Add(s)
	}
	f.Fuzz(checkFloat)
}
