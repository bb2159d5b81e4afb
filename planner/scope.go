package planner

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/vector"
)

// column is one named column visible to expressions.
type column struct {
	name string // as the user sees it
	qual string // table name or alias, lower-cased; "" if none
	typ  arrow.DataType
}

// scope is the list of columns an expression may refer to, in the order of
// the batch the expression is evaluated over.
type scope struct{ cols []column }

// find returns the index of the column named name (qualified by qual if
// qual is not empty), -1 if none, or -2 if the name is ambiguous.
func (s *scope) find(qual, name string) int {
	found := -1
	for i, c := range s.cols {
		if !strings.EqualFold(c.name, name) {
			continue
		}
		if qual != "" && !strings.EqualFold(c.qual, qual) {
			continue
		}
		if found >= 0 {
			return -2
		}
		found = i
	}
	return found
}

func (s *scope) names() []string {
	out := make([]string, len(s.cols))
	for i, c := range s.cols {
		out[i] = c.name
	}
	return out
}

// schema renders the scope as an Arrow schema.
func (s *scope) schema() *arrow.Schema {
	fields := make([]arrow.Field, len(s.cols))
	for i, c := range s.cols {
		fields[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// scopeOf makes a scope of schema's fields, qualified by qual.
func scopeOf(schema *arrow.Schema, qual string) *scope {
	s := &scope{}
	for _, f := range vector.WithoutOpColumn(schema).Fields() {
		s.cols = append(s.cols, column{name: f.Name, qual: strings.ToLower(qual), typ: f.Type})
	}
	return s
}
