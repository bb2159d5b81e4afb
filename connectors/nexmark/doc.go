// Package nexmark is the "nexmark" connector: a source of the Nexmark
// benchmark's online auction, the Person, Auction and Bid streams, made
// up deterministically from the event number as the reference generator
// (github.com/nexmark/nexmark, nexmark-flink's generator) does.
//
// Table options (Config declares them, with the options every source
// takes):
//
//	nexmark.table.type          person, auction or bid (required): the
//	                            kind of event the table holds
//	nexmark.events              events of the whole history, all three
//	                            kinds counted (default 0: no end); the
//	                            source is then bounded: a bid table of
//	                            1000 events holds 920 rows
//	nexmark.events_per_second   0 (default): as fast as the query reads;
//	                            a positive rate paces the source like a
//	                            live one
//	nexmark.base_time           the time of event 0 (default
//	                            '2015-07-15 00:00:00', UTC)
//	nexmark.inter_event_delay   the event time between two events
//	                            (default 1s/events_per_second when paced,
//	                            else 100us: the reference's 10,000 events
//	                            per second)
//
// Event number i decides everything: its kind (of every 50 events, 1
// person, 3 auctions, 46 bids), its time (base_time + i * delay, truncated
// to the millisecond) and each field, drawn from a random stream seeded by
// i and the field. So three tables with the same options describe one
// history, a table reads the same rows on every run, and a checkpoint
// keeps only the next event number (Source is a connectors.Seeker).
//
// Unpaced, a query running on N > 1 cores (connectors.SourceSpec's
// Parallelism) has N workers generate ahead: the events from the read
// position on are cut into chunks of the reader's batch size, each made on
// its own, at most N+1 in flight; Next hands them out in event order, so
// the rows, and every position, are those of one goroutine. A paced
// source generates on the reading goroutine.
//
// The distributions follow the reference: ids start at 1000; an auction's
// seller is, 3 times in 4, the "hot" person that opens the current block
// of 100 people, else one of the last 1000; a bid goes, 1 time in 2, to
// the hot auction that opens the current block of 100 auctions, else to
// one of the last 100 auctions, and its bidder is, 3 times in 4, the
// second person of the current block of 100, else one of the last 1000;
// prices are 100 * 10^(6u) cents rounded (u uniform in [0, 1)); half the
// bids come from one of 4 hot channels, the rest from channel-0 ...
// channel-9999; an auction expires after a random time averaging the time
// 100 auctions take to be created; extra pads each event to the
// reference's average size (person 200 bytes, auction 500, bid 100).
// Unlike the reference, ids never point past the last person or auction
// created so far (the reference draws a few "leads" ahead, and adds 1000
// to a bidder twice): every seller, bid auction and bidder exists.
//
// A table declares any of its kind's columns, in any order, matched by
// name without regard to case:
//
//	person   id, name, emailAddress, creditCard, city, state, dateTime, extra
//	auction  id, itemName, description, initialBid, reserve, dateTime,
//	         expires, seller, category, extra
//	bid      auction, bidder, price, channel, url, dateTime, extra
//
// ids, prices and category are BIGINT, times TIMESTAMP(3), the rest
// VARCHAR.
//
// The command registers the connector explicitly:
//
//	reg.RegisterSource("nexmark", nexmark.NewSource, nexmark.Config())
package nexmark
