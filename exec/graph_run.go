package exec

import (
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
)

// ProcTimeSetter is implemented by operators that evaluate PROCTIME().
// Processing time is a property of the micro-batch being processed, not
// of the moment an operator runs: every message between the stages
// carries the time of the micro-batch it belongs to, and the stage that
// runs the operator calls SetProcTime with it before handing the operator
// that message's batch or watermark. So an operator on the back stage,
// which may run while the front already reads a later micro-batch, still
// stamps its rows with its own batch's time.
type ProcTimeSetter interface {
	// SetProcTime sets the processing time (ms since the Unix epoch, UTC)
	// of the batches the operator is given next.
	SetProcTime(ms int64)
}

// Windowed is implemented by operators whose output waits for the
// watermark (windows over event time): on a live input without a
// watermark they never emit, which the CLI warns about.
type Windowed interface {
	// WaitsForWatermark reports whether the operator emits only as the
	// watermark passes.
	WaitsForWatermark() bool
}

// WaitsForWatermark implements Windowed: a windowed aggregate emits a
// window when the watermark passes its end; an unwindowed one does not.
func (w *WindowAgg) WaitsForWatermark() bool { return w.win }

// stateful reports whether op keeps state across batches, found by its
// capabilities: it checkpoints (Snapshotter), reports its size
// (StateReporter) or merges several inputs (MultiInput). Stateful
// operators run only on the back stage, which owns them and snapshots
// them at the barrier.
func stateful(op Operator) bool {
	switch op.(type) {
	case Snapshotter, StateReporter, MultiInput:
		return true
	}
	return false
}

// consumer is one reader of a port: input port Port of node Node, or the
// query's sink when Node is negative.
type consumer struct{ node, port int }

// graphPlan is a Graph checked and indexed for running: who reads each
// port, and where the graph is cut between the two stages.
type graphPlan struct {
	g        *Graph
	inCons   [][]consumer // readers of each input
	nodeCons [][]consumer // readers of each node's output
	// cut: nodes [0, cut) run on the front stage, [cut, len) on the back.
	// The cut is at the first stateful node (topological order), or
	// before every node when none is stateful, so that decoding overlaps
	// with the operators.
	cut int
}

// newGraphPlan checks g (ports in range and in topological order, as many
// ports as each operator has inputs) and indexes it.
func newGraphPlan(g *Graph) (*graphPlan, error) {
	if len(g.Inputs) == 0 {
		return nil, fmt.Errorf("query graph: no input")
	}
	p := &graphPlan{g: g, inCons: make([][]consumer, len(g.Inputs)), nodeCons: make([][]consumer, len(g.Nodes)), cut: -1}
	add := func(from Port, c consumer, before int) error {
		switch {
		case from.IsInput() && from.Input >= 0 && from.Input < len(g.Inputs):
			p.inCons[from.Input] = append(p.inCons[from.Input], c)
		case !from.IsInput() && from.Node < before:
			p.nodeCons[from.Node] = append(p.nodeCons[from.Node], c)
		default:
			return fmt.Errorf("query graph: %+v is not an input or an earlier node", from)
		}
		return nil
	}
	for k, n := range g.Nodes {
		want := 1
		if m, ok := n.Op.(MultiInput); ok {
			want = m.Ports()
		}
		if len(n.From) != want {
			return nil, fmt.Errorf("query graph: node %d (%s) has %d input ports, wants %d", k, OpName(n.Op), len(n.From), want)
		}
		for j, from := range n.From {
			if err := add(from, consumer{k, j}, k); err != nil {
				return nil, err
			}
		}
		if p.cut < 0 && stateful(n.Op) {
			p.cut = k
		}
	}
	if p.cut < 0 {
		p.cut = 0
	}
	if err := add(g.Output, consumer{-1, 0}, len(g.Nodes)); err != nil {
		return nil, err
	}
	return p, nil
}

// readers returns who reads port from.
func (p *graphPlan) readers(from Port) []consumer {
	if from.IsInput() {
		return p.inCons[from.Input]
	}
	return p.nodeCons[from.Node]
}

// watermarks returns each node's watermark given each input's: the
// minimum over its ports.
func (p *graphPlan) watermarks(in []int64) []int64 {
	wm := make([]int64, len(p.g.Nodes))
	for k, n := range p.g.Nodes {
		m := MaxWatermark
		for _, from := range n.From {
			m = min(m, p.portWatermark(from, in, wm))
		}
		wm[k] = m
	}
	return wm
}

func (p *graphPlan) portWatermark(from Port, in, nodes []int64) int64 {
	if from.IsInput() {
		return in[from.Input]
	}
	return nodes[from.Node]
}

// outputWatermark is the watermark of the query's result.
func (p *graphPlan) outputWatermark(in []int64) int64 {
	return p.portWatermark(p.g.Output, in, p.watermarks(in))
}

// satisfied reports whether the query will never emit again: every path
// from an input to the output passes through a satisfied Finite node (a
// LIMIT that has passed all its rows). Finite.Satisfied is safe from any
// goroutine.
func (p *graphPlan) satisfied() bool {
	blocked := make([]bool, len(p.g.Nodes))
	port := func(from Port) bool { return !from.IsInput() && blocked[from.Node] }
	for k, n := range p.g.Nodes {
		if f, ok := n.Op.(Finite); ok && f.Satisfied() {
			blocked[k] = true
			continue
		}
		all := true
		for _, from := range n.From {
			all = all && port(from)
		}
		blocked[k] = all
	}
	return port(p.g.Output)
}

// graphStage runs nodes [lo, hi) of a graph on one goroutine: a batch
// produced at a port goes to every reader of that port in the stage, in
// order, depth first, and to emit when the port is also read further on
// (the back stage, the sink).
type graphStage struct {
	p      *graphPlan
	lo, hi int
	emit   func(from Port, b arrow.RecordBatch) error
	// procMs is the processing time last given to the stage's
	// ProcTimeSetters; setters lists them.
	procMs  int64
	setters []ProcTimeSetter
}

// procTimeOnBothStages reports whether operators that evaluate
// PROCTIME() (ProcTimeSetters) run on both sides of the cut. Such a query
// runs on one goroutine: the planner may bind all its PROCTIME() calls to
// one cell, which two stages would otherwise write at once.
func (p *graphPlan) procTimeOnBothStages() bool {
	front, back := false, false
	for k, n := range p.g.Nodes {
		if _, ok := n.Op.(ProcTimeSetter); ok {
			if k < p.cut {
				front = true
			} else {
				back = true
			}
		}
	}
	return front && back
}

func newGraphStage(p *graphPlan, lo, hi int, emit func(Port, arrow.RecordBatch) error) *graphStage {
	s := &graphStage{p: p, lo: lo, hi: hi, emit: emit, procMs: MinWatermark}
	for _, n := range p.g.Nodes[lo:hi] {
		if ps, ok := n.Op.(ProcTimeSetter); ok {
			s.setters = append(s.setters, ps)
		}
	}
	return s
}

// ops are the stage's operators, in order.
func (s *graphStage) ops() Pipeline {
	ops := make(Pipeline, 0, s.hi-s.lo)
	for _, n := range s.p.g.Nodes[s.lo:s.hi] {
		ops = append(ops, n.Op)
	}
	return ops
}

// setProcTime gives the stage's PROCTIME() operators the time of the
// micro-batch whose messages come next.
func (s *graphStage) setProcTime(ms int64) {
	if ms == s.procMs {
		return
	}
	s.procMs = ms
	for _, ps := range s.setters {
		ps.SetProcTime(ms)
	}
}

// deliver hands b, produced at port from, to its readers; it takes
// ownership of b, and Retains it once per extra reader.
func (s *graphStage) deliver(from Port, b arrow.RecordBatch) error {
	var local []consumer
	out := false
	for _, c := range s.p.readers(from) {
		switch {
		case c.node >= s.lo && c.node < s.hi:
			local = append(local, c)
		case c.node < 0 || c.node >= s.hi:
			out = true // the sink, or a node of the next stage
		}
		// A reader before lo belongs to the stage before this one, which
		// already gave it the batch.
	}
	n := len(local)
	if out {
		n++
	}
	if n == 0 {
		b.Release()
		return nil
	}
	for i := 1; i < n; i++ {
		b.Retain()
	}
	for i, c := range local {
		if err := s.processAt(c, b); err != nil {
			for range n - i - 1 {
				b.Release()
			}
			return err
		}
	}
	if out {
		return s.emit(from, b)
	}
	return nil
}

// processAt runs b through node c.node, arriving on its port c.port.
func (s *graphStage) processAt(c consumer, b arrow.RecordBatch) error {
	op := s.p.g.Nodes[c.node].Op
	var out []arrow.RecordBatch
	var err error
	if m, ok := op.(MultiInput); ok {
		out, err = opProcessFrom(m, c.port, b)
	} else {
		out, err = opProcess(op, b)
	}
	if err != nil {
		return err
	}
	return s.deliverAll(FromNode(c.node), out)
}

func (s *graphStage) deliverAll(from Port, bs []arrow.RecordBatch) error {
	for i, b := range bs {
		if err := s.deliver(from, b); err != nil {
			releaseBatches(bs[i+1:])
			return err
		}
	}
	return nil
}

// advance calls Advance on every node of the stage, in topological order,
// with the minimum of its ports' watermarks, given every input's; what a
// node emits reaches the nodes after it before they advance.
func (s *graphStage) advance(in []int64) error {
	if s.lo == s.hi {
		return nil
	}
	wm := s.p.watermarks(in)
	for k := s.lo; k < s.hi; k++ {
		if sa, ok := s.p.g.Nodes[k].Op.(StreamingAdvance); ok {
			from := FromNode(k)
			if err := opAdvanceEach(sa, wm[k], func(b arrow.RecordBatch) error { return s.deliver(from, b) }); err != nil {
				return err
			}
			continue
		}
		out, err := opAdvance(s.p.g.Nodes[k].Op, wm[k])
		if err != nil {
			return err
		}
		if err := s.deliverAll(FromNode(k), out); err != nil {
			return err
		}
	}
	return nil
}

// opAdvanceEach is sa.AdvanceEach, with a panic turned into a
// *PanicError.
func opAdvanceEach(sa StreamingAdvance, wm int64, emit func(arrow.RecordBatch) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = newPanicError(OpName(sa.(Operator)), v)
		}
	}()
	return sa.AdvanceEach(wm, emit)
}

// opProcessFrom is m.ProcessFrom, with a panic turned into a *PanicError.
func opProcessFrom(m MultiInput, port int, b arrow.RecordBatch) (out []arrow.RecordBatch, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, newPanicError(OpName(m), v)
		}
	}()
	return m.ProcessFrom(port, b)
}

// ProcTimeOp wraps an operator whose expressions evaluate PROCTIME() by
// reading Cell (as the planner binds it): the stage that runs it stores
// the time of each message's micro-batch in Cell before handing the
// operator that message, so its rows get their own batch's time on
// whichever stage it runs. Give each wrapped operator its own cell: a
// cell shared by operators on both stages would be written by both. Wrap
// only stateless operators: the wrapper hides the other capabilities of
// the operator (Snapshotter, StateReporter, MultiInput).
type ProcTimeOp struct {
	Operator
	Cell *atomic.Int64
}

// SetProcTime implements ProcTimeSetter.
func (p ProcTimeOp) SetProcTime(ms int64) { p.Cell.Store(ms) }

// String names the wrapped operator.
func (p ProcTimeOp) String() string { return OpName(p.Operator) }
