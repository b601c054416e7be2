package search

import (
	"strings"
	"unicode/utf8"
)

// MaxQueryLen bounds a query's bytes: a query is typed by a person, and a
// bound keeps the parser's work and the SQL it emits small.
const MaxQueryLen = 4096

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokNumber // digits, an optional fraction and an optional unit: 1.5GiB
	tokDate   // 2026-11-01 or an RFC 3339 time
	tokOp     // = != <> < <= > >=
	tokLParen
	tokRParen
	tokDot
)

// token is one lexeme; pos is its byte offset in the query.
type token struct {
	kind tokKind
	text string // the source text; for a string, its decoded value
	pos  int
}

// keyword reports whether t is the bare word w (case-insensitive).
func (t token) keyword(w string) bool {
	return t.kind == tokIdent && strings.EqualFold(t.text, w)
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "the end of the query"
	case tokString:
		return "a string"
	}
	return quote(t.text)
}

// lex splits a query into tokens, ending with tokEOF.
func lex(src string) ([]token, error) {
	if len(src) > MaxQueryLen {
		return nil, &Error{Pos: MaxQueryLen, Msg: "the query is longer than 4096 bytes", src: src}
	}
	if !utf8.ValidString(src) {
		return nil, &Error{Pos: invalidUTF8At(src), Msg: "the query is not valid UTF-8", src: src}
	}
	l := &lexer{src: src}
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		l.toks = append(l.toks, t)
		if t.kind == tokEOF {
			return l.toks, nil
		}
	}
}

func invalidUTF8At(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			return i
		}
	}
	return 0
}

type lexer struct {
	src  string
	pos  int
	toks []token
}

func (l *lexer) fail(pos int, msg string) error {
	return &Error{Pos: pos, Msg: msg, src: l.src}
}

func (l *lexer) next() (token, error) {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
	start := l.pos
	if l.pos == len(l.src) {
		return token{kind: tokEOF, pos: start}, nil
	}
	c := l.src[l.pos]
	switch {
	case c == '"' || c == '\'':
		return l.str(c)
	case isDigit(c) || c == '-' && l.pos+1 < len(l.src) && isDigit(l.src[l.pos+1]):
		return l.number()
	case isIdentStart(c):
		for l.pos < len(l.src) && isIdentPart(l.src[l.pos]) {
			l.pos++
		}
		return token{kind: tokIdent, text: l.src[start:l.pos], pos: start}, nil
	case c == '(' || c == ')' || c == '.':
		l.pos++
		kind := map[byte]tokKind{'(': tokLParen, ')': tokRParen, '.': tokDot}[c]
		return token{kind: kind, text: string(c), pos: start}, nil
	case c == '=' || c == '!' || c == '<' || c == '>':
		return l.op()
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
	return token{}, l.fail(start, "unexpected character "+quote(string(r))+"; strings go in double quotes")
}

func (l *lexer) op() (token, error) {
	start := l.pos
	for _, op := range []string{"!=", "<>", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(l.src[l.pos:], op) {
			l.pos += len(op)
			if op == "<>" {
				op = "!="
			}
			return token{kind: tokOp, text: op, pos: start}, nil
		}
	}
	return token{}, l.fail(start, `unexpected "!": did you mean "!=" or NOT?`)
}

// str reads a quoted string and keeps its source between the quotes: a
// backslash escapes the next character, and what that means depends on
// where the string stands (unquote for a value, globToLike in a pattern).
func (l *lexer) str(q byte) (token, error) {
	start := l.pos
	l.pos++
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == q:
			l.pos++
			return token{kind: tokString, text: l.src[start+1 : l.pos-1], pos: start}, nil
		case c == 0:
			return token{}, l.fail(l.pos, "a string may not contain a NUL character")
		case c == '\\' && l.pos+1 < len(l.src):
			l.pos += 2
			if l.src[l.pos-1] == 0 {
				return token{}, l.fail(l.pos-1, "a string may not contain a NUL character")
			}
		default:
			l.pos++
		}
	}
	return token{}, l.fail(start, "a string that starts here is never closed: expected "+quote(string(q)))
}

// unquote is a string token's value: every backslash keeps the character
// after it as it is.
func unquote(raw string) string {
	if strings.IndexByte(raw, '\\') < 0 {
		return raw
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\\' && i+1 < len(raw) {
			i++
		}
		b.WriteByte(raw[i])
	}
	return b.String()
}

// globToLike turns a glob (* any run, ? one character, backslash escapes)
// into a LIKE pattern with backslash as its escape, so that the
// pattern's own % and _ match only themselves.
func globToLike(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\\' && i+1 < len(raw):
			i++
			c = raw[i]
			if c == '%' || c == '_' || c == '\\' {
				b.WriteByte('\\')
			}
		case c == '*':
			c = '%'
		case c == '?':
			c = '_'
		case c == '%' || c == '_' || c == '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// number reads 100, -3, 1.5, 10KB, 1GiB, or a date or time, which also
// starts with digits.
func (l *lexer) number() (token, error) {
	start := l.pos
	if t, ok := l.dateTime(); ok {
		return t, nil
	}
	if l.src[l.pos] == '-' {
		l.pos++
	}
	l.digits()
	if l.pos+1 < len(l.src) && l.src[l.pos] == '.' && isDigit(l.src[l.pos+1]) {
		l.pos++
		l.digits()
	}
	for l.pos < len(l.src) && isLetter(l.src[l.pos]) {
		l.pos++
	}
	if l.pos < len(l.src) && isIdentPart(l.src[l.pos]) {
		return token{}, l.fail(start, "malformed number "+quote(l.src[start:l.pos+1]))
	}
	return token{kind: tokNumber, text: l.src[start:l.pos], pos: start}, nil
}

func (l *lexer) digits() {
	for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
		l.pos++
	}
}

// dateTime takes the longest run of date and time characters when it
// starts like YYYY-MM-DD; whether it is a valid time is the parser's call,
// which can say what was expected.
func (l *lexer) dateTime() (token, bool) {
	s := l.src[l.pos:]
	if len(s) < 10 || !allDigits(s[0:4]) || s[4] != '-' || !allDigits(s[5:7]) || s[7] != '-' || !allDigits(s[8:10]) {
		return token{}, false
	}
	n := 10
	for n < len(s) && strings.IndexByte("0123456789:T.Z+-", s[n]) >= 0 {
		n++
	}
	t := token{kind: tokDate, text: s[:n], pos: l.pos}
	l.pos += n
	return t, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool  { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isIdentStart and isIdentPart: ASCII words, with '-' inside, because
// metadata names (x-amz-meta-*) and relative times (now-7d) use it.
func isIdentStart(c byte) bool { return isLetter(c) || c == '_' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) || c == '-' }
