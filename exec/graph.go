package exec

import "github.com/apache/arrow-go/v18/arrow"

// Graph is a query's dataflow graph: sources feed operators, operators
// feed operators (one operator's output may feed several), and one end
// is the query's result, written to the sink.
//
// The edges carry, in order and in band, batches, watermark advances,
// checkpoint barriers and the end of input. An operator with several
// inputs (a MultiInput: union, joins) is told which input each batch came
// from; its watermark is the minimum of its inputs' watermarks.
type Graph struct {
	// Inputs are the query's sources, each with its event-time
	// declaration.
	Inputs []Input
	// Nodes are the operators in topological order: every Port a node
	// reads from names an input or an earlier node.
	Nodes []GraphNode
	// Output is where the query's result comes out: usually the last
	// node, or an input for a query without operators (SELECT * FROM t).
	Output Port
}

// GraphNode is one operator of a Graph and the upstream end of each of
// its input ports, in port order. A single-input Operator has one port.
type GraphNode struct {
	Op   Operator
	From []Port
}

// Port names the upstream end of an edge: source Input (an index into
// Graph.Inputs) when Node is negative, else the output of node Node (an
// index into Graph.Nodes).
type Port struct {
	Input int
	Node  int
}

// FromInput is the port of source i.
func FromInput(i int) Port { return Port{Input: i, Node: -1} }

// FromNode is the port of node i's output.
func FromNode(i int) Port { return Port{Input: -1, Node: i} }

// IsInput reports whether p is a source's port.
func (p Port) IsInput() bool { return p.Node < 0 }

// MultiInput is implemented by operators with more than one input port
// (union, joins). The graph calls ProcessFrom, never Process, on them;
// the ownership rules of Operator hold.
type MultiInput interface {
	Operator
	// Ports is the number of input ports.
	Ports() int
	// ProcessFrom consumes one batch that arrived on input port port.
	ProcessFrom(port int, batch arrow.RecordBatch) ([]arrow.RecordBatch, error)
}
