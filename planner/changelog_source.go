package planner

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

// changelogFormats are the source formats whose records are changes to a
// table rather than rows of a stream: a table read in one is a changelog
// (updating) table, as a Flink table with format debezium-json is.
var changelogFormats = map[string]bool{"debezium-json": true}

// changelogTable reports whether scanning t gives a changelog: its format
// is one of changelogFormats.
func changelogTable(t *catalog.Table) bool {
	return t != nil && !t.IsView() && changelogFormats[strings.ToLower(strings.TrimSpace(t.Options["format"]))]
}

// scanSchema is the schema of a scan of t, and of its source: the table's
// columns, followed by the op column (vector.WithOpColumn) when t is a
// changelog table. Queries over it then plan as over any updating input:
// aggregates retract, filters and projections keep the row kinds.
func scanSchema(t *catalog.Table) *arrow.Schema {
	if changelogTable(t) {
		return vector.WithOpColumn(t.Schema)
	}
	return t.Schema
}

// checkChangelogColumns refuses a changelog table (options opts) that
// declares a column named like the op column, which its scan adds.
func checkChangelogColumns(stmt *sql.Statement, table string, fields []arrow.Field, opts map[string]string) error {
	if !changelogFormats[strings.ToLower(strings.TrimSpace(opts["format"]))] {
		return nil
	}
	for _, f := range fields {
		if strings.EqualFold(f.Name, vector.OpColumn) {
			return errAt(stmt, f.Name, "table %s: column %s: a table in format '%s' is a changelog whose row kinds are the column %s; name the column otherwise", table, f.Name, opts["format"], vector.OpColumn)
		}
	}
	return nil
}
