package search

import (
	"errors"
	"strings"
	"testing"
	"time"

	"sixfold/db"
)

var goodQueries = []struct {
	name, in, want string
}{
	{"issue owner and size", `metadata.owner = "ann" AND size > 100000`, `(metadata."owner" = "ann" AND size > 100000)`},
	{"issue glob and type", `key LIKE "photos/2026/*" AND content_type = "image/jpeg"`, `(key LIKE "photos/2026/*" AND content_type = "image/jpeg")`},
	{"issue date and not tag", `created >= 2026-11-01 AND NOT tag.project = "apollo"`, `(created >= 2026-11-01 AND NOT tag."project" = "apollo")`},
	{"and binds tighter than or", `size < 1 OR size > 2 AND size < 3`, `(size < 1 OR (size > 2 AND size < 3))`},
	{"parentheses", `(size < 1 OR size > 2) AND key = "a"`, `((size < 1 OR size > 2) AND key = "a")`},
	{"keywords any case", `not size >= 1kb and KEY like 'a*'`, `(NOT size >= 1kb AND key LIKE "a*")`},
	{"aliases", `filename = "x" OR type = "y" OR meta.a EXISTS OR tags.b EXISTS`, `(((key = "x" OR content_type = "y") OR metadata."a" EXISTS) OR tag."b" EXISTS)`},
	{"quoted path and nesting", `metadata."my key".sub-part != 'it''s'`, ``},
	{"not equal spelled <>", `size <> 5`, `size != 5`},
	{"times", `modified < 2026-11-01T10:00:00Z AND created > now-7d`, `(modified < 2026-11-01T10:00:00Z AND created > now-7d)`},
	{"escapes kept", `key LIKE "a\*b\"c" OR key = 'say "hi"'`, `(key LIKE "a\*b\"c" OR key = "say \"hi\"")`},
	{"unicode value", `metadata.city = "Zürich ✓"`, `metadata."city" = "Zürich ✓"`},
	{"negative number", `metadata.t < -3.5`, `metadata."t" < -3.5`},
}

func TestParse(t *testing.T) {
	for _, tc := range goodQueries {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.in)
			if tc.want == "" {
				// A query the lexer splits differently than it reads:
				// 'it''s' is two strings; the error must say so.
				if err == nil {
					t.Fatalf("Parse(%q) = %s; want an error", tc.in, e)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got := e.String(); got != tc.want {
				t.Fatalf("got %s; want %s", got, tc.want)
			}
			again, err := Parse(e.String())
			if err != nil || again.String() != e.String() {
				t.Fatalf("round trip of %s: %v, %v", e, again, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, in string
		pos      int // from 1, in characters
		msg      string
	}{
		{"empty", "   ", 4, "expected a condition"},
		{"unknown field", `owner = "ann"`, 1, "expected a field"},
		{"missing value", `size >`, 7, "expected a value after >"},
		{"missing operator", `size 5`, 6, "expected an operator"},
		{"unclosed string", `key = "abc`, 7, "never closed"},
		{"unclosed paren", `(size > 1`, 10, `expected ")"`},
		{"dangling and", `size > 1 AND`, 13, "expected a field"},
		{"trailing junk", `size > 1 size`, 10, "expected AND, OR or the end"},
		{"semicolon", `key = "a"; DROP TABLE files`, 10, "unexpected character \";\""},
		{"sql comment", `key = "a" -- x`, 11, "unexpected character \"-\""},
		{"unicode position", `metadata.city = "Zürich" ÅND size > 1`, 26, `unexpected character "Å"`},
		{"like needs a string", `key LIKE 5`, 10, "a quoted pattern"},
		{"bare bang", `size ! 5`, 6, `did you mean "!="`},
		{"metadata without name", `metadata = "x"`, 10, `"." and a name`},
		{"tag with two names", `tag.a.b = "x"`, 7, "a tag has one name"},
		{"nul in string", "key = \"a\x00b\"", 9, "NUL"},
		{"invalid utf-8", "key = \"a\xffb\"", 9, "not valid UTF-8"},
		{"too deep", strings.Repeat("(", 40) + "size > 1" + strings.Repeat(")", 40), 34, "nests deeper"},
		{"malformed number", `size > 10x5`, 8, "malformed number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in)
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("Parse(%q) = %v; want *Error", tc.in, err)
			}
			if qe.Column() != tc.pos || !strings.Contains(qe.Error(), tc.msg) {
				t.Fatalf("got %q at %d; want %q at %d", qe.Error(), qe.Column(), tc.msg, tc.pos)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		name, in string
		door     Door
		pos      int
		msg      string
	}{
		{"size needs a number", `size > "big"`, Objects, 8, "a size in bytes"},
		{"size unit unknown", `size > 5 parsecs`, Objects, 10, "AND, OR"},
		{"size bad unit", `size > 5XB`, Objects, 8, "a size in bytes"},
		{"negative size", `size > -5`, Objects, 8, "a size in bytes"},
		{"key needs a string", `key = 5`, Files, 7, "a quoted string"},
		{"date shape", `created > 2026-13-45`, Objects, 11, "a date"},
		{"relative unit", `created > now-7y`, Objects, 11, "now-7d"},
		{"no tags on files", `tag.a = "x"`, Files, 1, "no tags"},
		{"exists on a column", `size EXISTS`, Objects, 1, "EXISTS applies"},
		{"bool ordering", `metadata.a < true`, Files, 14, "= or != with true"},
		{"number with unit in metadata", `metadata.a = 5MB`, Files, 14, "a plain number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.in, tc.door, time.Now())
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("Compile(%q) = %v; want *Error", tc.in, err)
			}
			if qe.Column() != tc.pos || !strings.Contains(qe.Error(), tc.msg) {
				t.Fatalf("got %q at %d; want %q at %d", qe.Error(), qe.Column(), tc.msg, tc.pos)
			}
		})
	}
}

func TestLowerValues(t *testing.T) {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		in   string
		door Door
		want db.Cond
	}{
		{"size units", `size >= 1.5KiB`, Files, db.ColumnCmp{Field: db.FieldSize, Op: db.OpGe, Value: int64(1536)}},
		{"glob to like", `key LIKE "50%_off/*\*?"`, Objects, db.ColumnCmp{Field: db.FieldKey, Op: db.OpLike, Value: `50\%\_off/%*_`}},
		{"a day is the whole day", `created = 2026-11-01`, Objects, db.And{
			db.ColumnCmp{Field: db.FieldCreated, Op: db.OpGe, Value: day},
			db.ColumnCmp{Field: db.FieldCreated, Op: db.OpLt, Value: day.AddDate(0, 0, 1)}}},
		{"after a day starts the next", `modified > 2026-11-01`, Files, db.ColumnCmp{Field: db.FieldModified, Op: db.OpGe, Value: day.AddDate(0, 0, 1)}},
		{"up to a day includes it", `created <= 2026-11-01`, Files, db.ColumnCmp{Field: db.FieldCreated, Op: db.OpLt, Value: day.AddDate(0, 0, 1)}},
		{"relative", `created >= now-2d`, Files, db.ColumnCmp{Field: db.FieldCreated, Op: db.OpGe, Value: now.Add(-48 * time.Hour)}},
		{"s3 metadata names are lower-case and flat", `metadata.Owner.Team = "x"`, Objects, db.MetaCmp{Doc: db.DocMetadata, Path: []string{"owner.team"}, Op: db.OpEq, Value: "x"}},
		{"files metadata nests", `metadata.Owner.Team = "x"`, Files, db.MetaCmp{Doc: db.DocMetadata, Path: []string{"Owner", "Team"}, Op: db.OpEq, Value: "x"}},
		{"numbers stay exact", `metadata.n > 0.1`, Files, db.MetaCmp{Doc: db.DocMetadata, Path: []string{"n"}, Op: db.OpGt, Value: db.Numeric("0.1")}},
		{"bool in files", `metadata.ok = true`, Files, db.MetaCmp{Doc: db.DocMetadata, Path: []string{"ok"}, Op: db.OpEq, Value: true}},
		{"bool in s3 is text", `metadata.ok = true`, Objects, db.MetaCmp{Doc: db.DocMetadata, Path: []string{"ok"}, Op: db.OpEq, Value: "true"}},
		{"tag keeps case", `tag.Project = "A"`, Objects, db.MetaCmp{Doc: db.DocTags, Path: []string{"Project"}, Op: db.OpEq, Value: "A"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Compile(tc.in, tc.door, now)
			if err != nil {
				t.Fatal(err)
			}
			if !equalCond(got, tc.want) {
				t.Fatalf("got %#v; want %#v", got, tc.want)
			}
		})
	}
}

func equalCond(a, b db.Cond) bool {
	switch a := a.(type) {
	case db.And:
		bb, ok := b.(db.And)
		return ok && equalList(a, bb)
	case db.Or:
		bb, ok := b.(db.Or)
		return ok && equalList(a, bb)
	case db.Not:
		bb, ok := b.(db.Not)
		return ok && equalCond(a.X, bb.X)
	case db.ColumnCmp:
		bb, ok := b.(db.ColumnCmp)
		if at, isTime := a.Value.(time.Time); isTime && ok {
			bt, _ := bb.Value.(time.Time)
			return a.Field == bb.Field && a.Op == bb.Op && at.Equal(bt)
		}
		return ok && a == bb
	case db.MetaCmp:
		bb, ok := b.(db.MetaCmp)
		return ok && a.Doc == bb.Doc && a.Op == bb.Op && a.Value == bb.Value && strings.Join(a.Path, "\x00") == strings.Join(bb.Path, "\x00")
	}
	return false
}

func equalList(a, b []db.Cond) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !equalCond(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestScope(t *testing.T) {
	const prefix = "arn:aws:s3:::photos/"
	cases := []struct {
		name        string
		allow, deny []string
		want        db.Cond
		some        bool
	}{
		{"admin sees all", []string{"*"}, nil, nil, true},
		{"bucket wildcard", []string{"arn:aws:s3:::*"}, nil, nil, true},
		{"the bucket's objects", []string{"arn:aws:s3:::photos/*"}, nil, nil, true},
		{"nothing allowed", nil, nil, nil, false},
		{"another bucket only", []string{"arn:aws:s3:::other/*"}, nil, nil, false},
		{"a prefix is a key LIKE", []string{"arn:aws:s3:::photos/ann/*"}, nil,
			db.And{db.Or{db.ColumnCmp{Field: db.FieldKey, Op: db.OpLike, Value: "ann/%"}}}, true},
		{"deny carves out", []string{"*"}, []string{"arn:aws:s3:::photos/secret_*"},
			db.And{db.Not{X: db.Or{db.ColumnCmp{Field: db.FieldKey, Op: db.OpLike, Value: `secret\_%`}}}}, true},
		{"deny all wins", []string{"*"}, []string{"arn:aws:s3:::photo*"}, nil, false},
		{"a wildcard across the bucket name", []string{"arn:aws:s3:::pho*/a*"}, nil,
			db.And{db.Or{db.ColumnCmp{Field: db.FieldResource, Op: db.OpLike, Value: "arn:aws:s3:::pho%/a%"}}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, some := Scope(tc.allow, tc.deny, prefix, true)
			if some != tc.some || (tc.want == nil) != (got == nil) || got != nil && !equalCond(got, tc.want) {
				t.Fatalf("got %#v, %v; want %#v, %v", got, some, tc.want, tc.some)
			}
		})
	}
}

// FuzzParse feeds the parser arbitrary text. Whatever it accepts must
// print as a query that parses to the same thing, and compile for both
// doors either to SQL that holds no statement separator or comment, or
// to an *Error pointing inside the query.
func FuzzParse(f *testing.F) {
	for _, tc := range goodQueries {
		f.Add(tc.in)
	}
	f.Add(`key = "'; DROP TABLE objects; --"`)
	f.Add(`metadata."a'b" = "x/*y*/"`)
	f.Fuzz(func(t *testing.T, in string) {
		e, err := Parse(in)
		if err != nil {
			var qe *Error
			if !errors.As(err, &qe) || qe.Column() < 1 || qe.Pos > len(in) {
				t.Fatalf("Parse(%q): %v", in, err)
			}
			return
		}
		again, err := Parse(e.String())
		if err != nil || again.String() != e.String() {
			t.Fatalf("round trip of %q: %s -> %v, %v", in, e, again, err)
		}
		for _, door := range []Door{Files, Objects} {
			c, err := Compile(in, door, time.Now())
			if err != nil {
				var qe *Error
				if !errors.As(err, &qe) || qe.Pos > len(in) {
					t.Fatalf("Compile(%q): %v", in, err)
				}
				continue
			}
			bucket := ""
			if door == Objects {
				bucket = "b"
			}
			sql, _, err := db.SearchSQL(bucket, db.SearchRequest{Where: c, Sort: db.FieldKey, Limit: 10})
			if err != nil {
				t.Fatalf("SearchSQL(%q): %v", in, err)
			}
			if strings.Contains(sql, ";") || strings.Contains(sql, "--") || strings.Contains(sql, "/*") {
				t.Fatalf("SQL of %q holds a separator or comment: %s", in, sql)
			}
		}
	})
}
