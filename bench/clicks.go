package bench

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// Click is one generated click event.
type Click struct {
	// TS is the event time in milliseconds since the Unix epoch.
	TS int64
	// User is the user id; HasUser is false for a NULL user.
	User    int64
	HasUser bool
	// URL is the page clicked.
	URL string
	// Amount is a price; HasAmount is false for NULL.
	Amount    float64
	HasAmount bool
}

// ClicksConfig shapes a generated click stream.
type ClicksConfig struct {
	// Rows is the number of events.
	Rows int
	// Seed makes the stream reproducible.
	Seed uint64
	// Start is the first event time (ms); StepMs the mean gap between events.
	Start, StepMs int64
	// DisorderMs bounds how far an event may be out of order.
	DisorderMs int64
	// Users and URLs are the key cardinalities.
	Users, URLs int
	// NullEvery makes roughly one user and amount in NullEvery NULL (0: none).
	NullEvery int
}

// Clicks generates a reproducible click stream whose event times are out
// of order by at most DisorderMs.
func Clicks(c ClicksConfig) []Click {
	r := rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15))
	out := make([]Click, c.Rows)
	for i := range out {
		ts := c.Start + int64(i)*c.StepMs
		if c.DisorderMs > 0 {
			ts -= r.Int64N(c.DisorderMs + 1)
		}
		k := Click{TS: ts, User: int64(r.IntN(c.Users) + 1), HasUser: true,
			URL: "/p" + strconv.Itoa(r.IntN(c.URLs)), Amount: float64(r.IntN(10000)) / 100, HasAmount: true}
		if c.NullEvery > 0 && r.IntN(c.NullEvery) == 0 {
			k.HasUser = false
		}
		if c.NullEvery > 0 && r.IntN(c.NullEvery) == 0 {
			k.HasAmount = false
		}
		out[i] = k
	}
	return out
}

// WriteClicksCSV writes clicks as CSV with a header ts,user_id,url,amount;
// NULLs are empty fields.
func WriteClicksCSV(w io.Writer, clicks []Click) error {
	if _, err := io.WriteString(w, "ts,user_id,url,amount\n"); err != nil {
		return err
	}
	buf := make([]byte, 0, 128)
	for _, k := range clicks {
		buf = buf[:0]
		buf = time.UnixMilli(k.TS).UTC().AppendFormat(buf, "2006-01-02 15:04:05.000")
		buf = append(buf, ',')
		if k.HasUser {
			buf = strconv.AppendInt(buf, k.User, 10)
		}
		buf = append(buf, ',')
		buf = append(buf, k.URL...)
		buf = append(buf, ',')
		if k.HasAmount {
			buf = strconv.AppendFloat(buf, k.Amount, 'f', -1, 64)
		}
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("write clicks: %w", err)
		}
	}
	return nil
}
