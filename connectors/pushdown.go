package connectors

import "strings"

// Pushdown says how a source takes a filter the planner offers it, as
// DataFusion's TableProviderFilterPushDown does.
type Pushdown int

// The ways a source can take a filter.
const (
	// PushdownUnsupported: the source ignores the filter.
	PushdownUnsupported Pushdown = iota
	// PushdownInexact: the source may skip rows that fail the filter,
	// cheaply, but may also return some; the query still filters.
	PushdownInexact
	// PushdownExact: the source returns only rows that pass the filter.
	PushdownExact
)

// String returns "unsupported", "inexact" or "exact".
func (p Pushdown) String() string {
	switch p {
	case PushdownInexact:
		return "inexact"
	case PushdownExact:
		return "exact"
	}
	return "unsupported"
}

// ContainsPushdown tells, from a table's options, how a connector's source
// takes SourceSpec.Contains (a LIKE '%text%' filter on its one column).
type ContainsPushdown func(options map[string]string) Pushdown

// RegisterContains declares how name's source takes a Contains hint; a
// connector not declared ignores it.
func (r *Registry) RegisterContains(name string, f ContainsPushdown) {
	if r.contains == nil {
		r.contains = map[string]ContainsPushdown{}
	}
	r.contains[strings.ToLower(name)] = f
}

// Contains reports how the source of a table with these options (its
// connector among them) takes a Contains hint.
func (r *Registry) Contains(options map[string]string) Pushdown {
	f, ok := r.contains[strings.ToLower(options["connector"])]
	if !ok {
		return PushdownUnsupported
	}
	return f(options)
}

// TextContains is the ContainsPushdown of a source whose records are
// decoded by a format: inexact when the format is 'text' (its decoder
// skips lines without the text, searching the input as a whole), else
// unsupported. format is the table's format, as the source resolves it
// from its options.
func TextContains(format string) Pushdown {
	if strings.EqualFold(format, "text") {
		return PushdownInexact
	}
	return PushdownUnsupported
}
