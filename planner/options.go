package planner

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/sql"
)

// checkOptions checks a new table's WITH options against its connector's
// declared options (see connectors.Registry.CheckOptions) and returns them
// with each key spelled as declared. MySQL's CONNECTION='...' becomes the
// connector's path, or host and port (see mapConnection). An error names the table and the option,
// and points at the option in the statement when it can.
func (s *Session) checkOptions(stmt *sql.Statement, table string, schema *arrow.Schema, opts map[string]string) (map[string]string, error) {
	if err := s.mapConnection(opts); err != nil {
		return nil, optionErrAt(stmt, "connection", "table %s: %v", table, err)
	}
	out, err := s.Registry.CheckOptions(schema, opts)
	if err == nil {
		return out, nil
	}
	key := ""
	var oe *connectors.OptionError
	if errors.As(err, &oe) {
		key = oe.Key
	}
	return nil, optionErrAt(stmt, key, "table %s: %v", table, err)
}

// mapConnection turns MySQL's CONNECTION='...' into the connector's own
// options: the path of a connector that has one (file, directory), host
// and port for one that has those ('host:port' or 'tcp://host:port', a
// socket). Options given in WITH win.
func (s *Session) mapConnection(opts map[string]string) error {
	v, ok := opts["connection"]
	if !ok {
		return nil
	}
	conn := opts["connector"]
	switch {
	case s.declares(conn, "path"):
		delete(opts, "connection")
		if opts["path"] == "" {
			opts["path"] = v
		}
	case s.declares(conn, "host") && s.declares(conn, "port"):
		_, addr, found := strings.Cut(v, "://")
		if !found {
			addr = v
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("CONNECTION '%s': want 'host:port' for connector '%s'", v, conn)
		}
		delete(opts, "connection")
		if opts["host"] == "" {
			opts["host"] = host
		}
		if opts["port"] == "" {
			opts["port"] = port
		}
	}
	return nil
}

// declares reports whether connector conn declares option name, as a
// source or a sink.
func (s *Session) declares(conn, name string) bool {
	if c, ok := s.Registry.SourceConfig(conn); ok {
		if _, ok := c.Option(name); ok {
			return true
		}
	}
	if c, ok := s.Registry.SinkConfig(conn); ok {
		if _, ok := c.Option(name); ok {
			return true
		}
	}
	return false
}

// optionErrAt is errAt pointing at WITH option key: its first occurrence
// after the statement's last WITH (so not a column of the same name), as
// a name or else as text (a quoted key), or the statement's start.
func optionErrAt(stmt *sql.Statement, key string, format string, args ...any) error {
	off, n := stmt.Offset, 1
	from := stmt.Offset
	for {
		o, _, ok := stmt.LocateAfter("WITH", from)
		if !ok {
			break
		}
		from = o + 1
	}
	if key != "" {
		if o, l, ok := stmt.LocateAfter(key, from); ok {
			off, n = o, l
		} else if i := strings.Index(strings.ToLower(stmt.Text[from-stmt.Offset:]), strings.ToLower(key)); i >= 0 {
			off, n = from+i, len(key) // a quoted or hyphenated key
		}
	}
	return stmt.ErrorAt(off, n, format, args...)
}

// optionDoc is the doc of option name of connector conn (its source's,
// else its sink's), or "" if it declares none.
func (s *Session) optionDoc(conn, name string) string {
	for _, get := range []func(string) (connectors.ConfigSpec, bool){s.Registry.SourceConfig, s.Registry.SinkConfig} {
		if c, ok := get(conn); ok {
			if o, ok := c.Option(name); ok {
				return o.Doc
			}
		}
	}
	return ""
}

// showConnectors is SHOW CONNECTORS: every registered connector's options,
// one row each, sources before sinks.
func (s *Session) showConnectors() *Result {
	r := &Result{Kind: ResultRows, Columns: []string{"connector", "kind", "option", "type", "default", "doc"}}
	for _, c := range ConnectorDocs(s.Registry) {
		for _, o := range c.Spec.Options {
			r.Rows = append(r.Rows, []string{c.Name, c.Kind, o.Name, OptionTypeName(o), OptionDefault(o), o.Doc})
		}
	}
	return r
}

// ConnectorDoc is one registered connector of one kind with its declared
// options, for SHOW CONNECTORS and `weir connectors`.
type ConnectorDoc struct {
	// Name is the connector's name; Kind is "source" or "sink".
	Name, Kind string
	// Spec is what it was registered with (no options if nothing).
	Spec connectors.ConfigSpec
}

// ConnectorDocs lists the connectors of reg by name, each source before
// its sink.
func ConnectorDocs(reg *connectors.Registry) []ConnectorDoc {
	var out []ConnectorDoc
	for _, name := range reg.Names() {
		if reg.HasSource(name) {
			c, _ := reg.SourceConfig(name)
			out = append(out, ConnectorDoc{Name: name, Kind: "source", Spec: c})
		}
		if reg.HasSink(name) {
			c, _ := reg.SinkConfig(name)
			out = append(out, ConnectorDoc{Name: name, Kind: "sink", Spec: c})
		}
	}
	return out
}

// OptionTypeName is an option's type as SHOW CONNECTORS prints it: an
// enum lists its values ("enum(skip|dead_letter|fail)").
func OptionTypeName(o connectors.Option) string {
	if o.Type == connectors.Enum {
		return "enum(" + strings.Join(o.Values, "|") + ")"
	}
	return o.Type.String()
}

// OptionDefault is an option's default as SHOW CONNECTORS prints it:
// "required" for a required option without one.
func OptionDefault(o connectors.Option) string {
	if o.Default == "" && o.Required {
		return "required"
	}
	return o.Default
}

// defaultOptions are the options of connector conn that set leaves out
// and that have a default, in declaration order: its source's, then those
// only its sink declares.
func (s *Session) defaultOptions(conn string, set map[string]string) []connectors.Option {
	var out []connectors.Option
	seen := map[string]bool{}
	for _, get := range []func(string) (connectors.ConfigSpec, bool){s.Registry.SourceConfig, s.Registry.SinkConfig} {
		c, _ := get(conn)
		for _, o := range c.Options {
			_, isSet := set[o.Name]
			if !seen[o.Name] && !isSet && o.Default != "" && !strings.Contains(o.Name, connectors.ColumnPlaceholder) {
				out = append(out, o)
			}
			seen[o.Name] = true
		}
	}
	return out
}
