package s3backend_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/db"
	"sixfold/db/dbtest"
	"sixfold/gateway/s3backend"
	"sixfold/s3api"
)

// envListingRows sets how many keys TestListingAtScale generates.
const envListingRows = "SIXFOLD_LISTING_ROWS"

// TestListingAtScale times listing pages over a bucket of generated keys
// dirNNNN/fileNNNN, 1,000 per prefix, and checks every page against what
// the generated keys imply (timings are only logged: this machine class
// is shared). It uses 20,000 keys, or as many as SIXFOLD_LISTING_ROWS says,
// up to 10,000,000:
//
//	go build -o /tmp/sfdev ./e2e/cmd/sixfold-dev
//	SIXFOLD_LISTING_ROWS=1000000 /tmp/sfdev with-postgres -- \
//	    go test -count=1 -run TestListingAtScale -v -timeout 60m ./gateway/s3backend/
func TestListingAtScale(t *testing.T) {
	rows := 20_000
	if v := os.Getenv(envListingRows); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2000 || n > 10_000_000 {
			t.Fatalf("%s=%q: want a number of keys from 2000 to 10000000", envListingRows, v)
		}
		rows = n
	}
	pool, b := newBackend(t)
	start := time.Now()
	generateKeys(t, pool, rows)
	t.Logf("%d keys generated in %v (%.0f keys/s)", rows, time.Since(start).Round(time.Millisecond),
		float64(rows)/time.Since(start).Seconds())

	dirs := (rows + 999) / 1000
	mid := dirs / 2
	dirsFrom := func(from int) listing {
		var l listing
		for d := from; d < min(dirs, from+1000); d++ {
			l.prefixes = append(l.prefixes, dirName(d))
		}
		l.truncated = from+1000 < dirs
		return l
	}
	keysFrom := func(from int) listing {
		var l listing
		for i := from; i < min(rows, from+1000); i++ {
			l.objects = append(l.objects, keyName(i))
		}
		l.truncated = from+1000 < rows
		return l
	}
	inDir := func(d int) listing {
		l := keysFrom(d * 1000)
		l.objects, l.truncated = l.objects[:min(len(l.objects), 1000)], false
		return l
	}
	twoByte := dirsFrom(0)
	for i, p := range twoByte.prefixes {
		twoByte.prefixes[i] = p + "file0"
	}
	cases := []struct {
		name string
		q    s3api.ListQuery
		want listing
	}{
		{"flat", s3api.ListQuery{Limit: 1000}, keysFrom(0)},
		{"flat from the middle", s3api.ListQuery{After: keyName(rows/2 - 1), Limit: 1000}, keysFrom(rows / 2)},
		{"delimiter at the root", s3api.ListQuery{Delimiter: "/", Limit: 1000}, dirsFrom(0)},
		{"delimiter from the middle", s3api.ListQuery{Delimiter: "/", After: pastPrefix(dirName(mid - 1)), Limit: 1000}, dirsFrom(mid)},
		{"delimiter of two bytes", s3api.ListQuery{Delimiter: "e0", Limit: 1000}, twoByte},
		{"prefix", s3api.ListQuery{Prefix: dirName(mid), Limit: 1000}, inDir(mid)},
		{"prefix and delimiter", s3api.ListQuery{Prefix: dirName(mid), Delimiter: "/", Limit: 1000}, inDir(mid)},
	}
	for _, tc := range cases {
		times := make([]time.Duration, 11)
		for i := range times {
			start := time.Now()
			got := list(t, b, tc.q)
			times[i] = time.Since(start)
			if !got.equal(tc.want) {
				t.Fatalf("%s: got %v\nwant %v", tc.name, got, tc.want)
			}
		}
		slices.Sort(times)
		t.Logf("%d keys, %-26s median %8v  min %8v  max %8v", rows, tc.name+":",
			times[len(times)/2].Round(10*time.Microsecond), times[0].Round(10*time.Microsecond),
			times[len(times)-1].Round(10*time.Microsecond))
	}
}

// TestListObjectsMatchesReference lists awkward keys (multi-byte runes,
// U+10FFFF, keys equal to prefixes, a 1022-byte key, runs of delimiters)
// under many prefixes and delimiters a page at a time, with page sizes
// that end the first range scan inside and outside common prefixes, and
// wants exactly what sorting and grouping every key gives.
func TestListObjectsMatchesReference(t *testing.T) {
	pool, b := newBackend(t)
	keys := referenceKeys()
	insertKeys(t, pool, "ref", keys)
	pairs := []struct{ prefix, delimiter string }{
		{"", ""}, {"", "/"}, {"a", "/"}, {"a/", "/"}, {"a/b", "/"}, {"x/", "/"}, {"", "é"}, {"é", "é"},
		{"", "::"}, {"a", ":"}, {"", "\U0010FFFF"}, {"a\U0010FFFF", "\U0010FFFF"}, {"", "b/"}, {"", "a"},
		{"", "/\U0010FFFF"}, {"q", "/"},
	}
	for _, p := range pairs {
		want := reference(keys, p.prefix, p.delimiter)
		for _, limit := range []int{1, 2, 3, 5, 8, 40, 1000} {
			if got := listAll(t, b, "ref", p.prefix, p.delimiter, limit); !got.equal(want) {
				t.Errorf("prefix %q delimiter %q limit %d: got %v\nwant %v", p.prefix, p.delimiter, limit, got, want)
			}
		}
	}
}

// referenceKeys are random keys over an alphabet of delimiters, runes
// at UTF-8 length boundaries and U+10FFFF, with a few chosen ones.
func referenceKeys() []string {
	alphabet := []string{"a", "b", "/", "//", "é", "ê", "\u007f", "\u0080", "\uffff", "\U0010FFFF", ":", "::"}
	r := rand.New(rand.NewPCG(15, 1))
	seen := map[string]bool{}
	keys := []string{"a", "a/", "a//", "x/", "x/" + strings.Repeat("\U0010FFFF", 255), "x0", "x\U0010FFFF"}
	for len(keys) < 600 {
		var k strings.Builder
		for range 1 + r.IntN(6) {
			k.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		keys = append(keys, k.String())
	}
	// Many keys under a few prefixes, so a page can end inside one.
	for i := range 30 {
		keys = append(keys, fmt.Sprintf("a/b%02d", i), fmt.Sprintf("a/b/%02d", i))
	}
	out := keys[:0]
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// reference is the whole listing under prefix and delimiter, worked out
// the simplest way: sort every key, then group.
func reference(keys []string, prefix, delimiter string) listing {
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

// listing is what a listing returns, object keys and prefixes apart.
type listing struct {
	objects, prefixes []string
	truncated         bool
}

func (l listing) String() string {
	return fmt.Sprintf("%d objects %s, %d prefixes %s, truncated=%v",
		len(l.objects), ends(l.objects), len(l.prefixes), ends(l.prefixes), l.truncated)
}

// ends shows a long list by its first and last few names.
func ends(s []string) string {
	if len(s) > 6 {
		return fmt.Sprintf("%q … %q", s[:3], s[len(s)-3:])
	}
	return fmt.Sprintf("%q", s)
}

func (l listing) equal(o listing) bool {
	return slices.Equal(l.objects, o.objects) && slices.Equal(l.prefixes, o.prefixes) && l.truncated == o.truncated
}

// list runs one query; a page over its limit fails the test.
func list(t *testing.T, b *s3backend.Backend, q s3api.ListQuery) listing {
	t.Helper()
	return listIn(t, b, "big", q)
}

func listIn(t *testing.T, b *s3backend.Backend, bucket string, q s3api.ListQuery) listing {
	t.Helper()
	page, err := b.ListObjects(context.Background(), bucket, q)
	if err != nil {
		t.Fatalf("ListObjects(%q, %q, limit %d): %v", q.Prefix, q.Delimiter, q.Limit, err)
	}
	var got listing
	for _, o := range page.Objects {
		got.objects = append(got.objects, o.Key)
	}
	got.prefixes, got.truncated = page.Prefixes, page.Truncated
	if n := len(got.objects) + len(got.prefixes); n > q.Limit {
		t.Fatalf("ListObjects(%q, %q, limit %d) returned %d entries", q.Prefix, q.Delimiter, q.Limit, n)
	}
	return got
}

// listAll follows a listing to its end, resuming after each page as the
// S3 layer does.
func listAll(t *testing.T, b *s3backend.Backend, bucket, prefix, delimiter string, limit int) listing {
	t.Helper()
	var all listing
	after := ""
	for range 10_000 {
		page := listIn(t, b, bucket, s3api.ListQuery{Prefix: prefix, Delimiter: delimiter, After: after, Limit: limit})
		all.objects = append(all.objects, page.objects...)
		all.prefixes = append(all.prefixes, page.prefixes...)
		if !page.truncated {
			return all
		}
		last := ""
		if n := len(page.objects); n > 0 {
			last = page.objects[n-1]
		}
		after = last
		if n := len(page.prefixes); n > 0 && page.prefixes[n-1] > last {
			after = pastPrefix(page.prefixes[n-1])
		}
	}
	t.Fatalf("prefix %q delimiter %q limit %d: the listing does not end", prefix, delimiter, limit)
	return listing{}
}

// pastPrefix sorts after every key that starts with p and before every
// other key greater than p, as the S3 layer's continuation does.
func pastPrefix(p string) string {
	return p + strings.Repeat("\U0010FFFF", 256)
}

// newBackend is a Backend on a fresh migrated database. Listing touches
// only PostgreSQL, so it has no object service.
func newBackend(t *testing.T) (*pgxpool.Pool, *s3backend.Backend) {
	t.Helper()
	pool, _ := dbtest.NewPool(t)
	return pool, s3backend.New(db.NewStore(pool), nil, s3backend.Options{})
}

// rowMeta is what PutObject stores for an object with no metadata, so
// that generated rows are as wide as real ones.
const rowMeta = `{"ContentType":"application/octet-stream","ContentDisposition":"","ContentEncoding":"",` +
	`"CacheControl":"","Expires":"","UserMetadata":null,"ChecksumAlgorithm":""}`

// generateKeys fills bucket "big" with keys dirNNNN/fileNNNN in SQL.
// Objects reference only their bucket: the parts and blobs behind them are
// never read by a listing, so each row is an empty object without parts.
// Ids count up, so the primary key grows at its right edge.
func generateKeys(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	exec(t, pool, `INSERT INTO buckets (name) VALUES ('big')`)
	exec(t, pool, `INSERT INTO objects (id, bucket, key, size, etag, meta)
		SELECT lpad(to_hex(i), 32, '0')::uuid, 'big',
		       'dir' || lpad((i / 1000)::text, 4, '0') || '/file' || lpad((i % 1000)::text, 4, '0'),
		       0, 'd41d8cd98f00b204e9800998ecf8427e', $2::jsonb
		FROM generate_series(0, $1::int - 1) AS i`, n, rowMeta)
	exec(t, pool, `ANALYZE objects`)
}

// insertKeys puts keys into a new bucket as empty objects.
func insertKeys(t *testing.T, pool *pgxpool.Pool, bucket string, keys []string) {
	t.Helper()
	exec(t, pool, `INSERT INTO buckets (name) VALUES ($1)`, bucket)
	exec(t, pool, `INSERT INTO objects (id, bucket, key, size, etag)
		SELECT gen_random_uuid(), $1, k, 0, 'd41d8cd98f00b204e9800998ecf8427e' FROM unnest($2::text[]) AS k`, bucket, keys)
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func dirName(d int) string { return fmt.Sprintf("dir%04d/", d) }

func keyName(i int) string { return fmt.Sprintf("dir%04d/file%04d", i/1000, i%1000) }
