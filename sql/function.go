package sql

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/types"
)

// The statements on user-defined functions, which TiDB has no grammar for;
// Weir parses them itself (Statement.Command names them):
//
//	CREATE [TEMPORARY] [SYSTEM] FUNCTION [IF NOT EXISTS] name(p TYPE, ...)
//	    RETURNS TYPE AS 'expression over the parameters'
//	CREATE [TEMPORARY] [SYSTEM] FUNCTION [IF NOT EXISTS] name AS 'java.Class' [LANGUAGE JAVA]
//	DROP [TEMPORARY] [SYSTEM] FUNCTION [IF EXISTS] name
//	SHOW [USER] FUNCTIONS
//
// The Java form is recognised so that it can be refused with advice.

// The commands of this file.
const (
	CmdCreateFunction = "CREATE FUNCTION"
	CmdDropFunction   = "DROP FUNCTION"
	CmdShowFunctions  = "SHOW FUNCTIONS"
)

// FunctionDef is what CREATE FUNCTION or DROP FUNCTION says.
type FunctionDef struct {
	// Name is the function's name as written.
	Name string
	// IfNotExists or IfExists was given (CREATE or DROP).
	IfNotExists, IfExists bool
	// JavaClass is set for CREATE FUNCTION name AS 'class', which Weir
	// refuses; the other fields below are then empty.
	JavaClass string
	// Params are the parameters' names, Types their types then the
	// result's (len(Params)+1 entries).
	Params []string
	Types  []*types.FieldType
	// Body is the expression, unquoted, and BodyExpr TiDB's tree of it;
	// errors found in it must go through BodyError.
	Body     string
	BodyExpr ast.ExprNode
	// BodyStmt is the statement "SELECT body" the expression came from,
	// for positioning errors while binding it.
	BodyStmt *Statement

	script  string
	litOff  int    // byte offset in script of the literal's first content byte
	litText string // the literal's content as written (quotes doubled)
}

// bodyPrefix is put before the body to parse it as a query.
const bodyPrefix = "SELECT "

// function parses the statements above; done reports whether s was one.
func (s *Statement) function() (bool, *Error) {
	t := s.toks
	at := func(i int, format string, args ...any) *Error {
		tk := t[min(i, len(t)-1)]
		if i >= len(t) {
			return errAt(s.script, tk.end, 1, fmt.Sprintf(format, args...))
		}
		return errAt(s.script, tk.start, tk.end-tk.start, fmt.Sprintf(format, args...))
	}
	i := 1
	skip := func(words ...string) {
		for _, w := range words {
			if i < len(t) && t[i].kw(w) {
				i++
			}
		}
	}
	switch {
	case len(t) >= 2 && t[0].kw("SHOW") && (t[1].kw("FUNCTIONS") || (len(t) >= 3 && t[1].kw("USER") && t[2].kw("FUNCTIONS"))):
		s.Command = CmdShowFunctions
		if n := 2 + btoi(t[1].kw("USER")); len(t) > n {
			return true, at(n, "SHOW FUNCTIONS takes no arguments")
		}
		return true, nil
	case t[0].kw("DROP"):
		skip("TEMPORARY", "SYSTEM")
		if i >= len(t) || !t[i].kw("FUNCTION") {
			return false, nil
		}
		i++
		s.Command = CmdDropFunction
		f := &FunctionDef{}
		if i+1 < len(t) && t[i].kw("IF") && t[i+1].kw("EXISTS") {
			f.IfExists = true
			i += 2
		}
		if i >= len(t) || !t[i].isName() || i+1 != len(t) {
			return true, at(i, "usage: DROP FUNCTION [IF EXISTS] name")
		}
		f.Name = t[i].name()
		s.Function = f
		return true, nil
	case t[0].kw("CREATE"):
		skip("TEMPORARY", "SYSTEM")
		if i >= len(t) || !t[i].kw("FUNCTION") {
			return false, nil
		}
		i++
		s.Command = CmdCreateFunction
		return true, s.createFunction(i)
	}
	return false, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// usageCreateFunction is the form CREATE FUNCTION's errors show.
const usageCreateFunction = "CREATE FUNCTION f(a TYPE, ...) RETURNS TYPE AS 'expression'"

// createFunction parses CREATE FUNCTION from token i (after FUNCTION).
func (s *Statement) createFunction(i int) *Error {
	t := s.toks
	at := func(i int, format string, args ...any) *Error {
		if i >= len(t) {
			last := t[len(t)-1]
			return errAt(s.script, last.end, 1, fmt.Sprintf(format, args...))
		}
		return errAt(s.script, t[i].start, t[i].end-t[i].start, fmt.Sprintf(format, args...))
	}
	f := &FunctionDef{script: s.script}
	s.Function = f
	if i+2 < len(t) && t[i].kw("IF") && t[i+1].kw("NOT") && t[i+2].kw("EXISTS") {
		f.IfNotExists = true
		i += 3
	}
	if i >= len(t) || !t[i].isName() {
		return at(i, "expected a function name: %s", usageCreateFunction)
	}
	f.Name = t[i].name()
	nameTok := i
	i++
	if i < len(t) && t[i].kw("AS") { // Flink's CREATE FUNCTION f AS 'java.Class'
		if i+1 < len(t) && t[i+1].kind == tkString {
			f.JavaClass = unquote(t[i+1].text)
		}
		return at(nameTok, "Java UDFs are not supported; define the function in SQL: %s", usageCreateFunction)
	}
	if i >= len(t) || !t[i].is("(") {
		return at(i, "expected ( and the parameters: %s", usageCreateFunction)
	}
	i++
	// The types are parsed by TiDB, as the columns of a table.
	var cols []string
	seen := map[string]bool{}
	typeText := func(from int, stops ...string) (int, string) {
		depth, j := 0, from
		for ; j < len(t); j++ {
			if depth == 0 {
				stop := false
				for _, w := range stops {
					if t[j].is(w) || t[j].kw(w) {
						stop = true
					}
				}
				if stop {
					break
				}
			}
			if t[j].is("(") {
				depth++
			} else if t[j].is(")") {
				depth--
			}
		}
		if j == from || j > len(t) {
			return j, ""
		}
		return j, s.script[t[from].start:t[j-1].end]
	}
	for !(i < len(t) && t[i].is(")")) {
		if i >= len(t) || !t[i].isName() {
			return at(i, "expected a parameter name: %s", usageCreateFunction)
		}
		p := t[i].name()
		if seen[strings.ToLower(p)] {
			return at(i, "parameter %s is declared twice", p)
		}
		seen[strings.ToLower(p)] = true
		j, typ := typeText(i+1, ",", ")")
		if typ == "" {
			return at(i+1, "parameter %s needs a type, e.g. %s VARCHAR", p, p)
		}
		f.Params = append(f.Params, p)
		cols = append(cols, "`"+strings.ReplaceAll(p, "`", "``")+"` "+typ)
		i = j
		if i < len(t) && t[i].is(",") {
			i++
		}
	}
	i++ // the ')'
	if i >= len(t) || !t[i].kw("RETURNS") {
		return at(i, "expected RETURNS and the result's type: %s", usageCreateFunction)
	}
	j, rtyp := typeText(i+1, "AS")
	if rtyp == "" {
		return at(i+1, "expected the result's type after RETURNS: %s", usageCreateFunction)
	}
	cols = append(cols, "`$returns` "+rtyp)
	retTok := i + 1
	i = j
	if i >= len(t) || !t[i].kw("AS") {
		return at(i, "expected AS 'expression': %s", usageCreateFunction)
	}
	i++
	if i >= len(t) || t[i].kind != tkString || t[i].text[0] != '\'' {
		return at(i, "the body must be a string literal holding an expression: %s", usageCreateFunction)
	}
	lit := t[i]
	if i+1 < len(t) {
		if t[i+1].kw("LANGUAGE") && i+2 < len(t) && t[i+2].kw("SQL") && i+3 == len(t) {
			// Flink's optional LANGUAGE SQL
		} else {
			return at(i+1, "unexpected text after the function body")
		}
	}
	ftypes, err := parseTypes(cols)
	if err != nil {
		return at(retTok-1, "bad type in function %s: %v", f.Name, err)
	}
	f.Types = ftypes
	f.litOff, f.litText = lit.start+1, lit.text[1:len(lit.text)-1]
	f.Body = strings.ReplaceAll(f.litText, "''", "'")
	if strings.TrimSpace(f.Body) == "" {
		return at(i, "the function body is empty: give an expression over the parameters")
	}
	stmts, perr := Parse(bodyPrefix + f.Body)
	if perr != nil {
		var e *Error
		if errors.As(perr, &e) {
			return f.BodyError(e).(*Error)
		}
		return at(i, "%v", perr)
	}
	sel, ok := (*ast.SelectStmt)(nil), len(stmts) == 1
	if ok {
		sel, ok = stmts[0].Node.(*ast.SelectStmt)
	}
	if !ok || sel.From != nil || sel.Where != nil || sel.GroupBy != nil || sel.OrderBy != nil || sel.Limit != nil ||
		sel.Fields == nil || len(sel.Fields.Fields) != 1 || sel.Fields.Fields[0].Expr == nil || sel.Fields.Fields[0].AsName.L != "" {
		return at(i, "the function body must be one expression over the parameters, such as 'a + b'")
	}
	f.BodyStmt, f.BodyExpr = stmts[0], sel.Fields.Fields[0].Expr
	return nil
}

// parseTypes parses column definitions through TiDB (after Weir's type
// rewrites) and returns their types.
func parseTypes(cols []string) ([]*types.FieldType, error) {
	text := "CREATE TABLE f (" + strings.Join(cols, ", ") + ")"
	toks, terr := tokenize(text)
	if terr != nil {
		return nil, errors.New(terr.Msg)
	}
	r := &rewriter{script: text, toks: toks}
	if err := r.rewrite(); err != nil {
		return nil, errors.New(err.Msg)
	}
	rewritten, _ := applyEdits(text, r.edits)
	nodes, err := tidbParse(parser.New(), rewritten)
	if err != nil || len(nodes) != 1 {
		return nil, fmt.Errorf("cannot parse the types (%s)", strings.Join(cols, ", "))
	}
	ct, ok := nodes[0].(*ast.CreateTableStmt)
	if !ok || len(ct.Cols) != len(cols) {
		return nil, fmt.Errorf("cannot parse the types (%s)", strings.Join(cols, ", "))
	}
	out := make([]*types.FieldType, len(ct.Cols))
	for k, c := range ct.Cols {
		out[k] = c.Tp
	}
	return out, nil
}

// BodyError repositions err, an error found in the body (parsing it, or
// binding BodyStmt), onto the body's string literal in the CREATE
// FUNCTION statement. Other errors are returned as they are.
func (f *FunctionDef) BodyError(err error) error {
	var e *Error
	if !errors.As(err, &e) || e.Source != bodyPrefix+f.Body {
		return err
	}
	off := byteOffset(e.Source, e.Line, e.Column) - len(bodyPrefix)
	end := byteOffset(e.Source, e.Line, e.Column+max(e.Length, 1)) - len(bodyPrefix)
	start, stop := f.rawOffset(max(off, 0)), f.rawOffset(max(end, 0))
	return errAt(f.script, f.litOff+start, max(stop-start, 1), e.Msg)
}

// rawOffset maps byte k of Body to its offset in the literal as written.
func (f *FunctionDef) rawOffset(k int) int {
	i := 0
	for j := 0; j < k && i < len(f.litText); j++ {
		if f.litText[i] == '\'' {
			i++
		}
		i++
	}
	return min(i, len(f.litText))
}

// byteOffset turns a 1-based line and column (in characters) of s into a
// byte offset.
func byteOffset(s string, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		j := strings.IndexByte(s[off:], '\n')
		if j < 0 {
			return len(s)
		}
		off += j + 1
	}
	for c := 1; c < col && off < len(s) && s[off] != '\n'; c++ {
		_, w := utf8.DecodeRuneInString(s[off:])
		off += w
	}
	return off
}
