package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/weirdb/weir/connectors/dashboard"
)

// httpFlagHelp is the help of --http, shared by run and shell.
const httpFlagHelp = "serve the dashboard, a JSON API, server-sent events and Prometheus /metrics at HOST:PORT, e.g. 127.0.0.1:8080 (port 0: a free one). Binds loopback only unless HOST names another address explicitly (0.0.0.0 for all); an address without a host binds 127.0.0.1"

// httpTokenHelp is the help of --http-token.
const httpTokenHelp = "with --http: require this bearer token on every path (Authorization: Bearer TOKEN, or open /?token=TOKEN once in a browser); default $WEIR_HTTP_TOKEN"

// monitor is the HTTP server of `weir run --http`: it reads the running
// queries (watched) and the dashboard hub, and never holds up a query.
type monitor struct {
	token  string
	hub    *dashboard.Hub
	events *eventHub
	prom   *promMetrics
	now    func() time.Time

	mu      sync.Mutex
	queries map[int]*watched

	srv *http.Server
	ln  net.Listener
}

// newMonitor returns a monitor with no queries, not yet listening.
func newMonitor(token string, hub *dashboard.Hub) *monitor {
	m := &monitor{token: token, hub: hub, events: newEventHub(), now: time.Now, queries: map[int]*watched{}}
	m.prom = newPromMetrics(m)
	return m
}

// httpToken is the token of --http-token, or else $WEIR_HTTP_TOKEN.
func httpToken(flag string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv("WEIR_HTTP_TOKEN")
}

// listenAddr checks a --http address and returns what to bind: an
// address without a host binds loopback; any host given is bound as is.
// Its errors name --http; httpSource renames them for SET http.
func listenAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("--http %q: want HOST:PORT, such as 127.0.0.1:8080 (port 0 picks a free one)", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// startMonitor binds addr and serves m in the background; it prints
// "weir: dashboard on http://HOST:PORT/" on stderr once it listens.
// from names where addr came from in errors: "--http" or "SET http".
func startMonitor(from, addr, token string, stderr io.Writer) (*monitor, error) {
	bind, err := listenAddr(addr)
	if err != nil {
		return nil, errors.New(strings.Replace(err.Error(), "--http", from, 1))
	}
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v", from, addr, errors.Unwrap(err))
	}
	m := newMonitor(token, dashboard.Default)
	m.ln = ln
	m.srv = &http.Server{Handler: m.handler(), ReadHeaderTimeout: 10 * time.Second}
	go m.srv.Serve(ln)
	go m.forwardCharts()
	fmt.Fprintf(stderr, "weir: dashboard on http://%s/\n", ln.Addr())
	return m, nil
}

// close stops the server: open event streams end, requests in flight
// get a second to finish.
func (m *monitor) close() {
	if m == nil || m.srv == nil {
		return
	}
	m.events.close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if m.srv.Shutdown(ctx) != nil {
		m.srv.Close()
	}
}

// handler routes every path of the server, behind the token check.
func (m *monitor) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("GET /readyz", m.readyz)
	mux.HandleFunc("GET /api/queries", m.listQueries)
	mux.HandleFunc("GET /api/queries/{id}", m.getQuery)
	mux.HandleFunc("POST /api/queries/{id}/stop", m.stopQuery)
	mux.HandleFunc("GET /api/events", m.serveEvents)
	mux.HandleFunc("GET /api/dashboards", m.listDashboards)
	mux.Handle("GET /metrics", m.prom.handler())
	mux.Handle("GET /static/", staticHandler())
	mux.HandleFunc("GET /{$}", serveIndex)
	return m.auth(mux)
}

// add starts watching w.
func (m *monitor) add(w *watched) {
	m.mu.Lock()
	m.queries[w.id] = w
	m.mu.Unlock()
}

// list returns the watched queries by id.
func (m *monitor) list() []*watched {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*watched, 0, len(m.queries))
	for _, w := range m.queries {
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// get returns the query numbered id, or nil.
func (m *monitor) get(id int) *watched {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.queries[id]
}

// forwardCharts sends each dashboard chart published to the page's
// event streams, until the server closes.
func (m *monitor) forwardCharts() {
	ch, cancel := m.hub.Subscribe(64)
	defer cancel()
	for {
		select {
		case c := <-ch:
			m.events.publish("dashboard", c)
		case <-m.events.done:
			return
		}
	}
}
