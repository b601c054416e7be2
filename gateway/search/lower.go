package search

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"sixfold/db"
)

// Door is which objects a query searches: they store different things.
type Door int

// The doors.
const (
	// Files is the /files door: filename as key, nested JSON metadata,
	// no tags.
	Files Door = iota + 1
	// Objects is an S3 bucket's live objects: x-amz-meta-* metadata
	// (flat, names lower-case, values strings) and tags.
	Objects
)

// Compile parses a query, checks it against what the door stores and
// turns it into db's conditions. now anchors relative times (now-7d).
// Errors are *Error.
func Compile(src string, door Door, now time.Time) (db.Cond, error) {
	e, err := Parse(src)
	if err != nil {
		return nil, err
	}
	c, err := lowerer{door: door, now: now}.expr(e)
	if qe, ok := err.(*Error); ok {
		qe.src = src
	}
	return c, err
}

type lowerer struct {
	door Door
	now  time.Time
}

func (l lowerer) expr(e Expr) (db.Cond, error) {
	switch e := e.(type) {
	case *Binary:
		a, err := l.expr(e.L)
		if err != nil {
			return nil, err
		}
		b, err := l.expr(e.R)
		if err != nil {
			return nil, err
		}
		if e.Op == "OR" {
			return db.Or{a, b}, nil
		}
		return db.And{a, b}, nil
	case *Not:
		x, err := l.expr(e.X)
		if err != nil {
			return nil, err
		}
		return db.Not{X: x}, nil
	case *Cmp:
		return l.cmp(e)
	}
	return nil, &Error{Msg: "unknown expression"}
}

var ops = map[string]db.SearchOp{
	"=": db.OpEq, "!=": db.OpNe, "<": db.OpLt, "<=": db.OpLe, ">": db.OpGt, ">=": db.OpGe,
	"LIKE": db.OpLike, "EXISTS": db.OpExists,
}

func (l lowerer) cmp(c *Cmp) (db.Cond, error) {
	op := ops[c.Op]
	if c.Op == "EXISTS" && c.Field.Name != "metadata" && c.Field.Name != "tag" {
		return nil, &Error{Pos: c.Pos, Msg: "EXISTS applies to metadata.NAME and tag.NAME; " + c.Field.Name + " is always there"}
	}
	switch c.Field.Name {
	case "key", "content_type":
		return l.text(c, op)
	case "size":
		n, ok := parseSize(c.Value.Text)
		if c.Value.Kind != KindNumber || !ok || op == db.OpLike {
			return nil, wrongValue(c, `a size in bytes, such as 1048576, 100KB or 1.5GiB, with =, !=, <, <=, > or >=`)
		}
		return db.ColumnCmp{Field: db.FieldSize, Op: op, Value: n}, nil
	case "created", "modified":
		return l.when(c, op)
	case "metadata":
		return l.meta(c, op, db.DocMetadata)
	}
	if l.door == Files {
		return nil, &Error{Pos: c.Pos, Msg: "/files uploads have no tags; search their metadata (metadata.NAME)"}
	}
	return l.meta(c, op, db.DocTags)
}

func wrongValue(c *Cmp, expected string) error {
	return &Error{Pos: c.Value.Pos, Msg: "expected " + expected + " for " + c.Field.Name + ", found " + c.Value.String(), Expected: expected}
}

// text lowers key and content_type, which compare with strings only.
func (l lowerer) text(c *Cmp, op db.SearchOp) (db.Cond, error) {
	if c.Value.Kind != KindString {
		return nil, wrongValue(c, `a quoted string, as in `+c.Field.Name+` = "…"`)
	}
	field := db.FieldKey
	if c.Field.Name == "content_type" {
		field = db.FieldContentType
	}
	v := unquote(c.Value.Text)
	if op == db.OpLike {
		v = globToLike(c.Value.Text)
	}
	return db.ColumnCmp{Field: field, Op: op, Value: v}, nil
}

// when lowers created and modified. A bare date stands for the whole day
// (UTC): created = 2026-11-01 is that day, created <= 2026-11-01 includes
// it, created > 2026-11-01 starts the day after.
func (l lowerer) when(c *Cmp, op db.SearchOp) (db.Cond, error) {
	field := db.FieldCreated
	if c.Field.Name == "modified" {
		field = db.FieldModified
	}
	at, day, ok := l.timeOf(c.Value)
	if !ok || op == db.OpLike {
		return nil, wrongValue(c, "a date (2026-11-01), a time (2026-11-01T10:00:00Z) or now-7d (s, m, h, d, w) with =, !=, <, <=, > or >=")
	}
	if !day {
		return db.ColumnCmp{Field: field, Op: op, Value: at}, nil
	}
	start, end := db.ColumnCmp{Field: field, Op: db.OpGe, Value: at}, db.ColumnCmp{Field: field, Op: db.OpLt, Value: at.AddDate(0, 0, 1)}
	switch op {
	case db.OpEq:
		return db.And{start, end}, nil
	case db.OpNe:
		return db.Not{X: db.And{start, end}}, nil
	case db.OpLt, db.OpGe:
		return db.ColumnCmp{Field: field, Op: op, Value: at}, nil
	case db.OpLe:
		return end, nil
	}
	return db.ColumnCmp{Field: field, Op: db.OpGe, Value: end.Value}, nil // OpGt
}

var relTime = regexp.MustCompile(`^now(?:-([0-9]{1,6})([smhdw]))?$`)

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04"}

// timeOf reads a date (day: true), a time or a relative time.
func (l lowerer) timeOf(v Value) (at time.Time, day bool, ok bool) {
	text := v.Text
	switch v.Kind {
	case KindWord:
		m := relTime.FindStringSubmatch(text)
		if m == nil {
			return time.Time{}, false, false
		}
		if m[1] == "" {
			return l.now, false, true
		}
		n, _ := strconv.Atoi(m[1])
		unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
		return l.now.Add(-time.Duration(n) * unit), false, true
	case KindString:
		text = unquote(text)
	case KindDate:
	default:
		return time.Time{}, false, false
	}
	if t, err := time.Parse(time.DateOnly, text); err == nil {
		return t, true, true
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, text); err == nil {
			return t, false, true
		}
	}
	return time.Time{}, false, false
}

var plainNumber = regexp.MustCompile(`^-?[0-9]{1,40}(\.[0-9]{1,40})?$`)

// meta lowers metadata.PATH and tag.NAME.
func (l lowerer) meta(c *Cmp, op db.SearchOp, doc db.MetaDoc) (db.Cond, error) {
	path := c.Field.Path
	if l.door == Objects {
		// S3 keeps x-amz-meta-* names lower-case, and flat: a dotted
		// path is one name with dots in it.
		name := strings.Join(path, ".")
		if doc == db.DocMetadata {
			name = strings.ToLower(name)
		}
		path = []string{name}
	}
	m := db.MetaCmp{Doc: doc, Path: path, Op: op}
	if op == db.OpExists {
		return m, nil
	}
	v := c.Value
	switch {
	case op == db.OpLike:
		m.Value = globToLike(v.Text)
	case v.Kind == KindString:
		m.Value = unquote(v.Text)
	case v.Kind == KindNumber && plainNumber.MatchString(v.Text):
		m.Value = db.Numeric(v.Text)
	case v.Kind == KindDate:
		m.Value = v.Text // ISO dates order as text
	case v.Kind == KindWord && (v.Text == "true" || v.Text == "false"):
		if op != db.OpEq && op != db.OpNe {
			return nil, wrongValue(c, "= or != with true or false")
		}
		m.Value = v.Text == "true"
		if l.door == Objects || doc == db.DocTags {
			m.Value = v.Text // S3 metadata and tags are text
		}
	default:
		return nil, wrongValue(c, `a "string", a plain number (1.5), a date, true or false`)
	}
	return m, nil
}
