package sql

import (
	"fmt"
	"strings"
	"time"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // value expressions for the AST
)

// Statement is one parsed statement.
type Statement struct {
	// Node is TiDB's AST of the rewritten statement; nil for the shell
	// commands Weir parses itself (see Command). CAST(x AS BOOLEAN)
	// appears in it as a call of CastBoolean, not as a FuncCastExpr.
	Node ast.StmtNode
	// Text is the statement as the user wrote it, trimmed, without the
	// trailing ';' (and without comments before or after it).
	Text string
	// Offset is the byte offset of Text within the whole script.
	Offset int
	// With holds CREATE TABLE ... WITH (k = 'v', ...) options, keys
	// lower-cased and values unquoted, plus ENGINE=x as "connector" and
	// CONNECTION='uri' as "connection" when those MySQL table options are
	// used (WITH wins on a clash). Nil if there are none.
	With map[string]string
	// Watermark is CREATE TABLE's WATERMARK FOR clause, nil if none.
	Watermark *Watermark
	// Command names a statement TiDB has no grammar for, parsed by Weir
	// itself with Node == nil: "SHOW CONNECTORS" or "SHOW QUERIES" (no
	// Args), or "STOP QUERY" (Args holds the query id, e.g. ["3"]). Empty
	// for TiDB statements.
	Command string
	// Args are Command's arguments, string literals unquoted.
	Args []string
	// Function is what CREATE FUNCTION or DROP FUNCTION says (see
	// function.go); nil for other statements.
	Function *FunctionDef
	// Emit is the query's trailing EMIT clause: EmitOnUpdate,
	// EmitOnWindowClose, or "" when it has none.
	Emit string
	// EmitOffset is the byte offset of the EMIT clause in the script.
	EmitOffset int
	// Rewritten is the text given to TiDB after the streaming rewrites;
	// positions in Node refer to it (see MapOffset).
	Rewritten string

	script string
	toks   []token // without comments
	omap   offsetMap
	wmOff  int
	wmLen  int
}

// Watermark is a WATERMARK FOR column AS column - INTERVAL ... clause:
// event time is read from Column and the watermark trails the largest
// event time seen by Delay.
type Watermark struct {
	// Column is the event-time column named after WATERMARK FOR.
	Column string
	// Delay is the INTERVAL subtracted from it; 0 for AS ts.
	Delay time.Duration
}

// Parse splits script into statements on ';' outside quotes and
// comments, and parses each one. A script of only blanks and comments
// yields no statements. Any error is an *Error positioned in script.
func Parse(script string) ([]*Statement, error) {
	toks, err := tokenize(script)
	if err != nil {
		return nil, err
	}
	var stmts []*Statement
	var p *parser.Parser
	start := 0
	for i := 0; i <= len(toks); i++ {
		if i < len(toks) && !toks[i].is(";") {
			continue
		}
		var body []token
		for _, t := range toks[start:i] {
			if t.kind != tkComment {
				body = append(body, t)
			}
		}
		start = i + 1
		if len(body) == 0 {
			continue
		}
		if p == nil {
			p = parser.New()
		}
		st, err := parseOne(p, script, body)
		if err != nil {
			return nil, err
		}
		stmts = append(stmts, st)
	}
	return stmts, nil
}

// parseOne parses the statement made of toks (comments removed).
func parseOne(p *parser.Parser, script string, toks []token) (*Statement, *Error) {
	first, last := toks[0], toks[len(toks)-1]
	st := &Statement{
		Text:   script[first.start:last.end],
		Offset: first.start,
		script: script,
		toks:   toks,
	}
	if done, err := st.command(); done || err != nil {
		return st, err
	}
	for _, t := range toks {
		if t.kind == tkNumber && digits(t.text) > maxDigits {
			return nil, errAt(script, t.start, t.end-t.start, fmt.Sprintf("number has more than %d digits", maxDigits))
		}
	}
	emit, toks, emitStart, emitEnd := cutEmit(toks)
	if emit != "" {
		if err := checkEmit(script, toks, emitStart, emitEnd); err != nil {
			return nil, err
		}
		st.Emit, st.EmitOffset = emit, emitStart
	}
	r := &rewriter{script: script, base: st.Offset, toks: toks}
	if err := r.rewrite(); err != nil {
		return nil, err
	}
	if emit != "" { // the clause and the blanks before it are cut
		r.edits = append(r.edits, edit{start: toks[len(toks)-1].end - st.Offset, end: emitEnd - st.Offset})
	}
	st.Rewritten, st.omap = applyEdits(st.Text, r.edits)
	st.With, st.Watermark = r.with, r.wm
	if r.wm != nil {
		t := toks[r.wmTok]
		st.wmOff, st.wmLen = t.start, t.end-t.start
	}
	nodes, perr := tidbParse(p, st.Rewritten)
	if perr != nil {
		return nil, st.tidbError(perr)
	}
	if len(nodes) != 1 {
		return nil, errAt(script, first.start, first.end-first.start, "expected one statement here")
	}
	st.Node = nodes[0]
	return st, st.checkCreate()
}

// maxDigits is MySQL's largest DECIMAL precision; TiDB's parser cannot
// hold longer numbers.
const maxDigits = 65

// digits counts the decimal digits of a number's mantissa.
func digits(num string) int {
	n := 0
	for i := 0; i < len(num); i++ {
		switch c := num[i]; {
		case c == 'e' || c == 'E' || c == 'x' || c == 'X' || c == 'b' || c == 'B':
			if i == 1 && num[0] == '0' && c != 'e' && c != 'E' {
				return 0 // hex or binary literal
			}
			return n
		case isDigit(c):
			n++
		}
	}
	return n
}

// tidbParse runs TiDB's parser, turning a panic (its test driver panics
// on some literals) into an error.
func tidbParse(p *parser.Parser, text string) (nodes []ast.StmtNode, err error) {
	defer func() {
		if v := recover(); v != nil {
			nodes, err = nil, fmt.Errorf("cannot parse this statement: %v", v)
		}
	}()
	nodes, _, err = p.Parse(text, "", "")
	return nodes, err
}

// command parses the statements TiDB lacks: SHOW CONNECTORS, the
// function statements (see function.go), and the shell's SHOW QUERIES
// and STOP QUERY id. It reports whether the statement was one of them.
func (s *Statement) command() (bool, *Error) {
	if done, err := s.function(); done {
		return true, err
	}
	t := s.toks
	switch {
	case len(t) >= 2 && t[0].kw("SHOW") && t[1].kw("QUERIES"):
		if len(t) > 2 {
			return true, errAt(s.script, t[2].start, t[2].end-t[2].start, "SHOW QUERIES takes no arguments")
		}
		s.Command = "SHOW QUERIES"
		return true, nil
	case len(t) >= 2 && t[0].kw("SHOW") && t[1].kw("CONNECTORS"):
		if len(t) > 2 {
			return true, errAt(s.script, t[2].start, t[2].end-t[2].start, "SHOW CONNECTORS takes no arguments")
		}
		s.Command = "SHOW CONNECTORS"
		return true, nil
	case len(t) >= 2 && t[0].kw("STOP") && t[1].kw("QUERY"):
		s.Command = "STOP QUERY"
		if len(t) != 3 || (t[2].kind != tkNumber && t[2].kind != tkString && !t[2].isName()) {
			at := t[min(2, len(t)-1)]
			return true, errAt(s.script, at.start, at.end-at.start, "usage: STOP QUERY id (see SHOW QUERIES)")
		}
		arg := t[2].name()
		if t[2].kind == tkString {
			arg = unquote(t[2].text)
		}
		s.Args = []string{arg}
		return true, nil
	}
	return false, nil
}

// checkCreate completes a CREATE TABLE: MySQL table options ENGINE and
// CONNECTION feed With, and the WATERMARK column must exist.
func (s *Statement) checkCreate() *Error {
	ct, ok := s.Node.(*ast.CreateTableStmt)
	if !ok {
		return nil
	}
	for _, o := range ct.Options {
		var k string
		switch o.Tp {
		case ast.TableOptionEngine:
			k = "connector"
		case ast.TableOptionConnection:
			k = "connection"
		default:
			continue
		}
		if s.With == nil {
			s.With = map[string]string{}
		}
		if _, set := s.With[k]; !set {
			s.With[k] = o.StrValue
		}
	}
	if s.Watermark != nil && len(ct.Cols) > 0 {
		for _, c := range ct.Cols {
			if strings.EqualFold(c.Name.Name.O, s.Watermark.Column) {
				return nil
			}
		}
		return errAt(s.script, s.wmOff, s.wmLen, "WATERMARK column "+snippet(s.Watermark.Column)+" is not a column of table "+snippet(ct.Table.Name.O))
	}
	return nil
}

// WatermarkSpan returns the byte offset in the script and the length of
// the column named in WATERMARK FOR, for positioning errors about it
// (say, a column that is not a TIMESTAMP); ok is false without one.
func (s *Statement) WatermarkSpan() (off, n int, ok bool) {
	return s.wmOff, s.wmLen, s.Watermark != nil
}

// MapOffset maps a byte offset of Rewritten (such as a TiDB node's
// OriginTextPosition) to the byte offset in the whole script it came from.
func (s *Statement) MapOffset(rewrittenOff int) int {
	p, _ := s.omap.toSrc(rewrittenOff)
	return s.Offset + p
}

// OriginalText returns the text the user wrote for the n bytes of
// Rewritten starting at rewrittenOff: the same text unless a rewrite (an
// INTERVAL, a CAST) changed part of it.
func (s *Statement) OriginalText(rewrittenOff, n int) string {
	if n <= 0 {
		return ""
	}
	start, _ := s.omap.toSrc(rewrittenOff)
	_, end := s.omap.toSrc(rewrittenOff + n - 1)
	if start > end || end > len(s.Text) {
		return s.Rewritten[rewrittenOff : rewrittenOff+n]
	}
	return s.Text[start:end]
}

// Locate finds the first identifier (bare or in backticks, compared
// case-insensitively) or function name equal to name in the statement's
// original text, and returns its byte offset in the whole script and its
// byte length. A dotted name such as "c.user_id" matches the qualified
// form. ok is false if there is none.
func (s *Statement) Locate(name string) (off, n int, ok bool) {
	return s.LocateAfter(name, 0)
}

// LocateAfter is Locate restricted to occurrences starting at or after
// byte offset from of the whole script.
func (s *Statement) LocateAfter(name string, from int) (off, n int, ok bool) {
	parts := strings.Split(name, ".")
	for i := range s.toks {
		if s.toks[i].start < from {
			continue
		}
		j, matched := i, true
		for k, part := range parts {
			if k > 0 {
				if j >= len(s.toks) || !s.toks[j].is(".") {
					matched = false
					break
				}
				j++
			}
			if j >= len(s.toks) || !s.toks[j].isName() || !strings.EqualFold(s.toks[j].name(), part) {
				matched = false
				break
			}
			j++
		}
		if matched {
			return s.toks[i].start, s.toks[j-1].end - s.toks[i].start, true
		}
	}
	return 0, 0, false
}
