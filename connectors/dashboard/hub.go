package dashboard

import (
	"slices"
	"sync"
)

// MaxPoints is the most points a chart keeps: the latest ones.
const MaxPoints = 2000

// Point is one point of a chart: its x and y values and its series (nil
// when the chart has none). Values are JSON-ready: numbers (timestamps as
// Unix milliseconds), strings, booleans or nil for NULL.
type Point struct {
	X      any `json:"x"`
	Y      any `json:"y"`
	Series any `json:"series"`
}

// Chart is what a dashboard sink shows: the table it belongs to, how to
// draw it, and its points.
type Chart struct {
	// Table is the sink table's name; a Hub keeps one chart per table.
	Table string `json:"table"`
	// Chart is "line", "bar" or "table".
	Chart string `json:"chart"`
	// X, Y and Series are the columns drawn; Series is nil without one.
	X      string  `json:"x"`
	Y      string  `json:"y"`
	Series *string `json:"series"`
	// XType is the type of the x column: "timestamp" (values in Unix
	// ms), "number", "string" or "bool".
	XType string `json:"x_type"`
	// Updating is true when the chart shows an updating query's current
	// result, false for the latest rows of an append-only one.
	Updating bool `json:"updating"`
	// Points are the chart's points, at most MaxPoints.
	Points []Point `json:"points"`
}

// Hub holds the latest chart of every dashboard sink and hands each new
// version to its subscribers. Its methods may be called from any
// goroutine.
type Hub struct {
	mu     sync.Mutex
	charts map[string]Chart
	subs   map[chan Chart]struct{}
}

// Default is the Hub of the process: the sinks built by NewSink publish
// to it, the HTTP server reads it.
var Default = NewHub()

// NewHub returns an empty Hub.
func NewHub() *Hub {
	return &Hub{charts: map[string]Chart{}, subs: map[chan Chart]struct{}{}}
}

// Publish makes c the chart of its table and sends it to every
// subscriber. A subscriber whose buffer is full misses it (Charts still
// has it): a slow reader never holds up a query.
func (h *Hub) Publish(c Chart) {
	c.Points = append(make([]Point, 0, len(c.Points)), c.Points...) // never nil: JSON [] not null
	h.mu.Lock()
	defer h.mu.Unlock()
	h.charts[c.Table] = c
	for ch := range h.subs {
		select {
		case ch <- c:
		default:
		}
	}
}

// Charts returns the latest chart of every table, ordered by table name.
// The caller must not change their points.
func (h *Hub) Charts() []Chart {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Chart, 0, len(h.charts))
	for _, c := range h.charts {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Chart) int {
		switch {
		case a.Table < b.Table:
			return -1
		case a.Table > b.Table:
			return 1
		}
		return 0
	})
	return out
}

// Subscribe returns a channel that receives every chart published from
// now on (buffer of them at most wait unread; more are dropped), and a
// function that ends the subscription and closes the channel.
func (h *Hub) Subscribe(buffer int) (<-chan Chart, func()) {
	ch := make(chan Chart, max(buffer, 1))
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, ch)
			h.mu.Unlock()
			close(ch)
		})
	}
}
