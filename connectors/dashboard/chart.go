package dashboard

import (
	"sync"
)

// MaxPoints is how many points a chart keeps: the newest ones.
const MaxPoints = 2000

// Point is one point of a chart: its x and y values and, for a chart
// with a series column, the series it belongs to (nil otherwise).
type Point struct {
	X      any `json:"x"`
	Y      any `json:"y"`
	Series any `json:"series"`
}

// Chart is a dashboard table drawn on the page: a line or bar chart, or
// a table, of column Y over column X, one line (or bar group) per value
// of column Series when it is set.
type Chart struct {
	// Table is the dashboard table's name.
	Table string `json:"table"`
	// Chart is "line", "bar" or "table".
	Chart string `json:"chart"`
	// X and Y name the columns drawn on each axis.
	X string `json:"x"`
	Y string `json:"y"`
	// Series names the column that splits the points into series, or is
	// nil for one series.
	Series *string `json:"series"`
	// XType is the type of the x column: "timestamp" (values in Unix
	// ms), "number", "string" or "bool".
	XType string `json:"x_type"`
	// Updating is true when the chart shows an updating query's current
	// result, false for the latest rows of an append-only one.
	Updating bool `json:"updating"`
	// Points are the chart's points, oldest first (at most MaxPoints).
	Points []Point `json:"points"`
}

// Hub keeps the latest version of every chart, in the order they were
// first published, and hands each new version to its subscribers.
type Hub struct {
	mu     sync.Mutex
	order  []string
	charts map[string]Chart
	subs   map[chan Chart]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{charts: map[string]Chart{}, subs: map[chan Chart]struct{}{}}
}

// Default is the process's hub: dashboard sinks publish to it and the
// HTTP server serves it.
var Default = NewHub()

// Publish replaces the chart of c.Table with c (its points cut to the
// newest MaxPoints) and sends it to every subscriber that has room for
// it; it never blocks.
func (h *Hub) Publish(c Chart) {
	if n := len(c.Points); n > MaxPoints {
		c.Points = c.Points[n-MaxPoints:]
	}
	c.Points = append(make([]Point, 0, len(c.Points)), c.Points...) // never nil: JSON [], not null
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.charts[c.Table]; !ok {
		h.order = append(h.order, c.Table)
	}
	h.charts[c.Table] = c
	for ch := range h.subs {
		select {
		case ch <- c:
		default: // a slow subscriber misses this version, not the next
		}
	}
}

// Charts returns the latest version of every chart published so far.
func (h *Hub) Charts() []Chart {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Chart, 0, len(h.order))
	for _, t := range h.order {
		out = append(out, h.charts[t])
	}
	return out
}

// Subscribe returns a channel that receives each chart as it is
// published (up to buf waiting; more are dropped) and a function that
// ends the subscription.
func (h *Hub) Subscribe(buf int) (<-chan Chart, func()) {
	ch := make(chan Chart, buf)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}
