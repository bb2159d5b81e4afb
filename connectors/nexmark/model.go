package nexmark

import (
	"math"
	"math/bits"
	"strconv"
	"sync"
)

// The shape of the history, as the reference generator's defaults.
const (
	personProportion  = 1
	auctionProportion = 3
	totalProportion   = 50 // 1 person, 3 auctions, 46 bids

	firstPersonID   = 1000
	firstAuctionID  = 1000
	firstCategoryID = 10
	numCategories   = 5

	hotAuctionRatio = 2   // 1 - 1/2 of bids go to a hot auction
	hotSellerRatio  = 4   // 1 - 1/4 of auctions are by a hot seller
	hotBidderRatio  = 4   // 1 - 1/4 of bids are by a hot bidder
	hotBlock        = 100 // hot ids open a block of this many

	numActivePeople     = 1000
	numInFlightAuctions = 100

	avgPersonBytes  = 200
	avgAuctionBytes = 500
	avgBidBytes     = 100

	numChannels = 10000
)

// Kind is the kind of an event: which table it is a row of.
type Kind int

// The kinds of event.
const (
	Person Kind = iota
	Auction
	Bid
)

// String is the kind's table type name.
func (k Kind) String() string {
	switch k {
	case Person:
		return "person"
	case Auction:
		return "auction"
	}
	return "bid"
}

// KindOf is the kind of event number i.
func KindOf(i int64) Kind {
	switch off := i % totalProportion; {
	case off < personProportion:
		return Person
	case off < personProportion+auctionProportion:
		return Auction
	}
	return Bid
}

// lastPerson is the base-0 id of the last person created at or before
// event i.
func lastPerson(i int64) int64 { return i / totalProportion }

// lastAuction is the base-0 id of the last auction created at or before
// event i (-1 before the first).
func lastAuction(i int64) int64 {
	epoch, off := i/totalProportion, i%totalProportion
	switch {
	case off < personProportion:
		epoch--
		off = auctionProportion - 1
	case off >= personProportion+auctionProportion:
		off = auctionProportion - 1
	default:
		off -= personProportion
	}
	return epoch*auctionProportion + off
}

// rng is a SplitMix64 stream: a few instructions a draw, seeded per event
// and field so that any field of any event can be made on its own.
type rng struct{ s uint64 }

func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// stream is the random stream of field f of event i.
func stream(i int64, f int) rng { return rng{s: mix64(uint64(i)<<6 | uint64(f))} }

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	return mix64(r.s)
}

// intn is uniform in [0, n), n > 0.
func (r *rng) intn(n int64) int64 {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int64(hi)
}

// float is uniform in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// hot draws whether an id is the hot one: 1 - 1/ratio of the time.
func (r *rng) hot(ratio int64) bool { return r.intn(ratio) > 0 }

// price is a price in cents: 10^(6u) dollars, u uniform in [0, 1).
func (r *rng) price() int64 { return int64(math.Round(pow10(r.float()*6) * 100)) }

// powSteps is the resolution of the table pow10 reads.
const powSteps = 1024

var pow10Table = func() []float64 {
	t := make([]float64, 6*powSteps+1)
	for i := range t {
		t[i] = math.Pow(10, float64(i)/powSteps)
	}
	return t
}()

// pow10 is 10^x for x in [0, 6), to 1e-12 relative: a table at steps of
// 1/1024 and a cubic for the rest, several times faster than math.Pow.
func pow10(x float64) float64 {
	k := int(x * powSteps)
	d := (x - float64(k)/powSteps) * math.Ln10
	return pow10Table[k] * (1 + d + d*d/2 + d*d*d/6)
}

// activePerson is a random one of the last numActivePeople people
// created at or before event i (base 0).
func (r *rng) activePerson(i int64) int64 {
	n := lastPerson(i) + 1
	active := min(n, numActivePeople)
	return n - active + r.intn(active)
}

// inFlightAuction is a random one of the last numInFlightAuctions
// auctions created at or before event i (base 0).
func (r *rng) inFlightAuction(i int64) int64 {
	last := lastAuction(i)
	lo := max(last-numInFlightAuctions, 0)
	return lo + r.intn(last-lo+1)
}

// appendString appends a random string of 3 to maxLen-1 characters,
// letters and, one time in 13, special, trimmed of spaces at both ends.
func (r *rng) appendString(dst []byte, maxLen int64, special byte) []byte {
	n := 3 + r.intn(maxLen-3)
	start := len(dst)
	for ; n > 0; n-- {
		if r.intn(13) == 0 {
			dst = append(dst, special)
		} else {
			dst = append(dst, byte('a'+r.intn(26)))
		}
	}
	if special == ' ' {
		s := dst[start:]
		lo, hi := 0, len(s)
		for lo < hi && s[lo] == ' ' {
			lo++
		}
		for hi > lo && s[hi-1] == ' ' {
			hi--
		}
		dst = append(dst[:start], s[lo:hi]...)
	}
	return dst
}

// stringLen is the length appendString draws first (before trimming).
func (r *rng) stringLen(maxLen int64) int64 { return 3 + r.intn(maxLen-3) }

// extra is padding that brings an event of size bytes to avg bytes on
// average (within 20%): a slice of one shared random text.
func (r *rng) extra(size, avg int64) string {
	if size > avg {
		return ""
	}
	n, spread := extraLen(size, avg)
	if spread > 0 {
		n += r.intn(spread)
	}
	text := extraText()
	off := r.intn(int64(len(text)) - n)
	return text[off : off+n]
}

// extraLen is the length of the padding of an event of size bytes (at
// most avg): lo plus a draw below spread, when spread > 0.
func extraLen(size, avg int64) (lo, spread int64) {
	d := avg - size
	delta := int64(math.Round(float64(d) * 0.2))
	return d - delta, 2 * delta
}

var (
	extraOnce sync.Once
	extraStr  string
)

// extraText is 1MiB of random letters, the same on every run.
func extraText() string {
	extraOnce.Do(func() {
		r := rng{s: 0x6e65786d61726b}
		b := make([]byte, 1<<20)
		for i := range b {
			b[i] = byte('a' + r.intn(26))
		}
		extraStr = string(b)
	})
	return extraStr
}

var (
	firstNames = []string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	lastNames  = []string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
	usStates   = []string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	usCities   = []string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	hotChannel = []string{"Google", "Facebook", "Baidu", "Apple"}
)

// channelTable holds the names and URLs of the channels a bid comes
// from: the hot channels, then channel-0 to channel-<numChannels-1>; made
// once, the same on every run.
type channelTable struct {
	name, url strTable
}

// strTable is a list of strings kept back to back in one block, so that
// reading a random one touches little memory.
type strTable struct {
	data []byte
	off  []uint32 // string n is data[off[n]:off[n+1]]
}

func (t *strTable) add(s string) {
	if len(t.off) == 0 {
		t.off = append(t.off, 0)
	}
	t.data = append(t.data, s...)
	t.off = append(t.off, uint32(len(t.data)))
}

// at is string n.
func (t *strTable) at(n int) []byte { return t.data[t.off[n]:t.off[n+1]] }

var (
	channelsOnce sync.Once
	channelsTab  channelTable
)

func channels() *channelTable {
	channelsOnce.Do(func() {
		r := rng{s: 0x6368616e6e656c}
		base := func() string {
			b := []byte("https://www.nexmark.com/")
			for k := 0; k < 3; k++ {
				b = r.appendString(b, 5, '_')
				b = append(b, '/')
			}
			return string(append(b, "item.htm?query=1"...))
		}
		t := &channelsTab
		for _, h := range hotChannel {
			t.name.add(h)
			t.url.add(base())
		}
		for i := range numChannels {
			u := base()
			if r.intn(10) > 0 {
				id := int64(int32(bits.Reverse32(uint32(i))))
				if id < 0 && id != math.MinInt32 {
					id = -id
				}
				u += "&channel_id=" + strconv.FormatInt(id, 10)
			}
			t.name.add("channel-" + strconv.Itoa(i))
			t.url.add(u)
		}
	})
	return &channelsTab
}
