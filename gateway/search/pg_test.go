package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/db"
	"sixfold/db/dbtest"
	"sixfold/gateway/iam"
)

// row is one searchable object as the test knows it.
type row struct {
	id            uuid.UUID
	key           string
	size          int64
	contentType   string
	meta          map[string]any // /files metadata, or S3 user metadata (strings)
	tags          map[string]string
	created, mod  time.Time
	deleted, prev bool // a delete marker, or a superseded version: never found
}

var base = time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC)

// seed stores objects in bucket photos (and one in bucket other) and
// /files uploads, covering what the language distinguishes: missing
// fields, numbers and numeric strings, nested paths, LIKE's own wildcards
// in names, non-ASCII keys, days around a date.
func seed(t *testing.T, pool *pgxpool.Pool) (objects, files []row) {
	ctx := context.Background()
	owners := []string{"ann", "bob", "Ann", "zoë"}
	prefixes := []string{"ann/", "bob/", "secret_x/", "secretaxb/", "ünï/", "50%/", "a/b/"}
	for i := range 700 {
		r := row{id: uuid.New(), key: fmt.Sprintf("%s%04d.%s", prefixes[i%len(prefixes)], i, []string{"jpg", "png", "txt"}[i%3]),
			size: int64(i * 997 % 5000), contentType: []string{"image/jpeg", "image/png", "text/plain"}[i%3],
			meta: map[string]any{}, created: base.Add(time.Duration(i) * 17 * time.Minute)}
		r.mod = r.created
		if i%5 != 0 {
			r.meta["owner"] = owners[i%len(owners)]
		}
		if i%4 == 0 {
			r.meta["rating"] = fmt.Sprint(i % 10)
		}
		if i%6 == 1 {
			r.meta["rating"] = "n/a"
		}
		if i%7 < 2 {
			r.tags = map[string]string{"project": []string{"apollo", "gemini"}[i%7]}
		}
		r.deleted, r.prev = i%50 == 3, i%50 == 4
		objects = append(objects, r)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO buckets (name) VALUES ('photos'), ('other')`); err != nil {
		t.Fatal(err)
	}
	for _, r := range objects {
		meta, _ := json.Marshal(map[string]any{"ContentType": r.contentType, "UserMetadata": r.meta, "Tags": r.tags})
		_, err := pool.Exec(ctx, `INSERT INTO objects (id, bucket, key, size, etag, meta, created_at, is_latest, delete_marker, version_id)
				VALUES ($1, 'photos', $2, $3, 'e', $4, $5, NOT $6, $7, CASE WHEN $6 THEN 'old' ELSE 'null' END)`,
			r.id, r.key, r.size, meta, r.created, r.prev, r.deleted)
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `INSERT INTO objects (id, bucket, key, size, etag, meta) VALUES ($1, 'other', 'ann/x.jpg', 1, 'e', '{"UserMetadata": {"owner": "ann"}}')`, uuid.New()); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		r := row{id: uuid.New(), key: fmt.Sprintf("report %03d_%s.pdf", i, []string{"q1", "q2"}[i%2]), size: int64(i * 31 % 1000),
			contentType: "application/pdf", meta: map[string]any{}, created: base.Add(time.Duration(i) * 13 * time.Minute)}
		r.mod = r.created.Add(time.Duration(i%3) * 24 * time.Hour)
		switch i % 4 {
		case 0:
			r.meta["score"] = float64(i % 20)
		case 1:
			r.meta["score"] = fmt.Sprint(i % 20)
		case 2:
			r.meta["dept"] = map[string]any{"name": []string{"ops", "dev"}[i%2]}
		}
		if i%9 == 0 {
			r.meta["public"] = true
		}
		meta, _ := json.Marshal(r.meta)
		_, err := pool.Exec(ctx, `INSERT INTO files (id, filename, content_type, size, checksum, status, metadata, created_at, updated_at)
			VALUES ($1, $2, $3, $4, repeat('a', 64), 'completed', $5, $6, $7)`, r.id, r.key, r.contentType, r.size, meta, r.created, r.mod)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, r)
	}
	return objects, files
}

func live(rows []row) []row {
	var out []row
	for _, r := range rows {
		if !r.deleted && !r.prev {
			out = append(out, r)
		}
	}
	return out
}

func str(v any) (string, bool) { s, ok := v.(string); return s, ok }

func num(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case string:
		var f float64
		if plainNumber.MatchString(v) {
			_, err := fmt.Sscan(v, &f)
			return f, err == nil
		}
	}
	return 0, false
}

// collect pages through a search with a small page size and returns the
// ids in the order served, failing on a repeated id.
func collect(t *testing.T, svc *Service, r Request) []uuid.UUID {
	t.Helper()
	var ids []uuid.UUID
	seen := map[uuid.UUID]bool{}
	r.Limit = 37
	for {
		res, err := svc.Search(context.Background(), r)
		if err != nil {
			t.Fatalf("Search(%q): %v", r.Query, err)
		}
		for _, h := range res.Hits {
			if seen[h.ID] {
				t.Fatalf("%q: %s served twice", r.Query, h.Key)
			}
			seen[h.ID] = true
			ids = append(ids, h.ID)
		}
		if res.Next == "" {
			return ids
		}
		r.Cursor = res.Next
	}
}

func idsOf(rows []row, keep func(row) bool) []uuid.UUID {
	var out []uuid.UUID
	for _, r := range rows {
		if keep(r) {
			out = append(out, r.id)
		}
	}
	return out
}

func sameSet(a, b []uuid.UUID) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	cmp := func(p, q uuid.UUID) int { return slices.Compare(p[:], q[:]) }
	slices.SortFunc(x, cmp)
	slices.SortFunc(y, cmp)
	return slices.Equal(x, y)
}

// TestSearchSemantics compares every kind of condition, on both doors,
// with the same question asked of the rows in Go.
func TestSearchSemantics(t *testing.T) {
	pool, _ := dbtest.NewPool(t)
	objects, files := seed(t, pool)
	objects, files = live(objects), live(files)
	svc := NewService(db.NewStore(pool))
	day := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		query string
		door  Door
		keep  func(row) bool
	}{
		{`metadata.owner = "ann"`, Objects, func(r row) bool { return r.meta["owner"] == "ann" }},
		{`metadata.Owner = "Ann"`, Objects, func(r row) bool { return r.meta["owner"] == "Ann" }},
		{`NOT metadata.owner = "ann"`, Objects, func(r row) bool { return r.meta["owner"] != "ann" }},
		{`metadata.owner != "ann"`, Objects, func(r row) bool { _, ok := r.meta["owner"]; return ok && r.meta["owner"] != "ann" }},
		{`metadata.owner EXISTS AND NOT metadata.rating EXISTS`, Objects, func(r row) bool {
			_, a := r.meta["owner"]
			_, b := r.meta["rating"]
			return a && !b
		}},
		{`metadata.owner = "zoë"`, Objects, func(r row) bool { return r.meta["owner"] == "zoë" }},
		{`metadata.rating >= 5`, Objects, func(r row) bool { f, ok := num(r.meta["rating"]); return ok && f >= 5 }},
		{`NOT metadata.rating < 5`, Objects, func(r row) bool { f, ok := num(r.meta["rating"]); return !(ok && f < 5) }},
		{`metadata.rating = "n/a" OR metadata.rating LIKE "?"`, Objects, func(r row) bool { s, _ := str(r.meta["rating"]); return s == "n/a" || len(s) == 1 }},
		{`metadata.owner > "b"`, Objects, func(r row) bool { s, ok := str(r.meta["owner"]); return ok && s > "b" }},
		{`key LIKE "ann/*"`, Objects, func(r row) bool { return len(r.key) > 4 && r.key[:4] == "ann/" }},
		{`key LIKE "secret_x/*"`, Objects, func(r row) bool { return len(r.key) > 9 && r.key[:9] == "secret_x/" }},
		{`key LIKE "50%/*.jpg"`, Objects, func(r row) bool { return len(r.key) > 4 && r.key[:4] == "50%/" && r.key[len(r.key)-4:] == ".jpg" }},
		{`key LIKE "ünï/00?4.*"`, Objects, func(r row) bool { return regexp.MustCompile(`^ünï/00.4\.`).MatchString(r.key) }},
		{`key = "a/b/0006.jpg" OR key < "ann/"`, Objects, func(r row) bool { return r.key == "a/b/0006.jpg" || r.key < "ann/" }},
		{`size > 1KB AND size <= 3000`, Objects, func(r row) bool { return r.size > 1000 && r.size <= 3000 }},
		{`size = 0 OR size != 997`, Objects, func(r row) bool { return r.size == 0 || r.size != 997 }},
		{`content_type = "image/png"`, Objects, func(r row) bool { return r.contentType == "image/png" }},
		{`content_type LIKE "image/*" AND NOT content_type = "image/png"`, Objects, func(r row) bool { return r.contentType == "image/jpeg" }},
		{`created = 2026-10-31`, Objects, func(r row) bool { return !r.created.Before(day) && r.created.Before(day.AddDate(0, 0, 1)) }},
		{`created > 2026-10-31`, Objects, func(r row) bool { return !r.created.Before(day.AddDate(0, 0, 1)) }},
		{`created <= 2026-10-31 AND modified >= 2026-10-30T12:00:00Z`, Objects, func(r row) bool {
			return r.created.Before(day.AddDate(0, 0, 1)) && !r.created.Before(base.Add(12*time.Hour))
		}},
		{`created != 2026-10-31`, Objects, func(r row) bool { return r.created.Before(day) || !r.created.Before(day.AddDate(0, 0, 1)) }},
		{`tag.project = "apollo"`, Objects, func(r row) bool { return r.tags["project"] == "apollo" }},
		{`NOT tag.project = "apollo" AND tag.project EXISTS`, Objects, func(r row) bool { return r.tags["project"] == "gemini" }},
		{`(tag.project = "gemini" OR metadata.owner = "bob") AND NOT (size < 100 OR key LIKE "bob/*")`, Objects, func(r row) bool {
			return (r.tags["project"] == "gemini" || r.meta["owner"] == "bob") && !(r.size < 100 || r.key[:4] == "bob/")
		}},
		{`metadata.score > 10`, Files, func(r row) bool { f, ok := num(r.meta["score"]); return ok && f > 10 }},
		{`metadata.score = 3`, Files, func(r row) bool { f, ok := num(r.meta["score"]); return ok && f == 3 }},
		{`metadata.score = "3"`, Files, func(r row) bool { return r.meta["score"] == "3" }},
		{`metadata.dept.name = "ops"`, Files, func(r row) bool { d, _ := r.meta["dept"].(map[string]any); return d["name"] == "ops" }},
		{`metadata.dept EXISTS AND NOT metadata.dept.name = "ops"`, Files, func(r row) bool { d, _ := r.meta["dept"].(map[string]any); return d != nil && d["name"] != "ops" }},
		{`metadata.public = true`, Files, func(r row) bool { return r.meta["public"] == true }},
		{`metadata.public != true`, Files, func(r row) bool { return false }},
		{`key LIKE "report 01?\_q2.pdf"`, Files, func(r row) bool { return len(r.key) == 17 && r.key[:9] == "report 01" && r.key[10:] == "_q2.pdf" }},
		{`modified > 2026-10-31 AND created < 2026-10-31`, Files, func(r row) bool {
			return !r.mod.Before(day.AddDate(0, 0, 1)) && r.created.Before(day)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			rows, bucket := objects, "photos"
			if tc.door == Files {
				rows, bucket = files, ""
			}
			want := idsOf(rows, tc.keep)
			for _, sort := range []string{"key", "size", "created", "modified"} {
				got := collect(t, svc, Request{Door: tc.door, Bucket: bucket, Query: tc.query, Sort: sort})
				if !sameSet(got, want) {
					t.Fatalf("sorted by %s: %d hits; want %d", sort, len(got), len(want))
				}
			}
			res, err := svc.Search(context.Background(), Request{Door: tc.door, Bucket: bucket, Query: tc.query, Limit: 1, Total: true})
			if err != nil || res.Total != int64(len(want)) {
				t.Fatalf("total: %d, %v; want %d", res.Total, err, len(want))
			}
		})
	}
}

// TestSearchSeesWhatThePolicyAllows: with scoped policies, a search finds
// exactly the live objects whose ARNs the policy lets the key read.
func TestSearchSeesWhatThePolicyAllows(t *testing.T) {
	pool, _ := dbtest.NewPool(t)
	objects, _ := seed(t, pool)
	objects = live(objects)
	svc := NewService(db.NewStore(pool))
	policies := []string{
		`{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/ann/*"}]}`,
		`{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::*"},
		                {"Effect": "Deny", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::photos/secret_*", "arn:aws:s3:::photos/*.txt"]}]}`,
		`{"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": ["arn:aws:s3:::pho?os/b*", "arn:aws:s3:::photos/50%/*"]}]}`,
		`{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}]}`,
		`{"Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}`,
	}
	for i, doc := range policies {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			p, err := iam.Parse([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			allow, deny := p.Resources("s3:GetObject")
			scope, some := Scope(allow, deny, "arn:aws:s3:::photos/", true)
			r := Request{Door: Objects, Bucket: "photos", Query: "size >= 0", Scope: scope,
				Visible: func(h db.SearchHit) bool { return p.Allowed("s3:GetObject", "arn:aws:s3:::photos/"+h.Key) }}
			var got []uuid.UUID
			if some {
				got = collect(t, svc, r)
			}
			want := idsOf(objects, func(r row) bool { return p.Allowed("s3:GetObject", "arn:aws:s3:::photos/"+r.key) })
			if !sameSet(got, want) {
				t.Fatalf("%d hits; want %d", len(got), len(want))
			}
		})
	}
}

// TestSearchInjection: quotes, comments, statement separators and unicode
// in a query are refused with a position or match as plain text, and no
// row changes.
func TestSearchInjection(t *testing.T) {
	pool, _ := dbtest.NewPool(t)
	objects, _ := seed(t, pool)
	objects = live(objects)
	svc := NewService(db.NewStore(pool))
	before := fingerprint(t, pool)
	queries := []string{
		`key = "'; DROP TABLE objects; --"`,
		`key = "x' OR '1'='1"`,
		`metadata."owner'); DELETE FROM objects; --" = "ann"`,
		`metadata.owner = "ann\" OR 1=1 --"`,
		`tag."a\"}' OR true --" EXISTS`,
		`key LIKE "%' ; UPDATE files SET size = 0; --"`,
		`key = "ann/0000.jpg" /* comment */`,
		`key = "ann/0000.jpg"; DELETE FROM objects`,
		`size > 1 OR 1=1`,
		`metadata.owner = "ann" -- OR size > 0`,
		`key = "\u0000"`,
		"key = \"ann\u202e/0000.jpg\"",
		`metadata.owner = "аnn"`, // Cyrillic а
		`key LIKE "ann/0000.jpg\\"`,
		`created > "2026-10-31'); DROP TABLE files; --"`,
	}
	for _, q := range queries {
		t.Run(q, func(t *testing.T) {
			res, err := svc.Search(context.Background(), Request{Door: Objects, Bucket: "photos", Query: q, Limit: 1000})
			var qe *Error
			if errors.As(err, &qe) {
				if qe.Column() < 1 {
					t.Fatalf("error without a position: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Search: %v; want a result or *Error", err)
			}
			// Every accepted query here matches as text; only the /* */
			// one names a real key, and it is refused, so nothing matches.
			if len(res.Hits) != 0 {
				t.Fatalf("%d hits, e.g. %s; want none", len(res.Hits), res.Hits[0].Key)
			}
		})
	}
	if after := fingerprint(t, pool); after != before {
		t.Fatalf("the tables changed: %s -> %s", before, after)
	}
	if len(objects) == 0 {
		t.Fatal("no objects seeded")
	}
}

// fingerprint digests every row a search could touch.
func fingerprint(t *testing.T, pool *pgxpool.Pool) string {
	var fp string
	err := pool.QueryRow(context.Background(), `SELECT
		(SELECT md5(string_agg(id::text || key || size || meta::text || is_latest, ',' ORDER BY id)) FROM objects) ||
		(SELECT md5(string_agg(id::text || filename || size || metadata::text, ',' ORDER BY id)) FROM files) ||
		(SELECT count(*) FROM pg_class)`).Scan(&fp)
	if err != nil {
		t.Fatal(err)
	}
	return fp
}
