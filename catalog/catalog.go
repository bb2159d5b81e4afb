package catalog

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Watermark is a table's event-time declaration:
// WATERMARK FOR Column AS Column - INTERVAL Delay.
type Watermark struct {
	// Column is the TIMESTAMP column that carries event time.
	Column string
	// Delay is how far the watermark trails the largest event time seen.
	Delay time.Duration
}

// Table is a registered stream (a source) or sink. The same definition
// serves both: a table read by SELECT is a source, one named by INSERT INTO
// is a sink.
type Table struct {
	// Name is the table's name as the user wrote it.
	Name string
	// Schema lists the table's columns as Arrow fields, all nullable.
	Schema *arrow.Schema
	// Options are the WITH (...) options, keys lower-cased.
	Options map[string]string
	// Watermark is nil when the table declares none.
	Watermark *Watermark
	// PrimaryKey lists the columns of PRIMARY KEY (...) [NOT ENFORCED],
	// nil when none is declared. It is never checked: a sink keys its
	// writes by it (upserts, Kafka record keys).
	PrimaryKey []string
	// SQL is the CREATE TABLE (or CREATE VIEW) text, kept for DESCRIBE and
	// EXPLAIN.
	SQL string
	// View, for a view (CREATE VIEW name AS query), is the text of its
	// query, planned anew into each query that reads the view; "" for a
	// table. A view has no options and no watermark of its own.
	View string
}

// IsView reports whether t is a view.
func (t *Table) IsView() bool { return t.View != "" }

// Connector returns the table's connector option, lower-cased; "" for a
// view.
func (t *Table) Connector() string { return strings.ToLower(t.Options["connector"]) }

// Catalog is a set of tables by case-insensitive name. It is safe for
// concurrent use.
type Catalog struct {
	mu     sync.RWMutex
	tables map[string]*Table
}

// New returns an empty catalog.
func New() *Catalog { return &Catalog{tables: map[string]*Table{}} }

// Create registers t; it fails if a table of that name exists, unless
// ifNotExists is set, in which case it does nothing.
func (c *Catalog) Create(t *Table, ifNotExists bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := strings.ToLower(t.Name)
	if _, ok := c.tables[key]; ok {
		if ifNotExists {
			return nil
		}
		return fmt.Errorf("%s %q already exists", kind(c.tables[key]), t.Name)
	}
	c.tables[key] = t
	return nil
}

// kind is "view" or "table".
func kind(t *Table) string {
	if t.IsView() {
		return "view"
	}
	return "table"
}

// Drop removes the named table; it fails if there is none, unless ifExists.
// A view is not dropped by Drop: see DropView.
func (c *Catalog) Drop(name string, ifExists bool) error {
	return c.drop(name, ifExists, false)
}

// DropView removes the named view; it fails if there is none, unless
// ifExists.
func (c *Catalog) DropView(name string, ifExists bool) error {
	return c.drop(name, ifExists, true)
}

func (c *Catalog) drop(name string, ifExists, view bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := strings.ToLower(name)
	t, ok := c.tables[key]
	switch {
	case !ok && ifExists:
		return nil
	case !ok && view:
		return fmt.Errorf("unknown view %q", name)
	case !ok:
		return fmt.Errorf("unknown table %q", name)
	case t.IsView() && !view:
		return fmt.Errorf("%q is a view: use DROP VIEW", name)
	case !t.IsView() && view:
		return fmt.Errorf("%q is a table, not a view: use DROP TABLE", name)
	}
	delete(c.tables, key)
	return nil
}

// Lookup returns the named table, or nil.
func (c *Catalog) Lookup(name string) *Table {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tables[strings.ToLower(name)]
}

// Tables returns every table, sorted by name.
func (c *Catalog) Tables() []*Table {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*Table, 0, len(c.tables))
	for _, t := range c.tables {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}
