package planner

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"

	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/fanout"
)

// sharedSources is what a Session knows of the tables its queries read:
// the live sources open now, each shared by every reader through a hub,
// and the seeds fixed for tables that take one. Hubs leave the map when
// their last reader closes, from the goroutine of the query that ends, so
// it has a lock of its own.
type sharedSources struct {
	mu    sync.Mutex
	hubs  map[*catalog.Table]*fanout.Hub
	seeds map[*catalog.Table]string
	// readers are, with checkpoints on, the queries reading each table
	// and whether it is live (not shared then: see openCheckpointed).
	readers map[*catalog.Table]*tableReaders
}

type tableReaders struct {
	live    bool
	queries []int
}

// openSource opens the source one reader of a table (a query, or a branch
// of one) reads it through. A table is read once per process: a live
// source (socket, directory, datagen without an end) is opened once and
// shared, every reader getting every row from the time it started, until
// the last of them ends; a bounded source is replayable, so each reader
// opens its own and reads it whole. A connector that takes a seed option
// and was given none gets one, chosen at the table's first read and kept
// for the session, so every reader of a bounded generated table sees the
// same rows.
func (s *Session) openSource(spec connectors.SourceSpec) (connectors.Source, error) {
	t := s.Catalog.Lookup(spec.Table)
	if t == nil {
		return s.Registry.OpenSource(spec)
	}
	sh := &s.sources
	sh.mu.Lock()
	defer sh.mu.Unlock()
	spec.Options = sh.fixSeed(s.Registry, t, spec.Options)
	if s.CheckpointDir != "" {
		return s.openCheckpointed(t, spec)
	}
	if h := sh.hubs[t]; h != nil {
		if sub, ok := h.Subscribe(spec.BadRow); ok {
			return sub, nil
		}
	}
	var hub *fanout.Hub
	release := func() {
		sh.mu.Lock()
		defer sh.mu.Unlock()
		if sh.hubs[t] == hub {
			delete(sh.hubs, t)
		}
	}
	src, hub, err := fanout.Open(spec, s.Registry.OpenSource, fanout.Config{Table: t.Name, OnClose: release})
	if err != nil {
		return nil, err
	}
	if hub != nil {
		if sh.hubs == nil {
			sh.hubs = map[*catalog.Table]*fanout.Hub{}
		}
		sh.hubs[t] = hub
	}
	return src, nil
}

// openCheckpointed opens a table's source for a checkpointed query. A
// live source is not shared then: each query's checkpoint holds its own
// position in its source (a socket's write-ahead log), which one shared
// source cannot give. So a live table read a second time is refused,
// never split or duplicated silently. Called with s.sources.mu held.
func (s *Session) openCheckpointed(t *catalog.Table, spec connectors.SourceSpec) (connectors.Source, error) {
	sh := &s.sources
	id := s.nextID + 1
	if r := sh.readers[t]; r != nil && r.live {
		by := fmt.Sprintf("queries %d and %d", r.queries[0], id)
		if r.queries[0] == id {
			by = fmt.Sprintf("query %d twice", id)
		}
		return nil, fmt.Errorf("table %s is read by %s; with --checkpoint-dir each live table can be read by one query for now", t.Name, by)
	}
	src, err := s.Registry.OpenSource(spec)
	if err != nil {
		return nil, err
	}
	if sh.readers == nil {
		sh.readers = map[*catalog.Table]*tableReaders{}
	}
	r := sh.readers[t]
	if r == nil {
		r = &tableReaders{live: fanout.Shareable(src)}
		sh.readers[t] = r
	}
	r.queries = append(r.queries, id)
	return src, nil
}

// fixSeed returns opts with a seed added, when the table's connector
// declares a seed option and opts set none: the same seed for every read
// of the table in this session. Called with mu held.
func (sh *sharedSources) fixSeed(reg *connectors.Registry, t *catalog.Table, opts map[string]string) map[string]string {
	if _, ok := opts["seed"]; ok {
		return opts
	}
	cfg, ok := reg.SourceConfig(opts["connector"])
	if !ok {
		return opts
	}
	if _, ok := cfg.Option("seed"); !ok {
		return opts
	}
	seed, ok := sh.seeds[t]
	if !ok {
		seed = strconv.FormatInt(rand.Int64(), 10)
		if sh.seeds == nil {
			sh.seeds = map[*catalog.Table]string{}
		}
		sh.seeds[t] = seed
	}
	out := make(map[string]string, len(opts)+1)
	for k, v := range opts {
		out[k] = v
	}
	out["seed"] = seed
	return out
}
