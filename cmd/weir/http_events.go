package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// eventBuffer is how many events a client of the event stream may fall
// behind before it is dropped: a slow client never holds up a query.
const eventBuffer = 256

// pingEvery is how often an idle event stream gets a ": ping" comment.
var pingEvery = 15 * time.Second

// eventHub fans server-sent events out to the clients of /api/events.
type eventHub struct {
	mu      sync.Mutex
	clients map[chan []byte]struct{}
	done    chan struct{}
	closed  bool
}

func newEventHub() *eventHub {
	return &eventHub{clients: map[chan []byte]struct{}{}, done: make(chan struct{})}
}

// active reports whether any client listens.
func (h *eventHub) active() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients) > 0
}

// publish sends an event named name with data v (as JSON) to every
// client; a client whose buffer is full is dropped. It never blocks.
func (h *eventHub) publish(name string, v any) {
	if !h.active() {
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	frame := []byte(fmt.Sprintf("event: %s\ndata: %s\n\n", name, data))
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.clients {
		select {
		case ch <- frame:
		default:
			delete(h.clients, ch)
			close(ch) // too slow: its handler ends the stream
		}
	}
}

// subscribe adds a client; its channel closes when it is dropped.
func (h *eventHub) subscribe() chan []byte {
	ch := make(chan []byte, eventBuffer)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch
	}
	h.clients[ch] = struct{}{}
	return ch
}

// unsubscribe removes a client that left.
func (h *eventHub) unsubscribe(ch chan []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[ch]; ok {
		delete(h.clients, ch)
		close(ch)
	}
}

// close ends every stream.
func (h *eventHub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	close(h.done)
	for ch := range h.clients {
		delete(h.clients, ch)
		close(ch)
	}
}

// serveEvents is GET /api/events: a text/event-stream of the hub's
// events, with a ": ping" comment every pingEvery.
func (m *monitor) serveEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		httpError(w, http.StatusInternalServerError, "streaming is not supported here")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ch := m.events.subscribe()
	defer m.events.unsubscribe(ch)
	io.WriteString(w, ": connected\n\n") // the client knows it is subscribed
	fl.Flush()
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		select {
		case frame, ok := <-ch:
			if !ok {
				return
			}
			if _, err := w.Write(frame); err != nil {
				return
			}
			fl.Flush()
		case <-ping.C:
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
				return
			}
			fl.Flush()
		case <-r.Context().Done():
			return
		}
	}
}
