// Package fanout shares one live source among several readers: a Hub
// wraps the real Source and hands out Subscribers, each a Source of its
// own that gets every batch the real one yields, from the time it
// subscribed on. So a table is read once per process (one socket
// connection, one directory scan, one generator) however many queries, or
// branches of one query, read it.
//
// No goroutine of its own: a Subscriber whose queue is empty pulls the
// next batch from the real source, under the hub's lock, and appends it
// (retained, not copied) to the queue of every Subscriber.
//
// Memory is bounded by the slowest reader, as a shared stream must be:
// while some Subscriber holds more than Config.MaxLagBytes unread, the
// others get connectors.ErrNoData instead of pulling more, so the real
// source's own bounded buffer fills and it pauses its input (the socket is
// not read). A Subscriber that closes early (a LIMIT satisfied) drops its
// queue and no longer holds anyone back. The real source is started by the
// first Start and closed with the last Subscriber; end of input and a
// failure of the real source reach each Subscriber after its queue drains.
//
// A bad record the shared source skips is reported to every Subscriber's
// handler, since every reader skipped it: each query counts it (and, with
// on_error = 'dead_letter', writes it to its dead-letter file), and an
// error from any handler (on_error = 'fail') fails the shared stream.
//
// Only live sources are shared (Shareable): a bounded source is replayable
// and each reader opens its own, which gives every reader every row without
// making a fast bounded reader wait for a slow one. Subscribers are not
// connectors.Seekers: a shared source cannot seek for one reader.
package fanout
