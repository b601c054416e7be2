package s3test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"sixfold/s3api"
)

// listTests check s3api.ObjectBackend.ListObjects.
var listTests = []test{
	{"ByteOrderPrefixAfterLimit", func(t *testing.T, f *fixture) {
		f.bucket("bkt")
		for _, k := range []string{"b", "a/2", "a/1", "é", "z", "a/10", "ab"} {
			f.put("bkt", k, []byte(k), s3api.ObjectMeta{})
		}
		f.checkListings("bkt", []listCase{
			{"all", s3api.ListQuery{Limit: 100}, listing{objects: []string{"a/1", "a/10", "a/2", "ab", "b", "z", "é"}}},
			{"limited", s3api.ListQuery{Limit: 3}, listing{objects: []string{"a/1", "a/10", "a/2"}, truncated: true}},
			{"exact limit", s3api.ListQuery{Limit: 7}, listing{objects: []string{"a/1", "a/10", "a/2", "ab", "b", "z", "é"}}},
			{"prefix", s3api.ListQuery{Prefix: "a/", Limit: 100}, listing{objects: []string{"a/1", "a/10", "a/2"}}},
			{"after", s3api.ListQuery{After: "a/2", Limit: 100}, listing{objects: []string{"ab", "b", "z", "é"}}},
			{"after not a key", s3api.ListQuery{After: "a/15", Limit: 2}, listing{objects: []string{"a/2", "ab"}, truncated: true}},
			{"prefix and after", s3api.ListQuery{Prefix: "a/", After: "a/1", Limit: 1}, listing{objects: []string{"a/10"}, truncated: true}},
			{"after past a prefix", s3api.ListQuery{After: "a/\U0010FFFF", Limit: 100}, listing{objects: []string{"ab", "b", "z", "é"}}},
			{"nothing", s3api.ListQuery{Prefix: "q", Limit: 100}, listing{}},
		})
	}},
	{"DelimiterAcrossManyPrefixes", func(t *testing.T, f *fixture) {
		// Many keys under each prefix, and loose keys between the
		// prefixes, so that a backend which seeks past a prefix must land
		// on the right next entry every time.
		f.bucket("bkt")
		var want listing
		for d := range 24 {
			dir := fmt.Sprintf("d%02d/", d)
			for i := range 1 + d%4 {
				key := fmt.Sprintf("%sk%d", dir, i)
				f.put("bkt", key, []byte(key), s3api.ObjectMeta{})
			}
			want.prefixes = append(want.prefixes, dir)
			if d%5 == 0 {
				loose := fmt.Sprintf("d%02d~", d)
				f.put("bkt", loose, []byte(loose), s3api.ObjectMeta{})
				want.objects = append(want.objects, loose)
			}
		}
		f.checkListings("bkt", []listCase{
			{"root", s3api.ListQuery{Delimiter: "/", Limit: 1000}, want},
			{"first entries", s3api.ListQuery{Delimiter: "/", Limit: 3},
				listing{objects: []string{"d00~"}, prefixes: []string{"d00/", "d01/"}, truncated: true}},
			{"after a prefix", s3api.ListQuery{Delimiter: "/", After: pastPrefix("d04/"), Limit: 3},
				listing{objects: []string{"d05~"}, prefixes: []string{"d05/", "d06/"}, truncated: true}},
			{"after a loose key", s3api.ListQuery{Delimiter: "/", After: "d05~", Limit: 2},
				listing{prefixes: []string{"d06/", "d07/"}, truncated: true}},
			{"after a key inside a prefix", s3api.ListQuery{Delimiter: "/", After: "d03/k1", Limit: 2},
				listing{prefixes: []string{"d03/", "d04/"}, truncated: true}},
			{"after the last key of a prefix", s3api.ListQuery{Delimiter: "/", After: "d03/k3", Limit: 2},
				listing{prefixes: []string{"d04/", "d05/"}, truncated: true}},
			{"last entries", s3api.ListQuery{Delimiter: "/", After: pastPrefix("d21/"), Limit: 2},
				listing{prefixes: []string{"d22/", "d23/"}}},
			{"prefix not ending in the delimiter", s3api.ListQuery{Prefix: "d1", Delimiter: "/", Limit: 1000},
				listing{objects: []string{"d10~", "d15~"}, prefixes: []string{"d10/", "d11/", "d12/", "d13/", "d14/", "d15/", "d16/", "d17/", "d18/", "d19/"}}},
			{"inside one prefix", s3api.ListQuery{Prefix: "d07/", Delimiter: "/", Limit: 1000},
				listing{objects: []string{"d07/k0", "d07/k1", "d07/k2", "d07/k3"}}},
			{"delimiter nowhere", s3api.ListQuery{Prefix: "d02/", Delimiter: "#", Limit: 2},
				listing{objects: []string{"d02/k0", "d02/k1"}, truncated: true}},
		})
		f.checkPaging("bkt", "", "/", want)
	}},
	{"DelimiterNestedPrefixes", func(t *testing.T, f *fixture) {
		f.bucket("bkt")
		keys := []string{"a/b/c/1", "a/b/c/2", "a/b/d", "a/b/e/1", "a/f", "a/g/1", "a/g/h/1", "i"}
		for _, k := range keys {
			f.put("bkt", k, []byte(k), s3api.ObjectMeta{})
		}
		f.checkListings("bkt", []listCase{
			{"root", s3api.ListQuery{Delimiter: "/", Limit: 100}, listing{objects: []string{"i"}, prefixes: []string{"a/"}}},
			{"a/", s3api.ListQuery{Prefix: "a/", Delimiter: "/", Limit: 100},
				listing{objects: []string{"a/f"}, prefixes: []string{"a/b/", "a/g/"}}},
			{"a/b/", s3api.ListQuery{Prefix: "a/b/", Delimiter: "/", Limit: 100},
				listing{objects: []string{"a/b/d"}, prefixes: []string{"a/b/c/", "a/b/e/"}}},
			{"a/b/c/", s3api.ListQuery{Prefix: "a/b/c/", Delimiter: "/", Limit: 100},
				listing{objects: []string{"a/b/c/1", "a/b/c/2"}}},
			{"a/b/ paged", s3api.ListQuery{Prefix: "a/b/", Delimiter: "/", Limit: 1},
				listing{prefixes: []string{"a/b/c/"}, truncated: true}},
			{"a/b/ resumed", s3api.ListQuery{Prefix: "a/b/", Delimiter: "/", After: pastPrefix("a/b/c/"), Limit: 1},
				listing{objects: []string{"a/b/d"}, truncated: true}},
			{"two-character delimiter", s3api.ListQuery{Prefix: "a/g", Delimiter: "/1", Limit: 100},
				listing{prefixes: []string{"a/g/1", "a/g/h/1"}}},
		})
		f.checkPaging("bkt", "a/", "/", listing{objects: []string{"a/f"}, prefixes: []string{"a/b/", "a/g/"}})
		f.checkPaging("bkt", "", "/1", wantListing(keys, "", "/1"))
	}},
	{"DelimiterKeysEqualToPrefixes", func(t *testing.T, f *fixture) {
		f.bucket("bkt")
		for _, k := range []string{"a", "a/", "a/x", "a//", "b/", "c"} {
			f.put("bkt", k, []byte(k), s3api.ObjectMeta{})
		}
		f.checkListings("bkt", []listCase{
			{"root", s3api.ListQuery{Delimiter: "/", Limit: 100},
				listing{objects: []string{"a", "c"}, prefixes: []string{"a/", "b/"}}},
			{"the prefix is a key", s3api.ListQuery{Prefix: "a/", Delimiter: "/", Limit: 100},
				listing{objects: []string{"a/", "a/x"}, prefixes: []string{"a//"}}},
			{"a key rolls up into itself", s3api.ListQuery{Prefix: "b", Delimiter: "/", Limit: 100},
				listing{prefixes: []string{"b/"}}},
			{"prefix without delimiter", s3api.ListQuery{Prefix: "a", Delimiter: "/", Limit: 100},
				listing{objects: []string{"a"}, prefixes: []string{"a/"}}},
			{"after the key equal to the prefix", s3api.ListQuery{Prefix: "a/", Delimiter: "/", After: "a/", Limit: 100},
				listing{objects: []string{"a/x"}, prefixes: []string{"a//"}}},
		})
	}},
	{"DelimiterPagination", func(t *testing.T, f *fixture) {
		f.bucket("bkt")
		var keys []string
		for i := range 9 {
			keys = append(keys, fmt.Sprintf("p%d/a", i), fmt.Sprintf("p%d/b/c", i), fmt.Sprintf("p%d", i))
		}
		keys = append(keys, "p", "q/")
		for _, k := range keys {
			f.put("bkt", k, []byte(k), s3api.ObjectMeta{})
		}
		for _, pq := range []struct{ prefix, delimiter string }{{"", "/"}, {"p", "/"}, {"p3/", "/"}, {"", "p"}, {"", "b/"}, {"", ""}} {
			f.checkPaging("bkt", pq.prefix, pq.delimiter, wantListing(keys, pq.prefix, pq.delimiter))
		}
	}},
	{"DelimiterBytes", func(t *testing.T, f *fixture) {
		// Keys at the edges of UTF-8 byte order around a prefix: a skip
		// past "x/" must keep "x0" and "x\U0010FFFF", and must not stop
		// short of keys full of U+10FFFF under "x/".
		f.bucket("bkt")
		keys := []string{"x", "x/", "x/\u007f", "x/\u0080", "x/\uffff", "x/\U0010FFFF", "x/\U0010FFFF\U0010FFFF/y",
			"x/" + strings.Repeat("\U0010FFFF", 255), "x0", "x\U0010FFFF", "x\U0010FFFF/z",
			"éa", "éé", "éêé", "ê", "e\u0301é", "a::b::c", "a::b", "a:b", "a\U0010FFFFb", "a\U0010FFFF\U0010FFFF"}
		for _, k := range keys {
			f.put("bkt", k, []byte(k), s3api.ObjectMeta{})
		}
		for _, pq := range []struct{ prefix, delimiter string }{
			{"", "/"}, {"x", "/"}, {"x/", "/"}, {"", "é"}, {"é", "é"}, {"", "::"}, {"a", ":"},
			{"", "\U0010FFFF"}, {"x", "\U0010FFFF"}, {"a", "\U0010FFFF"}, {"", "\u0301"},
		} {
			f.checkPaging("bkt", pq.prefix, pq.delimiter, wantListing(keys, pq.prefix, pq.delimiter))
		}
	}},
}

// listing is what a listing returns, object keys and prefixes apart.
type listing struct {
	objects, prefixes []string
	truncated         bool
}

func (l listing) String() string {
	return fmt.Sprintf("objects %q prefixes %q truncated=%v", l.objects, l.prefixes, l.truncated)
}

func (l listing) equal(o listing) bool {
	return slices.Equal(l.objects, o.objects) && slices.Equal(l.prefixes, o.prefixes) && l.truncated == o.truncated
}

// listCase is one query and the page it must return.
type listCase struct {
	name string
	q    s3api.ListQuery
	want listing
}

// list runs one query and checks what every page must hold.
func (f *fixture) list(bucket string, q s3api.ListQuery) listing {
	f.t.Helper()
	page, err := f.b.ListObjects(f.ctx, bucket, q)
	f.noErr("ListObjects"+describe(q), err)
	var got listing
	for _, o := range page.Objects {
		got.objects = append(got.objects, o.Key)
		if o.Size != int64(len(o.Key)) || o.ETag == "" || o.LastModified.IsZero() {
			f.t.Errorf("ListObjects%s: %q has size %d ETag %q LastModified %v", describe(q), o.Key, o.Size, o.ETag, o.LastModified)
		}
	}
	got.prefixes, got.truncated = page.Prefixes, page.Truncated
	if n := len(got.objects) + len(got.prefixes); n > q.Limit {
		f.t.Errorf("ListObjects%s returned %d entries", describe(q), n)
	}
	return got
}

// describe shows a query, with a pastPrefix After shortened.
func describe(q s3api.ListQuery) string {
	after := fmt.Sprintf("%q", q.After)
	if p, ok := strings.CutSuffix(q.After, pastPrefix("")); ok {
		after = fmt.Sprintf("past %q", p)
	}
	return fmt.Sprintf("(prefix %q, delimiter %q, after %s, limit %d)", q.Prefix, q.Delimiter, after, q.Limit)
}

// checkListings runs each case against bucket.
func (f *fixture) checkListings(bucket string, cases []listCase) {
	f.t.Helper()
	for _, tc := range cases {
		if got := f.list(bucket, tc.q); !got.equal(tc.want) {
			f.t.Errorf("%s: got %v\nwant %v", tc.name, got, tc.want)
		}
	}
}

// checkPaging lists bucket a page at a time, resuming as the S3 layer
// does, with every page size up to the whole listing, and wants the pages
// to add up to want.
func (f *fixture) checkPaging(bucket, prefix, delimiter string, want listing) {
	f.t.Helper()
	total := len(want.objects) + len(want.prefixes)
	for limit := 1; limit <= total+1; limit++ {
		var got listing
		after := ""
		for pages := 0; ; pages++ {
			if pages > total {
				f.t.Fatalf("prefix %q delimiter %q limit %d: the listing does not end", prefix, delimiter, limit)
			}
			page := f.list(bucket, s3api.ListQuery{Prefix: prefix, Delimiter: delimiter, After: after, Limit: limit})
			got.objects = append(got.objects, page.objects...)
			got.prefixes = append(got.prefixes, page.prefixes...)
			if !page.truncated {
				break
			}
			after = resumeAfter(page, prefix, delimiter)
		}
		if !got.equal(want) {
			f.t.Errorf("prefix %q delimiter %q limit %d: pages add up to %v\nwant %v", prefix, delimiter, limit, got, want)
		}
	}
}

// resumeAfter is where the S3 layer resumes after a page: its last
// entry, or past every key under it when that entry is a prefix.
func resumeAfter(page listing, prefix, delimiter string) string {
	last := ""
	if n := len(page.objects); n > 0 {
		last = page.objects[n-1]
	}
	if n := len(page.prefixes); n > 0 && page.prefixes[n-1] > last {
		return pastPrefix(page.prefixes[n-1])
	}
	return last
}

// pastPrefix sorts after every key of at most 1024 bytes that starts with p,
// and before every other key greater than p.
func pastPrefix(p string) string {
	return p + strings.Repeat("\U0010FFFF", 256)
}

// wantListing is the whole listing of keys under prefix and delimiter,
// worked out the simplest way.
func wantListing(keys []string, prefix, delimiter string) listing {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	var want listing
	for _, k := range sorted {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		cp := s3api.CommonPrefix(k, prefix, delimiter)
		switch {
		case cp == "":
			want.objects = append(want.objects, k)
		case !slices.Contains(want.prefixes, cp):
			want.prefixes = append(want.prefixes, cp)
		}
	}
	return want
}
