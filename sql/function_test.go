package sql

import (
	"strings"
	"testing"
)

func TestParseCreateFunction(t *testing.T) {
	stmts, err := Parse("CREATE TEMPORARY FUNCTION IF NOT EXISTS count_char(s STRING, c VARCHAR(1)) RETURNS BIGINT\n" +
		"  AS 'LENGTH(s) - LENGTH(REPLACE(s, c, ''''))' LANGUAGE SQL")
	if err != nil {
		t.Fatal(err)
	}
	f := stmts[0].Function
	if stmts[0].Command != CmdCreateFunction || f == nil || f.Name != "count_char" || !f.IfNotExists {
		t.Fatalf("got %q %+v", stmts[0].Command, f)
	}
	if strings.Join(f.Params, ",") != "s,c" || len(f.Types) != 3 {
		t.Fatalf("params %v, %d types", f.Params, len(f.Types))
	}
	if f.Body != "LENGTH(s) - LENGTH(REPLACE(s, c, ''))" || f.BodyExpr == nil {
		t.Fatalf("body %q", f.Body)
	}
}

func TestParseFunctionStatements(t *testing.T) {
	stmts, err := Parse("DROP FUNCTION IF EXISTS f; DROP TEMPORARY FUNCTION `g`; SHOW FUNCTIONS; SHOW USER FUNCTIONS")
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, s := range stmts {
		g := s.Command
		if s.Function != nil {
			g += " " + s.Function.Name
			if s.Function.IfExists {
				g += " if exists"
			}
		}
		got = append(got, g)
	}
	want := "DROP FUNCTION f if exists|DROP FUNCTION g|SHOW FUNCTIONS|SHOW FUNCTIONS"
	if strings.Join(got, "|") != want {
		t.Fatalf("got %q, want %q", strings.Join(got, "|"), want)
	}
}

// Errors inside the body point into the string literal, counting a
// doubled quote as the two characters the user typed.
func TestCreateFunctionErrors(t *testing.T) {
	cases := []struct{ sql, want string }{
		{"CREATE FUNCTION f(x BIGINT) RETURNS BIGINT AS 'CONCAT(''a'', x) +'", "line 1, column 65: syntax error"},
		{"CREATE FUNCTION f AS 'java.Class'", "line 1, column 17: Java UDFs are not supported; define the function in SQL: CREATE FUNCTION f(a TYPE, ...) RETURNS TYPE AS 'expression'"},
		{"CREATE FUNCTION f(x BIGINT) AS 'x'", "line 1, column 29: expected RETURNS"},
		{"CREATE FUNCTION f(x BIGINT) RETURNS BIGINT AS x", "line 1, column 47: the body must be a string literal"},
		{"CREATE FUNCTION f(x BIGINT) RETURNS BIGINT AS 'x' y", "line 1, column 51: unexpected text after the function body"},
		{"CREATE FUNCTION f(x BIGINT) RETURNS BIGINT AS 'x; y'", "line 1, column 51: syntax error near"},
		{"CREATE FUNCTION f(x BIGINT) RETURNS BIGINT AS 'x FROM t'", "line 1, column 47: the function body must be one expression"},
		{"CREATE FUNCTION f(x BIGINT) RETURNS BIGINT AS ' '", "line 1, column 47: the function body is empty"},
		{"CREATE FUNCTION f(x NOPE) RETURNS BIGINT AS 'x'", "line 1, column 27: bad type in function f"},
		{"DROP FUNCTION", "line 1, column 14: usage: DROP FUNCTION [IF EXISTS] name"},
		{"SHOW FUNCTIONS x", "line 1, column 16: SHOW FUNCTIONS takes no arguments"},
	}
	for _, c := range cases {
		_, err := Parse(c.sql)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %s", c.sql, err, c.want)
		}
	}
}
