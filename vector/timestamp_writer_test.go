package vector

import (
	"math/rand/v2"
	"testing"
)

// TestTimestampWriter: the writer's output equals AppendTimestamp's for
// runs of timestamps that share a day and ones that do not, across year
// boundaries, before 1970 and outside 0..9999.
func TestTimestampWriter(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var w TimestampWriter
	ms := int64(0)
	for i := 0; i < 200000; i++ {
		switch r.IntN(4) {
		case 0:
			ms += r.Int64N(1000) // the same day, mostly
		case 1:
			ms = r.Int64N(1<<46) - 1<<45 // anywhere, before 1970 too
		case 2:
			ms = (r.Int64N(40000) - 20000) * msPerDay * 365 / 10 // years far out
		default:
			ms = -ms
		}
		for _, sep := range []byte{'T', ' '} {
			want := string(AppendTimestamp(nil, ms, sep, sep == 'T'))
			if got := string(w.Append(nil, ms, sep, sep == 'T')); got != want {
				t.Fatalf("%d: %q, want %q", ms, got, want)
			}
		}
	}
}
