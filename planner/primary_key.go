package planner

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/weirdb/weir/sql"
)

// primaryKey returns the columns of a CREATE TABLE's PRIMARY KEY, given
// as a table constraint (PRIMARY KEY (a, b) NOT ENFORCED) or on one column
// (a VARCHAR PRIMARY KEY NOT ENFORCED), spelt as declared; nil without
// one. Other constraints (UNIQUE, INDEX, FOREIGN KEY, CHECK) are refused:
// Weir would not check them, and silently ignoring them would mislead.
func primaryKey(stmt *sql.Statement, n *ast.CreateTableStmt, fields []arrow.Field) ([]string, error) {
	var key []string
	name := n.Table.Name.O
	twice := func(at string) error {
		return errAt(stmt, at, "table %s declares more than one PRIMARY KEY", name)
	}
	for _, c := range n.Cols {
		for _, o := range c.Options {
			if o.Tp != ast.ColumnOptionPrimaryKey {
				continue
			}
			if key != nil {
				return nil, twice(c.Name.Name.O)
			}
			key = []string{c.Name.Name.O}
		}
	}
	for _, c := range n.Constraints {
		switch c.Tp {
		case ast.ConstraintPrimaryKey:
			if key != nil {
				return nil, twice("PRIMARY")
			}
			for _, k := range c.Keys {
				if k.Column == nil {
					return nil, errAt(stmt, "PRIMARY", "table %s: PRIMARY KEY lists columns by name, not expressions", name)
				}
				col := k.Column.Name.O
				i := fieldIndex(fields, col)
				if i < 0 {
					return nil, errAt(stmt, col, "PRIMARY KEY (%s): %s is not a column of table %s", col, col, name)
				}
				for _, have := range key {
					if strings.EqualFold(have, col) {
						return nil, errAt(stmt, col, "PRIMARY KEY names %s twice", col)
					}
				}
				key = append(key, fields[i].Name)
			}
		default:
			return nil, errAt(stmt, name, "table %s: only a PRIMARY KEY (...) NOT ENFORCED constraint is supported (it keys a sink's writes); remove the other constraints", name)
		}
	}
	return key, nil
}

// fieldIndex finds a column by case-insensitive name, -1 if absent.
func fieldIndex(fields []arrow.Field, name string) int {
	for i, f := range fields {
		if strings.EqualFold(f.Name, name) {
			return i
		}
	}
	return -1
}
