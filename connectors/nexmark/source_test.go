package nexmark

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
)

var tsType = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}

// fullSchema is the schema of every column of kind k, in DDL order.
func fullSchema(k Kind) *arrow.Schema {
	var fs []arrow.Field
	for _, f := range kindFields[k] {
		var t arrow.DataType = arrow.PrimitiveTypes.Int64
		switch f.typ {
		case varchar:
			t = arrow.BinaryTypes.String
		case timestamp:
			t = tsType
		}
		fs = append(fs, arrow.Field{Name: f.name, Type: t, Nullable: true})
	}
	return arrow.NewSchema(fs, nil)
}

func open(t testing.TB, schema *arrow.Schema, opts map[string]string) connectors.Source {
	t.Helper()
	all := map[string]string{"connector": "nexmark"}
	for k, v := range opts {
		all[k] = v
	}
	src, err := NewSource(connectors.SourceSpec{Table: "t", Schema: schema, Options: all, Alloc: memory.DefaultAllocator})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// table is a table's rows: column name -> values (int64 for BIGINT and
// TIMESTAMP, string for VARCHAR).
type table map[string][]any

func (tb table) ints(col string) []int64 {
	out := make([]int64, len(tb[col]))
	for i, v := range tb[col] {
		out[i] = v.(int64)
	}
	return out
}

// readAll reads src to its end in batches of maxRows.
func readAll(t testing.TB, src connectors.Source, maxRows int) table {
	t.Helper()
	tb := table{}
	for {
		b, err := src.Next(context.Background(), maxRows)
		if errors.Is(err, connectors.ErrEndOfInput) {
			return tb
		}
		if err != nil {
			t.Fatal(err)
		}
		if b.NumRows() > int64(maxRows) || b.NumRows() == 0 {
			t.Fatalf("batch of %d rows, asked for at most %d", b.NumRows(), maxRows)
		}
		appendBatch(tb, b)
		b.Release()
	}
}

func appendBatch(tb table, b arrow.RecordBatch) {
	for c, f := range b.Schema().Fields() {
		switch a := b.Column(c).(type) {
		case *array.Int64:
			for r := 0; r < a.Len(); r++ {
				tb[f.Name] = append(tb[f.Name], a.Value(r))
			}
		case *array.Timestamp:
			for r := 0; r < a.Len(); r++ {
				tb[f.Name] = append(tb[f.Name], int64(a.Value(r)))
			}
		case *array.String:
			for r := 0; r < a.Len(); r++ {
				tb[f.Name] = append(tb[f.Name], a.Value(r))
			}
		}
	}
}

func opts(kind string, events int) map[string]string {
	return map[string]string{"nexmark.table.type": kind, "nexmark.events": strconv.Itoa(events)}
}

func readKind(t testing.TB, k Kind, events int) table {
	return readAll(t, open(t, fullSchema(k), opts(k.String(), events)), 1000)
}

// Of every 50 events 1 is a person, 3 are auctions and 46 bids; a bounded
// source ends after nexmark.events events of all kinds.
func TestKindsRatio(t *testing.T) {
	for _, c := range []struct {
		events                  int
		persons, auctions, bids int
	}{{1000, 20, 60, 920}, {1, 1, 0, 0}, {3, 1, 2, 0}, {51, 2, 3, 46}, {1010, 21, 63, 926}} {
		p, a, b := readKind(t, Person, c.events), readKind(t, Auction, c.events), readKind(t, Bid, c.events)
		if got := []int{len(p["id"]), len(a["id"]), len(b["auction"])}; got[0] != c.persons || got[1] != c.auctions || got[2] != c.bids {
			t.Errorf("%d events: persons, auctions, bids = %v, want %d %d %d", c.events, got, c.persons, c.auctions, c.bids)
		}
	}
	// countOfKind and eventOfKind agree with counting event by event.
	for _, k := range []Kind{Person, Auction, Bid} {
		count := int64(0)
		for i := int64(0); i < 500; i++ {
			if got := countOfKind(i, k); got != count {
				t.Fatalf("countOfKind(%d, %s) = %d, want %d", i, k, got, count)
			}
			if KindOf(i) == k {
				if got := eventOfKind(count, k); got != i {
					t.Fatalf("eventOfKind(%d, %s) = %d, want %d", count, k, got, i)
				}
				count++
			}
		}
	}
}

// The same options give the same rows, whatever the batch size.
func TestDeterministic(t *testing.T) {
	for _, k := range []Kind{Person, Auction, Bid} {
		a := readAll(t, open(t, fullSchema(k), opts(k.String(), 3000)), 7)
		b := readAll(t, open(t, fullSchema(k), opts(k.String(), 3000)), 4096)
		for col, vals := range a {
			for r := range vals {
				if vals[r] != b[col][r] {
					t.Fatalf("%s row %d column %s: %v, then %v", k, r, col, vals[r], b[col][r])
				}
			}
		}
	}
	// Pinned values: a change to the generator shows here.
	p := readKind(t, Person, 100)
	if p["name"][0] != "Sarah White" || p["id"][1] != int64(1001) || p["dateTime"][1] != DefaultBaseTime.UnixMilli()+5 {
		t.Errorf("persons changed: %v %v %v", p["name"][0], p["id"][1], p["dateTime"][1])
	}
	b := readKind(t, Bid, 100)
	if b["price"][0] != int64(14324347) || b["channel"][1] != "Facebook" {
		t.Errorf("bids changed: %v %v", b["price"][0], b["channel"][1])
	}
}

// Every auction's seller and every bid's auction and bidder exist among
// the people and auctions created at or before it, and hot ids are hot.
func TestReferentialIntegrity(t *testing.T) {
	const events = 50_000
	p, a, b := readKind(t, Person, events), readKind(t, Auction, events), readKind(t, Bid, events)
	// ids are dense from 1000 and rise with time: the last id at or before
	// time ts is found by a walk along the table.
	lastAt := func(tb table) func(ts int64) int64 {
		ids, times := tb.ints("id"), tb.ints("dateTime")
		r := -1
		return func(ts int64) int64 {
			for r+1 < len(times) && times[r+1] <= ts {
				r++
			}
			if r < 0 {
				return -1
			}
			return ids[r]
		}
	}
	for r, id := range p.ints("id") {
		if id != int64(1000+r) {
			t.Fatalf("person %d has id %d", r, id)
		}
	}
	for r, id := range a.ints("id") {
		if id != int64(1000+r) {
			t.Fatalf("auction %d has id %d", r, id)
		}
	}
	person := lastAt(p)
	for r, s := range a.ints("seller") {
		if last := person(a.ints("dateTime")[r]); s < 1000 || s > last {
			t.Fatalf("auction %d: seller %d, last person then %d", r, s, last)
		}
	}
	person, auction := lastAt(p), lastAt(a)
	hotAuction, hotBidder := 0, 0
	bt := b.ints("dateTime")
	for r, au := range b.ints("auction") {
		bidder := b["bidder"][r].(int64)
		lp, la := person(bt[r]), auction(bt[r])
		if au < 1000 || au > la || bidder < 1000 || bidder > lp {
			t.Fatalf("bid %d at %d: auction %d (last %d), bidder %d (last %d)", r, bt[r], au, la, bidder, lp)
		}
		if (au-1000)%100 == 0 {
			hotAuction++
		}
		if (bidder-1000)%100 == 1 {
			hotBidder++
		}
	}
	n := float64(len(bt))
	// Hot: 1/2 of bids by the draw, plus the odd cold hit; 3/4 of bidders.
	if f := float64(hotAuction) / n; f < 0.48 || f > 0.53 {
		t.Errorf("%.3f of bids on hot auctions, want about 0.5", f)
	}
	if f := float64(hotBidder) / n; f < 0.72 || f > 0.77 {
		t.Errorf("%.3f of bids by hot bidders, want about 0.75", f)
	}
	hot := 0
	for _, c := range b["channel"] {
		if c == "Google" || c == "Facebook" || c == "Baidu" || c == "Apple" {
			hot++
		}
	}
	if f := float64(hot) / n; f < 0.48 || f > 0.52 {
		t.Errorf("%.3f of bids on hot channels, want about 0.5", f)
	}
	var sum float64
	for _, pr := range b.ints("price") {
		if pr < 100 || pr > 100_000_000 {
			t.Fatalf("price %d out of [100, 1e8]", pr)
		}
		sum += math.Log10(float64(pr) / 100)
	}
	if m := sum / n; m < 2.95 || m > 3.05 {
		t.Errorf("mean log10(price/100) %.3f, want about 3 (10^(6u))", m)
	}
}

// Event i happens at base_time + i * inter_event_delay; times never go
// back, within a table or across batches, and auctions expire after they
// start.
func TestTimestamps(t *testing.T) {
	o := opts("bid", 5000)
	o["nexmark.base_time"] = "2020-01-01 00:00:00"
	o["nexmark.inter_event_delay"] = "1ms"
	b := readAll(t, open(t, fullSchema(Bid), o), 33)
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	ts := b.ints("dateTime")
	if ts[0] != base+4 || ts[46] != base+54 || ts[len(ts)-1] != base+4999 {
		t.Errorf("bid times %d %d %d, want base+4, base+54, base+4999", ts[0]-base, ts[46]-base, ts[len(ts)-1]-base)
	}
	for _, k := range []Kind{Person, Auction, Bid} {
		tb := readKind(t, k, 20_000)
		ts := tb.ints("dateTime")
		for r := 1; r < len(ts); r++ {
			if ts[r] < ts[r-1] {
				t.Fatalf("%s row %d: time %d before %d", k, r, ts[r], ts[r-1])
			}
		}
		if k == Auction {
			for r, e := range tb.ints("expires") {
				if e <= ts[r] {
					t.Fatalf("auction %d expires at %d, starts at %d", r, e, ts[r])
				}
			}
		}
	}
}

// A table may declare some of its kind's columns, in any order and case:
// they hold what the full table holds.
func TestColumnSubset(t *testing.T) {
	full := readKind(t, Bid, 2000)
	sub := arrow.NewSchema([]arrow.Field{
		{Name: "EXTRA", Type: arrow.BinaryTypes.String}, {Name: "datetime", Type: tsType}, {Name: "price", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	got := readAll(t, open(t, sub, opts("bid", 2000)), 100)
	for _, c := range [][2]string{{"EXTRA", "extra"}, {"datetime", "dateTime"}, {"price", "price"}} {
		if len(got[c[0]]) != len(full[c[1]]) {
			t.Fatalf("%s: %d rows, want %d", c[0], len(got[c[0]]), len(full[c[1]]))
		}
		for r := range got[c[0]] {
			if got[c[0]][r] != full[c[1]][r] {
				t.Fatalf("%s row %d: %v, want %v", c[0], r, got[c[0]][r], full[c[1]][r])
			}
		}
	}
}

// A checkpointed position resumes where it was taken.
func TestSeek(t *testing.T) {
	full := readKind(t, Auction, 3000)
	src := open(t, fullSchema(Auction), opts("auction", 3000))
	first := table{}
	b, err := src.Next(context.Background(), 50)
	if err != nil {
		t.Fatal(err)
	}
	appendBatch(first, b)
	b.Release()
	pos, err := src.(connectors.Seeker).Position()
	if err != nil {
		t.Fatal(err)
	}
	again := open(t, fullSchema(Auction), opts("auction", 3000))
	if err := again.(connectors.Seeker).Seek(pos); err != nil {
		t.Fatal(err)
	}
	rest := readAll(t, again, 64)
	ids := append(first.ints("id"), rest.ints("id")...)
	if len(ids) != len(full["id"]) {
		t.Fatalf("%d auctions after the seek, want %d", len(ids), len(full["id"]))
	}
	for r, id := range ids {
		if id != full["id"][r] || r < 50 && first["description"][r] != full["description"][r] ||
			r >= 50 && rest["description"][r-50] != full["description"][r] {
			t.Fatalf("row %d differs after the seek", r)
		}
	}
	if err := again.(connectors.Seeker).Seek([]byte{1}); err == nil || !strings.Contains(err.Error(), "bad position") {
		t.Errorf("a bad position: %v", err)
	}
}

// With events_per_second the source is live: it hands out the events due
// by the clock, and says when it has more than one batch took.
func TestPaced(t *testing.T) {
	o := opts("bid", 1000)
	o["nexmark.events_per_second"] = "100"
	src := open(t, fullSchema(Bid), o)
	p, ok := src.(pacedSource)
	if !ok {
		t.Fatalf("a paced source is a %T", src)
	}
	if src.(connectors.Bounded).Bounded() != true {
		t.Fatal("nexmark.events makes it bounded")
	}
	now := time.Unix(1000, 0)
	p.now = func() time.Time { return now }
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := src.Next(ctx, 100); !errors.Is(err, connectors.ErrNoData) {
		t.Fatalf("at start: %v, want no data", err)
	}
	now = now.Add(500 * time.Millisecond) // 50 events due: 1 person, 3 auctions, 46 bids
	b, err := src.Next(ctx, 10)
	if err != nil || b.NumRows() != 10 || !p.Backlogged() {
		t.Fatalf("first 10 of 46 bids: %v, backlogged %v", err, p.Backlogged())
	}
	ts := b.Column(5).(*array.Timestamp).Value(0)
	b.Release()
	// The event time follows the rate: 10ms between events.
	if want := DefaultBaseTime.UnixMilli() + 40; int64(ts) != want {
		t.Errorf("first bid at %d, want %d", ts, want)
	}
	b, err = src.Next(ctx, 100)
	if err != nil || b.NumRows() != 36 || p.Backlogged() {
		t.Fatalf("the other 36: %v, backlogged %v", err, p.Backlogged())
	}
	b.Release()
	if _, err := src.Next(ctx, 100); !errors.Is(err, connectors.ErrNoData) {
		t.Fatalf("nothing due: %v", err)
	}
	now = now.Add(time.Hour) // a stall: catch up by one second's worth
	tb := table{}
	for {
		b, err := src.Next(ctx, 1000)
		if errors.Is(err, connectors.ErrNoData) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		appendBatch(tb, b)
		b.Release()
	}
	if len(tb["auction"]) != 92 {
		t.Errorf("after a stall %d bids, want 92 (100 events)", len(tb["auction"]))
	}
	now = now.Add(time.Hour)
	for {
		b, err := src.Next(ctx, 1000)
		if errors.Is(err, connectors.ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b.Release()
		now = now.Add(time.Hour)
	}
}

// An unpaced source without nexmark.events never ends and always has more.
func TestUnbounded(t *testing.T) {
	src := open(t, fullSchema(Person), map[string]string{"nexmark.table.type": "person"})
	if src.(connectors.Bounded).Bounded() || !src.(connectors.Backlogger).Backlogged() {
		t.Fatal("want an unbounded, always backlogged source")
	}
	if _, ok := src.(connectors.Starter); ok {
		t.Fatal("an unpaced source needs no Start")
	}
	for range 3 {
		b, err := src.Next(context.Background(), 500)
		if err != nil || b.NumRows() != 500 {
			t.Fatalf("%v", err)
		}
		b.Release()
	}
}

func TestOptionErrors(t *testing.T) {
	reg := connectors.NewRegistry()
	reg.RegisterSource("nexmark", NewSource, Config())
	bid := fullSchema(Bid)
	for _, c := range []struct {
		schema *arrow.Schema
		opts   map[string]string
		want   string
	}{
		{bid, map[string]string{}, "option nexmark.table.type is required"},
		{bid, map[string]string{"nexmark.table.type": "bids"}, "nexmark.table.type"},
		{bid, map[string]string{"nexmark.table.type": "bid", "nexmark.events": "-1"}, "nexmark.events"},
		{bid, map[string]string{"nexmark.table.type": "bid", "nexmark.events_per_second": "-5"}, "option nexmark.events_per_second: want a number of events per second"},
		{bid, map[string]string{"nexmark.table.type": "bid", "nexmark.base_time": "yesterday"}, "option nexmark.base_time: want a time such as '2015-07-15 00:00:00'"},
		{bid, map[string]string{"nexmark.table.type": "bid", "nexmark.inter_event_delay": "0s"}, "option nexmark.inter_event_delay: want a positive duration"},
		{bid, map[string]string{"nexmark.table.type": "bid", "nexmark.event": "5"}, "nexmark.events"},
		{bid, map[string]string{"nexmark.table.type": "person"}, "column auction: a nexmark person table has no such column (it has id, name, emailAddress, creditCard, city, state, dateTime, extra)"},
		{arrow.NewSchema([]arrow.Field{{Name: "price", Type: arrow.BinaryTypes.String}}, nil),
			map[string]string{"nexmark.table.type": "bid"}, "column price: a nexmark bid's price is BIGINT, not VARCHAR"},
	} {
		all := map[string]string{"connector": "nexmark"}
		for k, v := range c.opts {
			all[k] = v
		}
		_, err := reg.CheckOptions(c.schema, all)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.opts, err, c.want)
		}
	}
	// The table is accepted, and so is a base time as RFC 3339.
	_, err := reg.CheckOptions(bid, map[string]string{"connector": "nexmark", "nexmark.table.type": "bid",
		"nexmark.events": "10000000", "nexmark.events_per_second": "0", "nexmark.base_time": "2015-07-15T00:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPow10(t *testing.T) {
	for x := 0.0; x < 6; x += 0.0001234 {
		if got, want := pow10(x), math.Pow(10, x); math.Abs(got-want) > want*1e-11 {
			t.Fatalf("pow10(%g) = %g, want %g", x, got, want)
		}
	}
}

// readBatches reads src to its end in batches of maxRows and keeps them.
func readBatches(t testing.TB, src connectors.Source, maxRows int) []arrow.RecordBatch {
	t.Helper()
	var out []arrow.RecordBatch
	for {
		b, err := src.Next(context.Background(), maxRows)
		if errors.Is(err, connectors.ErrEndOfInput) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
}

func release(batches []arrow.RecordBatch) {
	for _, b := range batches {
		b.Release()
	}
}
