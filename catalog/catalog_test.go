package catalog

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestCatalog(t *testing.T) {
	c := New()
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil)
	if err := c.Create(&Table{Name: "Clicks", Schema: schema, Options: map[string]string{"connector": "FILE"}}, false); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(&Table{Name: "clicks", Schema: schema}, false); err == nil {
		t.Error("a second table of the same name (in another case) was accepted")
	}
	if err := c.Create(&Table{Name: "CLICKS", Schema: schema}, true); err != nil {
		t.Errorf("IF NOT EXISTS: %v", err)
	}
	if c.Lookup("cLiCkS") == nil || c.Lookup("cLiCkS").Connector() != "file" {
		t.Error("lookup is not case-insensitive, or the connector is not lower-cased")
	}
	if err := c.Create(&Table{Name: "apps", Schema: schema}, false); err != nil {
		t.Fatal(err)
	}
	if ts := c.Tables(); len(ts) != 2 || ts[0].Name != "apps" || ts[1].Name != "Clicks" {
		t.Errorf("Tables() = %v", ts)
	}
	if err := c.Drop("CLICKS", false); err != nil {
		t.Fatal(err)
	}
	if err := c.Drop("clicks", false); err == nil {
		t.Error("dropping a missing table succeeded")
	}
	if err := c.Drop("clicks", true); err != nil {
		t.Errorf("IF EXISTS: %v", err)
	}
}

// TestViews: views share the tables' names; DROP TABLE refuses a view
// and DROP VIEW a table.
func TestViews(t *testing.T) {
	c := New()
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil)
	if err := c.Create(&Table{Name: "t", Schema: schema, Options: map[string]string{"connector": "file"}}, false); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(&Table{Name: "v", Schema: schema, View: "SELECT a FROM t"}, false); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(&Table{Name: "V", Schema: schema, View: "SELECT a FROM t"}, false); err == nil || err.Error() != `view "V" already exists` {
		t.Errorf("second view: %v", err)
	}
	if err := c.Drop("v", false); err == nil || err.Error() != `"v" is a view: use DROP VIEW` {
		t.Errorf("DROP TABLE of a view: %v", err)
	}
	if err := c.DropView("t", false); err == nil || err.Error() != `"t" is a table, not a view: use DROP TABLE` {
		t.Errorf("DROP VIEW of a table: %v", err)
	}
	if err := c.DropView("v", false); err != nil || c.Lookup("v") != nil {
		t.Errorf("DROP VIEW: %v", err)
	}
	if err := c.DropView("v", false); err == nil || err.Error() != `unknown view "v"` {
		t.Errorf("DROP VIEW of a missing view: %v", err)
	}
	if err := c.DropView("v", true); err != nil {
		t.Errorf("DROP VIEW IF EXISTS: %v", err)
	}
}
