package planner

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/vector"
)

// Union is UNION ALL: every row of every input, in arrival order. The
// planner casts its inputs to one schema (names from the first input);
// its watermark is the minimum of its inputs'.
type Union struct {
	Ins []Node
}

// Schema implements Node: the first input's, which every input has.
func (u *Union) Schema() *arrow.Schema { return u.Ins[0].Schema() }

// Children implements Node.
func (u *Union) Children() []Node { return u.Ins }

// Updating implements Node: a union passes its inputs' changes on.
func (u *Union) Updating() bool { return anyUpdating(u.Ins) }

// Describe implements Node.
func (u *Union) Describe() string { return fmt.Sprintf("Union all (%d inputs)", len(u.Ins)) }

// WindowAssign is a window table-valued function, TABLE(TUMBLE(TABLE t,
// DESCRIPTOR(ts), size)) or HOP: its input's columns and window_start,
// window_end and window_time, one row per window a row falls in.
type WindowAssign struct {
	In     Node
	Window exec.WindowSpec
	// Partition, for SESSION, are the PARTITION BY columns of In.
	Partition []int
	schema    *arrow.Schema
}

// Schema implements Node.
func (w *WindowAssign) Schema() *arrow.Schema {
	if w.schema == nil {
		fs := append([]arrow.Field(nil), w.In.Schema().Fields()...)
		for _, n := range exec.WindowAssignColumns {
			// Nullable as every planned column is, so that a projection
			// of all of them (SELECT *) is an identity.
			fs = append(fs, arrow.Field{Name: n, Type: vector.Timestamp, Nullable: true})
		}
		w.schema = arrow.NewSchema(fs, nil)
	}
	return w.schema
}

// Children implements Node.
func (w *WindowAssign) Children() []Node { return []Node{w.In} }

// Updating implements Node.
func (w *WindowAssign) Updating() bool { return w.In.Updating() }

// Describe implements Node.
func (w *WindowAssign) Describe() string {
	col := w.In.Schema().Field(w.Window.TimeCol).Name
	switch w.Window.Kind {
	case exec.Hop:
		return fmt.Sprintf("WindowAssign HOP(%s, %s, %s)", col, ms(w.Window.Slide), ms(w.Window.Size))
	case exec.Cumulate:
		return fmt.Sprintf("WindowAssign CUMULATE(%s, %s, %s)", col, ms(w.Window.Slide), ms(w.Window.Size))
	case exec.Session:
		return fmt.Sprintf("WindowAssign SESSION(%s, %s)", col, ms(w.Window.Size))
	}
	return fmt.Sprintf("WindowAssign TUMBLE(%s, %s)", col, ms(w.Window.Size))
}
