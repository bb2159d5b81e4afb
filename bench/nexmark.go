package bench

import (
	"embed"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// nexmarkFiles are the Nexmark queries, verbatim from the Nexmark
// repository (see nexmark/README.md).
//
//go:embed nexmark/*.sql
var nexmarkFiles embed.FS

// NexmarkQueryNames lists the Nexmark queries there are texts of, "q0" to
// "q23", in numeric order.
func NexmarkQueryNames() []string {
	entries, err := nexmarkFiles.ReadDir("nexmark")
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".sql"); ok {
			names = append(names, n)
		}
	}
	sort.Slice(names, func(i, j int) bool { return nexmarkNumber(names[i]) < nexmarkNumber(names[j]) })
	return names
}

// nexmarkNumber is the number of query "qN", or -1.
func nexmarkNumber(name string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(name, "q"))
	if err != nil || !strings.HasPrefix(name, "q") {
		return -1
	}
	return n
}

// NexmarkQuery returns the text of Nexmark query name ("q5"), as the
// Nexmark repository has it: a sink table nexmark_qN and an INSERT INTO
// it, without the source tables.
func NexmarkQuery(name string) (string, error) {
	b, err := nexmarkFiles.ReadFile("nexmark/" + name + ".sql")
	if err != nil {
		return "", fmt.Errorf("no Nexmark query %q (have %s)", name, strings.Join(NexmarkQueryNames(), ", "))
	}
	return string(b), nil
}

// NexmarkDDL declares Nexmark's three tables, person, auction and bid,
// over Weir's nexmark connector, with the columns and watermarks of the
// Nexmark repository's DDL: a history of events events (all kinds
// counted; 0: no end), generated as fast as the query reads them.
func NexmarkDDL(events int64) string {
	with := func(kind string) string {
		return "WITH (connector = 'nexmark', 'nexmark.table.type' = '" + kind + "', 'nexmark.events' = '" +
			strconv.FormatInt(events, 10) + "', 'nexmark.events_per_second' = '0');\n"
	}
	wm := "WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND"
	return "CREATE TABLE person (id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR, city VARCHAR, state VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR, " + wm + ") " + with("person") +
		"CREATE TABLE auction (id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT, reserve BIGINT, `dateTime` TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra VARCHAR, " + wm + ") " + with("auction") +
		"CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR, " + wm + ") " + with("bid")
}

// NexmarkSideInput is the side input of q13 as CSV with a header: keys 0
// to 9999, each with a value "v0" to "v99".
func NexmarkSideInput() string {
	var b strings.Builder
	b.WriteString("key,value\n")
	for k := 0; k < 10000; k++ {
		fmt.Fprintf(&b, "%d,v%d\n", k, k*7%100)
	}
	return b.String()
}

// NexmarkScriptConfig says how NexmarkScript adapts a query.
type NexmarkScriptConfig struct {
	// Tables declares the source tables (NexmarkDDL, or others with the
	// same names and columns); it starts the script.
	Tables string
	// SideInput is the path of q13's side input, a CSV file such as
	// NexmarkSideInput's.
	SideInput string
	// Sink keeps the query's sink table, as a blackhole table (the one
	// sink of the repository's texts that is not, q10's filesystem table,
	// becomes one too), and its INSERT INTO. Without it both are dropped
	// and the query's rows go to the script's output.
	Sink bool
	// SinkTable, with Sink, replaces the query's sink table by this
	// CREATE TABLE statement (without its semicolon), of the same name.
	SinkTable string
	// Emit, if not empty, is an EMIT clause ("EMIT ON UPDATE") added at
	// the end of the query.
	Emit string
}

// NexmarkScript turns a Nexmark query's text into a Weir script, as a
// user would adapt it: the source tables declared by c.Tables, q13's
// side-input table read from c.SideInput, q14's Java UDF count_char
// defined in SQL, and the sink kept or dropped as c.Sink says. The
// statements are otherwise the repository's text.
func NexmarkScript(query string, c NexmarkScriptConfig) string {
	var lines []string
	for _, l := range strings.Split(query, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	var out []string
	for _, st := range strings.Split(strings.Join(lines, "\n"), ";") {
		st = strings.TrimSpace(st)
		upper := strings.ToUpper(st)
		switch {
		case st == "":
		case strings.HasPrefix(upper, "CREATE TABLE SIDE_INPUT"):
			out = append(out, "CREATE TABLE side_input (`key` BIGINT, `value` VARCHAR) WITH (connector = 'file', path = "+
				sqlQuote(c.SideInput)+", format = 'csv')")
		case strings.HasPrefix(upper, "CREATE TABLE"):
			switch {
			case c.Sink && c.SinkTable != "":
				out = append(out, c.SinkTable)
			case c.Sink:
				out = append(out, blackholeTable(st))
			}
		case strings.HasPrefix(upper, "CREATE FUNCTION COUNT_CHAR"):
			out = append(out, "CREATE FUNCTION count_char(s VARCHAR, c VARCHAR) RETURNS BIGINT AS 'LENGTH(s) - LENGTH(REPLACE(s, c, ''''))'")
		case strings.HasPrefix(upper, "INSERT INTO"):
			if !c.Sink {
				st = insertInto.ReplaceAllString(st, "")
			}
			if c.Emit != "" {
				st += " " + c.Emit
			}
			out = append(out, st)
		default:
			out = append(out, st)
		}
	}
	return c.Tables + strings.Join(out, ";\n") + ";\n"
}

var insertInto = regexp.MustCompile(`(?is)^INSERT\s+INTO\s+\S+\s*`)

// blackholeTable is a CREATE TABLE statement with its columns kept and
// everything after them (PARTITIONED BY, WITH) replaced by the blackhole
// connector.
func blackholeTable(st string) string {
	depth := 0
	for i, r := range st {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return st[:i+1] + " WITH ('connector' = 'blackhole')"
			}
		}
	}
	return st
}

// sqlQuote quotes s as an SQL string literal.
func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
