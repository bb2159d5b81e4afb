package datagen

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live"
)

// Source generates rows; see the package documentation for its options.
// It is bounded when number_of_rows is set or a sequence column has an
// end (without wrap).
type Source struct {
	table   string
	schema  *arrow.Schema
	cfg     *config
	gens    []generator
	seqs    []*int64Seq // the sequences that end
	bounded bool
	log     *slog.Logger
	badRow  connectors.BadRowHandler

	q         *live.Queue
	worker    live.Worker
	closed    bool
	generated atomic.Int64
}

var (
	_ connectors.Source  = (*Source)(nil)
	_ connectors.Starter = (*Source)(nil)
	_ connectors.Bounded = (*Source)(nil)
)

// NewSource validates spec's options and returns a *Source. Rows are
// generated from Start on.
func NewSource(spec connectors.SourceSpec) (connectors.Source, error) {
	cfg, err := parseOptions(spec.Schema, spec.Options)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	if !cfg.seeded {
		cfg.seed = rand.Uint64()
	}
	mem := spec.Alloc
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	s := &Source{table: spec.Table, schema: spec.Schema, cfg: cfg, log: spec.Log, badRow: spec.BadRow,
		bounded: cfg.limit >= 0, q: live.NewQueue(cfg.budget)}
	if s.log == nil {
		s.log = slog.Default()
	}
	for i, f := range spec.Schema.Fields() {
		g, err := cfg.newGenerator(f, i, mem)
		if err != nil {
			for _, g := range s.gens {
				g.release()
			}
			return nil, fmt.Errorf("table %s: %w", spec.Table, err)
		}
		s.gens = append(s.gens, g)
		if seq, ok := g.(*int64Seq); ok {
			if _, ends := seq.remaining(); ends {
				s.seqs = append(s.seqs, seq)
				s.bounded = true
			}
		}
	}
	return s, nil
}

// Schema is the table's schema.
func (s *Source) Schema() *arrow.Schema { return s.schema }

// Bounded reports whether the rows end: number_of_rows is set, or a
// sequence column stops at its end.
func (s *Source) Bounded() bool { return s.bounded }

// Generated is how many rows have been generated and queued so far. It
// may be called from any goroutine.
func (s *Source) Generated() int64 { return s.generated.Load() }

// Buffered is how many bytes of generated rows wait for Next.
func (s *Source) Buffered() int64 { return s.q.Buffered() }

// Backlogged implements connectors.Backlogger.
func (s *Source) Backlogged() bool { return s.q.Backlogged() }

// Start generates rows in the background until the end (if bounded), ctx
// ends or Close is called.
func (s *Source) Start(ctx context.Context) error {
	if err := s.worker.Start(ctx, s.run, s.fail); err != nil {
		return fmt.Errorf("table %s: %w", s.table, err)
	}
	seed := "random"
	if s.cfg.seeded {
		seed = "given"
	}
	s.log.Info("datagen source started", "table", s.table, "rows_per_second", s.cfg.rate,
		"seed", int64(s.cfg.seed), "seed_from", seed)
	return nil
}

func (s *Source) fail(ctx context.Context, err error) {
	_ = s.q.Put(ctx, live.Item{Err: fmt.Errorf("table %s: datagen: %w", s.table, err)})
}

// Next returns up to maxRows generated rows, connectors.ErrNoData if none
// are ready (it never waits), or connectors.ErrEndOfInput after the last
// row of a bounded source.
func (s *Source) Next(ctx context.Context, maxRows int) (arrow.RecordBatch, error) {
	if err := live.CheckNext(ctx, s.table, s.closed, maxRows); err != nil {
		return nil, err
	}
	return s.q.Next(maxRows, s.badRow)
}

// Close stops generating, waits for the background goroutine and frees
// every buffered batch.
func (s *Source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.worker.Stop()
	s.q.Close()
	for _, g := range s.gens {
		g.release()
	}
	return nil
}
