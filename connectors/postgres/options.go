package postgres

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"
	"github.com/weirdb/weir/connectors"
)

// Config declares the options of the postgres sink; register it with
// NewSink.
func Config() connectors.ConfigSpec {
	return connectors.ConfigSpec{
		Summary: "writes to a PostgreSQL table: inserts, or upserts and deletes by key; exactly once with checkpoints",
		Options: connectors.Declare([]connectors.Option{
			{Name: "dsn", Type: connectors.String, Required: true,
				Doc: "the server and database: a libpq URL (postgres://user@host:5432/db) or key=value string"},
			{Name: "table", Type: connectors.String,
				Doc: "the target table, possibly schema-qualified, lower-cased unless in double quotes (default: the sink table's name)"},
			{Name: "create", Type: connectors.Bool, Default: "true",
				Doc: "create the target table if it is missing, with a PRIMARY KEY on the result's key"},
			{Name: "progress_key", Type: connectors.String,
				Doc: "the sink's row in weir_sink_progress (default: <query>/<sink table>)"},
		}),
		Check:       checkOptions,
		Changelog:   func(map[string]string) error { return nil },
		ManyWriters: true,
		Guarantee: func(_ map[string]string, checkpointed bool) string {
			if checkpointed {
				return "exactly once (a transaction per checkpoint, with its progress row)"
			}
			return "at least once (a transaction per micro-batch; a restart starts over)"
		},
	}
}

// checkOptions checks, when the table is created, what the options'
// types cannot: a table name of one or two parts.
func checkOptions(_ *arrow.Schema, opts map[string]string) error {
	if v, ok := opts["table"]; ok {
		if _, err := parseTableName(v); err != nil {
			return fmt.Errorf("option table: %v", err)
		}
	}
	return nil
}

// options are a sink's options, parsed.
type options struct {
	dsn         string
	table       pgx.Identifier
	create      bool
	progressKey string
}

// parseOptions reads spec's options; errors name the option.
func parseOptions(spec connectors.SinkSpec) (options, error) {
	o := options{dsn: spec.Options["dsn"], create: true}
	if strings.TrimSpace(o.dsn) == "" {
		return o, fmt.Errorf("table %s: connector 'postgres' needs option dsn (e.g. 'postgres://user@127.0.0.1:5432/db')", spec.Table)
	}
	name := spec.Options["table"]
	if name == "" {
		name = spec.Table
	}
	id, err := parseTableName(name)
	if err != nil {
		return o, fmt.Errorf("table %s: option table: %v", spec.Table, err)
	}
	o.table = id
	if v := spec.Options["create"]; v != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return o, fmt.Errorf("table %s: option create: want 'true' or 'false', got '%s'", spec.Table, v)
		}
		o.create = b
	}
	o.progressKey = spec.Options["progress_key"]
	if o.progressKey == "" {
		o.progressKey = spec.Query + "/" + spec.Table
	}
	return o, nil
}

// parseTableName splits "schema.table" (or "table") as PostgreSQL reads
// a name: a part in double quotes keeps its case and may hold dots, an
// unquoted part is lower-cased.
func parseTableName(s string) (pgx.Identifier, error) {
	var parts []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' && quoted && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
		case c == '.' && !quoted:
			parts = append(parts, cur.String())
			cur.Reset()
		case !quoted && c >= 'A' && c <= 'Z':
			cur.WriteByte(c + 'a' - 'A')
		default:
			cur.WriteByte(c)
		}
	}
	if quoted {
		return nil, fmt.Errorf("unclosed quote in '%s'", s)
	}
	parts = append(parts, cur.String())
	if len(parts) > 2 {
		return nil, fmt.Errorf("want 'table' or 'schema.table', got '%s'", s)
	}
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("want 'table' or 'schema.table', got '%s'", s)
		}
	}
	return pgx.Identifier(parts), nil
}
