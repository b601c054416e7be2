// Package search is sixfold's object query language: a lexer and a parser
// that turn text such as
//
//	metadata.owner = "ann" AND size > 1GiB AND NOT tag.project = "apollo"
//
// into a checked expression, and the lowering of that expression into the
// typed conditions package db compiles to parameterized SQL. It never
// builds SQL itself: values travel as parameters and columns are chosen
// from db's fixed list.
//
// # Grammar
//
//	query      = or
//	or         = and { "OR" and }
//	and        = unary { "AND" unary }
//	unary      = "NOT" unary | "(" or ")" | comparison
//	comparison = field ( op value | "LIKE" string | "EXISTS" )
//	field      = key | filename | size | content_type | created | modified
//	           | metadata "." name { "." name } | tag "." name
//	name       = word | string
//	op         = "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
//	value      = string | number [unit] | date | time | now[-N(s|m|h|d|w)] | true | false
//
// Keywords are case-insensitive. Errors are *Error, which names the
// position (counted in characters from 1) and what was expected there.
package search

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on a parsed query, so that no query costs more to plan than a
// person could mean.
const (
	maxDepth       = 32
	maxComparisons = 64
	maxPathParts   = 8
)

// Error is a query the parser refuses: where, and what it wanted there.
type Error struct {
	Pos      int    // byte offset in the query
	Msg      string // what is wrong, naming what was expected
	Expected string // what would have been accepted there, when one thing would
	src      string
}

// Column is Pos counted in characters from 1, as a person reads a query.
func (e *Error) Column() int {
	if e.Pos > len(e.src) {
		return utf8.RuneCountInString(e.src) + 1
	}
	return utf8.RuneCountInString(e.src[:e.Pos]) + 1
}

func (e *Error) Error() string {
	return fmt.Sprintf("at position %d: %s", e.Column(), e.Msg)
}

// Expr is a parsed query: *Binary, *Not or *Cmp.
type Expr interface {
	// String renders the expression so that parsing it again yields the
	// same expression.
	String() string
}

// Binary is AND or OR over two expressions.
type Binary struct {
	Op   string // "AND" or "OR"
	L, R Expr
}

// Not negates X.
type Not struct{ X Expr }

// Cmp is one comparison: Field Op Value.
type Cmp struct {
	Field Field
	Op    string // =, !=, <, <=, >, >=, LIKE or EXISTS
	Value Value  // zero for EXISTS
	Pos   int    // of the field, for errors found after parsing
}

// Field is what a comparison looks at: a column, or a path into metadata
// or tags.
type Field struct {
	Name string   // key, size, content_type, created, modified, metadata or tag
	Path []string // metadata and tag only
}

// Value is a literal as written: its kind and its text (a string's text
// is its source between the quotes).
type Value struct {
	Kind ValueKind
	Text string
	Pos  int
}

// ValueKind is what a literal is.
type ValueKind string

// Kinds of Value.
const (
	KindString ValueKind = "string"
	KindNumber ValueKind = "number"
	KindDate   ValueKind = "date"
	KindWord   ValueKind = "word" // now, now-7d, true, false
)

func (b *Binary) String() string { return "(" + b.L.String() + " " + b.Op + " " + b.R.String() + ")" }
func (n *Not) String() string    { return "NOT " + n.X.String() }
func (c *Cmp) String() string {
	if c.Op == "EXISTS" {
		return c.Field.String() + " EXISTS"
	}
	return c.Field.String() + " " + c.Op + " " + c.Value.String()
}

func (f Field) String() string {
	s := f.Name
	for _, p := range f.Path {
		s += "." + quote(p)
	}
	return s
}

func (v Value) String() string {
	if v.Kind != KindString {
		return v.Text
	}
	// Text is the source between the quotes, escapes kept, so that a
	// pattern's \* stays literal; only a quote the source left bare (in
	// a single-quoted string) needs its backslash.
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v.Text); i++ {
		switch c := v.Text[i]; {
		case c == '\\' && i+1 < len(v.Text):
			b.WriteString(v.Text[i : i+2])
			i++
		case c == '"':
			b.WriteString(`\"`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// quote renders s as a double-quoted query string.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// fields maps every accepted field name to its canonical name.
var fields = map[string]string{
	"key": "key", "filename": "key", "name": "key",
	"size":         "size",
	"content_type": "content_type", "content-type": "content_type", "type": "content_type",
	"created": "created", "modified": "modified",
	"metadata": "metadata", "meta": "metadata",
	"tag": "tag", "tags": "tag",
}

// Parse reads a query. An empty query (only spaces) is an error: a search
// without a condition is the plain list.
func Parse(src string) (Expr, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	if p.peek().kind == tokEOF {
		return nil, p.fail(p.peek(), "a condition such as size > 1MB")
	}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.fail(t, "AND, OR or the end of the query")
	}
	return e, nil
}

type parser struct {
	src   string
	toks  []token
	at    int
	cmps  int
	depth int
}

func (p *parser) peek() token { return p.toks[p.at] }
func (p *parser) take() token {
	t := p.toks[p.at]
	if t.kind != tokEOF {
		p.at++
	}
	return t
}

// fail reports that expected was wanted where t stands.
func (p *parser) fail(t token, expected string) error {
	return &Error{Pos: t.pos, Msg: "expected " + expected + ", found " + t.describe(), Expected: expected, src: p.src}
}

func (p *parser) or(depth int) (Expr, error) {
	return p.binary(depth, "OR", p.and)
}

func (p *parser) and(depth int) (Expr, error) {
	return p.binary(depth, "AND", p.unary)
}

func (p *parser) binary(depth int, op string, operand func(int) (Expr, error)) (Expr, error) {
	l, err := operand(depth)
	if err != nil {
		return nil, err
	}
	for p.peek().keyword(op) {
		p.take()
		r, err := operand(depth)
		if err != nil {
			return nil, err
		}
		l = &Binary{Op: op, L: l, R: r}
	}
	return l, nil
}

func (p *parser) unary(depth int) (Expr, error) {
	if depth > maxDepth {
		return nil, &Error{Pos: p.peek().pos, Msg: fmt.Sprintf("the query nests deeper than %d levels", maxDepth), src: p.src}
	}
	t := p.peek()
	switch {
	case t.keyword("NOT"):
		p.take()
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	case t.kind == tokLParen:
		p.take()
		x, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.peek().kind != tokRParen {
			return nil, p.fail(p.peek(), `")", AND or OR`)
		}
		p.take()
		return x, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (Expr, error) {
	if p.cmps++; p.cmps > maxComparisons {
		return nil, &Error{Pos: p.peek().pos, Msg: fmt.Sprintf("the query has more than %d comparisons", maxComparisons), src: p.src}
	}
	at := p.peek()
	f, err := p.field()
	if err != nil {
		return nil, err
	}
	c := &Cmp{Field: f, Pos: at.pos}
	t := p.take()
	switch {
	case t.keyword("EXISTS"):
		c.Op = "EXISTS"
		return c, nil
	case t.keyword("LIKE"):
		c.Op = "LIKE"
		if p.peek().kind != tokString {
			return nil, p.fail(p.peek(), `a quoted pattern after LIKE, such as "photos/*"`)
		}
	case t.kind == tokOp:
		c.Op = t.text
	default:
		return nil, p.fail(t, "an operator (=, !=, <, <=, >, >=, LIKE or EXISTS) after "+f.String())
	}
	c.Value, err = p.value(c.Op)
	return c, err
}

func (p *parser) field() (Field, error) {
	t := p.take()
	if t.kind != tokIdent || fields[strings.ToLower(t.text)] == "" {
		return Field{}, p.fail(t, "a field (key, size, content_type, created, modified, metadata.NAME or tag.NAME)")
	}
	f := Field{Name: fields[strings.ToLower(t.text)]}
	if f.Name != "metadata" && f.Name != "tag" {
		return f, nil
	}
	for {
		if p.peek().kind != tokDot {
			if len(f.Path) == 0 {
				return Field{}, p.fail(p.peek(), `"." and a name after `+f.Name+", as in "+f.Name+".owner")
			}
			return f, nil
		}
		p.take()
		n := p.take()
		if n.kind != tokIdent && n.kind != tokString {
			return Field{}, p.fail(n, "a name after \".\" (a word, or a quoted string)")
		}
		name := n.text
		if n.kind == tokString {
			name = unquote(n.text)
		}
		if name == "" || len(f.Path) == maxPathParts || f.Name == "tag" && len(f.Path) == 1 {
			return Field{}, &Error{Pos: n.pos, Msg: "a tag has one name and metadata paths at most 8 non-empty parts", src: p.src}
		}
		f.Path = append(f.Path, name)
	}
}

func (p *parser) value(op string) (Value, error) {
	t := p.take()
	switch t.kind {
	case tokString:
		return Value{Kind: KindString, Text: t.text, Pos: t.pos}, nil
	case tokNumber:
		return Value{Kind: KindNumber, Text: t.text, Pos: t.pos}, nil
	case tokDate:
		return Value{Kind: KindDate, Text: t.text, Pos: t.pos}, nil
	case tokIdent:
		if w := strings.ToLower(t.text); w == "true" || w == "false" || strings.HasPrefix(w, "now") {
			return Value{Kind: KindWord, Text: w, Pos: t.pos}, nil
		}
	}
	return Value{}, p.fail(t, "a value after "+op+` (a "string", a number such as 10MB, a date such as 2026-11-01, now-7d, true or false)`)
}

// parseSize reads a non-negative byte count: digits with an optional
// fraction and a unit (B, KB, MB, GB, TB in powers of 1000; KiB, MiB, GiB,
// TiB in powers of 1024).
func parseSize(s string) (int64, bool) {
	num := strings.TrimRightFunc(s, func(r rune) bool { return r >= 'A' && r <= 'z' })
	mult, ok := units[strings.ToLower(s[len(num):])]
	if !ok || strings.HasPrefix(num, "-") {
		return 0, false
	}
	if n, err := strconv.ParseInt(num, 10, 64); err == nil {
		if n > (1<<63-1)/mult {
			return 0, false
		}
		return n * mult, true
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f*float64(mult) >= 1<<62 {
		return 0, false
	}
	return int64(f * float64(mult)), true
}

var units = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}
