package nexmark

import (
	"math/bits"
	"strings"
)

// colType is the SQL type of a column.
type colType int

const (
	bigint colType = iota
	varchar
	timestamp
)

func (t colType) String() string {
	switch t {
	case bigint:
		return "BIGINT"
	case varchar:
		return "VARCHAR"
	}
	return "TIMESTAMP(3)"
}

// field is one column a kind of event has. Its index in the kind's list
// numbers its random stream.
type field struct {
	name string
	typ  colType
}

// The fields of each kind, in the order of Nexmark's DDL.
const (
	pID = iota
	pName
	pEmail
	pCard
	pCity
	pState
	pDateTime
	pExtra
)

const (
	aID = iota
	aItemName
	aDescription
	aInitialBid
	aReserve
	aDateTime
	aExpires
	aSeller
	aCategory
	aExtra
)

const (
	bAuction = iota
	bBidder
	bPrice
	bChannel
	bURL
	bDateTime
	bExtra
)

var kindFields = [...][]field{
	Person: {{"id", bigint}, {"name", varchar}, {"emailAddress", varchar}, {"creditCard", varchar},
		{"city", varchar}, {"state", varchar}, {"dateTime", timestamp}, {"extra", varchar}},
	Auction: {{"id", bigint}, {"itemName", varchar}, {"description", varchar}, {"initialBid", bigint},
		{"reserve", bigint}, {"dateTime", timestamp}, {"expires", timestamp}, {"seller", bigint},
		{"category", bigint}, {"extra", varchar}},
	Bid: {{"auction", bigint}, {"bidder", bigint}, {"price", bigint}, {"channel", varchar},
		{"url", varchar}, {"dateTime", timestamp}, {"extra", varchar}},
}

// fieldNames lists kind k's columns, for messages.
func fieldNames(k Kind) string {
	names := make([]string, len(kindFields[k]))
	for i, f := range kindFields[k] {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

// events makes the fields of events; it keeps a scratch buffer, so one
// goroutine uses it at a time.
type events struct {
	baseMs  int64 // time of event 0, ms since the Unix epoch
	delayNs int64 // event time between two events
	scratch []byte
}

// time is the event time of event i, ms since the Unix epoch.
func (e *events) time(i int64) int64 {
	// i*delay/1e6 without overflow: split i at a million.
	q, r := i/1_000_000, i%1_000_000
	return e.baseMs + q*e.delayNs + r*e.delayNs/1_000_000
}

// intField is BIGINT (or TIMESTAMP, in ms) field f of event i of kind k.
func (e *events) intField(k Kind, f int, i int64) int64 {
	r := stream(i, f)
	switch k {
	case Person:
		switch f {
		case pID:
			return lastPerson(i) + firstPersonID
		case pDateTime:
			return e.time(i)
		}
	case Auction:
		switch f {
		case aID:
			return lastAuction(i) + firstAuctionID
		case aInitialBid:
			return r.price()
		case aReserve:
			return e.intField(k, aInitialBid, i) + r.price()
		case aDateTime:
			return e.time(i)
		case aExpires:
			// On average, as long as numInFlightAuctions auctions take to
			// be created.
			ahead := int64(numInFlightAuctions * totalProportion / auctionProportion)
			ts := e.time(i)
			horizon := e.time(i+ahead) - ts
			return ts + 1 + r.intn(max(2*horizon, 1))
		case aSeller:
			if r.hot(hotSellerRatio) {
				return lastPerson(i)/hotBlock*hotBlock + firstPersonID
			}
			return r.activePerson(i) + firstPersonID
		case aCategory:
			return firstCategoryID + r.intn(numCategories)
		}
	case Bid:
		switch f {
		case bAuction:
			return bidAuction(i)
		case bBidder:
			return bidBidder(i)
		case bPrice:
			return r.price()
		case bDateTime:
			return e.time(i)
		}
	}
	panic("nexmark: not an integer field")
}

// The draws of a bid's auction, bidder and channel are made without a
// branch on the hot/cold draw (it is a coin toss the processor cannot
// predict): both candidates are computed and one kept.

// bidAuction is the auction of bid event i.
func bidAuction(i int64) int64 {
	r := stream(i, bAuction)
	hot := r.hot(hotAuctionRatio)
	last := lastAuction(i)
	lo := max(last-numInFlightAuctions, 0)
	v := lo + r.intn(last-lo+1) // inFlightAuction
	if hot {
		v = last / hotBlock * hotBlock
	}
	return v + firstAuctionID
}

// bidBidder is the bidder of bid event i.
func bidBidder(i int64) int64 {
	r := stream(i, bBidder)
	hot := r.hot(hotBidderRatio)
	last := lastPerson(i)
	n := last + 1
	active := min(n, numActivePeople)
	v := n - active + r.intn(active) // activePerson
	if hot {
		// The second person of the block, so that hot bidders are not hot
		// sellers; the first until it exists.
		v = min(last/hotBlock*hotBlock+1, last)
	}
	return v + firstPersonID
}

// bidChannel is the channel of bid event i, an index into
// channels().name and url: the channel and its URL go together.
func bidChannel(i int64) int {
	r := stream(i, bChannel)
	hot := r.hot(2)
	x := r.next()
	hi, _ := bits.Mul64(x, numChannels)
	v := len(hotChannel) + int(hi)
	if hot {
		hi, _ = bits.Mul64(x, uint64(len(hotChannel)))
		v = int(hi)
	}
	return v
}

// appendString appends VARCHAR field f of event i of kind k to dst.
func (e *events) appendString(dst []byte, k Kind, f int, i int64) []byte {
	switch k {
	case Person:
		switch f {
		case pExtra:
			size := int64(8)
			for _, g := range [...]int{pName, pEmail, pCard, pCity, pState} {
				size += e.personLen(g, i)
			}
			r := stream(i, f)
			return append(dst, r.extra(size, avgPersonBytes)...)
		case pCity:
			r := stream(i, f)
			return append(dst, usCities[r.intn(int64(len(usCities)))]...)
		case pState:
			r := stream(i, f)
			return append(dst, usStates[r.intn(int64(len(usStates)))]...)
		}
		return append(dst, e.personString(f, i)...)
	case Auction:
		switch f {
		case aItemName, aDescription:
			r := stream(i, f)
			return r.appendString(dst, auctionStringMax(f), ' ')
		case aExtra:
			// The size before trimming: close enough for padding.
			rn, rd := stream(i, aItemName), stream(i, aDescription)
			size := 8 + rn.stringLen(auctionStringMax(aItemName)) + rd.stringLen(auctionStringMax(aDescription)) + 40
			r := stream(i, f)
			return append(dst, r.extra(size, avgAuctionBytes)...)
		}
	case Bid:
		switch f {
		case bChannel, bURL:
			c, n := channels(), bidChannel(i)
			if f == bChannel {
				return append(dst, c.name.at(n)...)
			}
			return append(dst, c.url.at(n)...)
		case bExtra:
			r := stream(i, f)
			return append(dst, r.extra(32, avgBidBytes)...)
		}
	}
	panic("nexmark: not a VARCHAR field")
}

func auctionStringMax(f int) int64 {
	if f == aItemName {
		return 20
	}
	return 100
}

// personLen is len(e.personString(f, i)), made without the string when
// only draws decide it.
func (e *events) personLen(f int, i int64) int64 {
	r := stream(i, f)
	switch f {
	case pName:
		first := len(firstNames[r.intn(int64(len(firstNames)))])
		return int64(first + 1 + len(lastNames[r.intn(int64(len(lastNames)))]))
	case pCard:
		return 19
	case pCity:
		return int64(len(usCities[r.intn(int64(len(usCities)))]))
	case pState:
		return int64(len(usStates[r.intn(int64(len(usStates)))]))
	}
	return int64(len(e.personString(f, i)))
}

// personString is a person's name, email address, credit card, city or
// state, in e.scratch (valid until the next call).
func (e *events) personString(f int, i int64) []byte {
	r := stream(i, f)
	s := e.scratch[:0]
	switch f {
	case pName:
		s = append(s, firstNames[r.intn(int64(len(firstNames)))]...)
		s = append(s, ' ')
		s = append(s, lastNames[r.intn(int64(len(lastNames)))]...)
	case pEmail:
		s = r.appendString(s, 7, ' ')
		s = append(s, '@')
		s = r.appendString(s, 5, ' ')
		s = append(s, ".com"...)
	case pCard:
		for k := 0; k < 4; k++ {
			if k > 0 {
				s = append(s, ' ')
			}
			n := r.intn(10000)
			s = append(s, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
		}
	case pCity:
		s = append(s, usCities[r.intn(int64(len(usCities)))]...)
	case pState:
		s = append(s, usStates[r.intn(int64(len(usStates)))]...)
	}
	e.scratch = s
	return s
}
