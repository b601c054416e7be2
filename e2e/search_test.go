package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/e2e/harness"
)

// Scale of the generated data: a few hundred thousand objects in all.
const (
	searchObjects = 200000
	searchFiles   = 50000
	searchBucket  = "search-gen"
)

// searchRow is one object or upload as the scan in the test reads it.
type searchRow struct {
	id          string
	key         string
	size        int64
	contentType string
	meta        map[string]any // S3 user metadata, or the /files metadata
	tags        map[string]string
	created     time.Time
	modified    time.Time
}

// TestSearch generates objects and uploads in SQL, adds real ones through
// both doors, and checks every kind of condition against a scan of the
// same rows in the test, pagination under concurrent writes, what each
// key may see, refused and hostile queries, and the CLI.
func TestSearch(t *testing.T) {
	c := startCluster(t, harness.Options{GatewayEnv: []string{"SIXFOLD_KEYS=" +
		"ro:ro-secret-0123:readonly,rw:rw-secret-0123:readwrite,wo:wo-secret-0123:writeonly,none:none-secret-0123"}})
	pool := poolFor(t, c.DatabaseURL())
	start := time.Now()
	generateSearchData(t, pool)
	t.Logf("generated %d objects and %d uploads in SQL in %s", searchObjects, searchFiles, time.Since(start).Round(time.Millisecond))
	key, secret := c.Credentials()
	e := newPlainS3Env(t, c, key, secret)
	root := newClient(t, c)
	uploadSearchObjects(t, e, root)

	objects := scanObjects(t, pool, searchBucket)
	files := scanFiles(t, pool)
	t.Run("filters", func(t *testing.T) { searchFilters(t, root, objects, files) })
	t.Run("pagination under writes", func(t *testing.T) { searchUnderWrites(t, e, root, pool) })
	t.Run("permissions", func(t *testing.T) { searchPermissions(t, c, root, objects) })
	t.Run("refused and hostile queries", func(t *testing.T) { searchHostile(t, root, pool) })
	t.Run("cli", func(t *testing.T) { searchCLI(t, c, objects) })
}

func generateSearchData(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	raw, err := os.ReadFile("testdata/search-generate.sql")
	if err != nil {
		t.Fatal(err)
	}
	sql := strings.NewReplacer(":objects", strconv.Itoa(searchObjects), ":files", strconv.Itoa(searchFiles)).Replace(string(raw))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := pool.Exec(ctx, sql); err != nil {
		t.Fatalf("generate: %v", err)
	}
}

// uploadSearchObjects stores 240 objects through S3 (metadata, tags,
// content types) under real/ and 100 uploads through /files with metadata.
func uploadSearchObjects(t *testing.T, e *s3Env, cl *client) {
	t.Helper()
	owners := []string{"ann", "bob", "cat"}
	var wg sync.WaitGroup
	errs := make(chan error, 340)
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 240; i += 6 {
				in := &s3.PutObjectInput{Bucket: aws.String(searchBucket), Key: aws.String(fmt.Sprintf("real/%d/a%d.bin", i%4, i%10)),
					Body: bytes.NewReader(bytes.Repeat([]byte{byte(i)}, 100+i*37)), ContentType: aws.String([]string{"image/jpeg", "text/plain"}[i%2]),
					Metadata: map[string]string{"Owner": owners[i%3], "camera": "x" + strconv.Itoa(i%7), "rating": strconv.Itoa(i % 10)}}
				in.Key = aws.String(fmt.Sprintf("real/%d/a%03d.bin", i%4, i))
				if i%3 == 0 {
					in.Tagging = aws.String("project=apollo&tier=hot")
				}
				if _, err := e.s3.PutObject(context.Background(), in); err != nil {
					errs <- err
				}
				if i < 100 {
					meta := fmt.Sprintf(`{"owner": %q, "score": %d, "dept": {"name": "ops"}, "public": %v}`, owners[i%3], 90+i%10, i%2 == 0)
					if err := uploadWithMetadata(cl, fmt.Sprintf("real-%03d.png", i), meta); err != nil {
						errs <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func uploadWithMetadata(cl *client, filename, meta string) error {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("metadata", meta)
	fw, _ := w.CreateFormFile("file", filename)
	_, _ = fw.Write([]byte("png bytes of " + filename))
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, cl.base+"/files", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.SetBasicAuth(cl.key, cl.secret)
	resp, err := cl.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("upload %s: %s", filename, resp.Status)
	}
	return nil
}

func scanObjects(t *testing.T, pool *pgxpool.Pool, bucket string) []searchRow {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT id::text, key, size, meta, created_at FROM objects
		WHERE bucket = $1 AND is_latest AND NOT delete_marker`, bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []searchRow
	for rows.Next() {
		var r searchRow
		var meta []byte
		if err := rows.Scan(&r.id, &r.key, &r.size, &meta, &r.created); err != nil {
			t.Fatal(err)
		}
		var m struct {
			ContentType  string
			UserMetadata map[string]any
			Tags         map[string]string
		}
		if err := json.Unmarshal(meta, &m); err != nil {
			t.Fatal(err)
		}
		r.contentType, r.meta, r.tags, r.modified = m.ContentType, m.UserMetadata, m.Tags, r.created
		out = append(out, r)
	}
	if len(out) < searchObjects*9/10 {
		t.Fatalf("scanned %d objects; want about %d", len(out), searchObjects)
	}
	return out
}

func scanFiles(t *testing.T, pool *pgxpool.Pool) []searchRow {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT id::text, filename, size, content_type, metadata, created_at, updated_at FROM files
		WHERE status = 'completed' AND owner = 'files'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []searchRow
	for rows.Next() {
		var r searchRow
		var meta []byte
		if err := rows.Scan(&r.id, &r.key, &r.size, &r.contentType, &meta, &r.created, &r.modified); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(meta, &r.meta); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// searchHitJSON is what the test reads of a hit.
type searchHitJSON struct {
	FileID   string          `json:"file_id"`
	Key      string          `json:"key"`
	Filename string          `json:"filename"`
	Size     int64           `json:"size"`
	Created  time.Time       `json:"created_at"`
	Metadata json.RawMessage `json:"metadata"`
}

type searchPageJSON struct {
	Files      []searchHitJSON `json:"files"`
	NextCursor string          `json:"next_cursor"`
	Total      *int64          `json:"total"`
}

// searchPage GETs one page; path is /files or /files/search.
func searchPage(t *testing.T, cl *client, path string, params url.Values) (int, searchPageJSON, string) {
	t.Helper()
	resp := cl.get(path + "?" + params.Encode())
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var page searchPageJSON
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &page); err != nil {
			t.Fatalf("%.400s: %v", raw, err)
		}
	}
	return resp.StatusCode, page, string(raw)
}

// searchAll follows next_cursor to the end, failing on an id served twice,
// and returns the hits in the order served.
func searchAll(t *testing.T, cl *client, path string, params url.Values, between func(page int)) []searchHitJSON {
	t.Helper()
	var all []searchHitJSON
	seen := map[string]bool{}
	for n := 0; ; n++ {
		status, page, raw := searchPage(t, cl, path, params)
		if status != http.StatusOK {
			t.Fatalf("%s %v: %d %s", path, params, status, raw)
		}
		for _, h := range page.Files {
			if seen[h.FileID] {
				t.Fatalf("%s %v: %s served twice", path, params, h.FileID)
			}
			seen[h.FileID] = true
			all = append(all, h)
		}
		if page.NextCursor == "" {
			return all
		}
		params.Set("cursor", page.NextCursor)
		if between != nil {
			between(n)
		}
	}
}

func metaStr(r searchRow, name string) string {
	s, _ := r.meta[name].(string)
	return s
}

func metaNum(r searchRow, name string) (float64, bool) {
	switch v := r.meta[name].(type) {
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil && !strings.ContainsAny(v, "eE+") && strings.TrimLeft(v, "-0123456789.") == ""
	}
	return 0, false
}

func globMatch(pattern, key string) bool {
	ok, _ := path.Match(pattern, key)
	return ok
}

// searchFilters asks each kind of condition of both doors and compares the
// answer with the rows the test scanned, in full, following every cursor.
func searchFilters(t *testing.T, cl *client, objects, files []searchRow) {
	mar1, mar3 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	aug1 := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		kind, query, sort string
		files             bool
		keep              func(searchRow) bool
	}{
		{"metadata", `metadata.owner = "ann" AND metadata.camera = "x3"`, "key", false, func(r searchRow) bool { return metaStr(r, "owner") == "ann" && metaStr(r, "camera") == "x3" }},
		{"metadata number", `metadata.rating >= 9 AND key LIKE "docs/2024/*" OR metadata.rating > 8 AND key LIKE "real/*"`, "size", false, func(r searchRow) bool {
			n, ok := metaNum(r, "rating")
			return ok && n >= 9 && globMatch("docs/2024/*", r.key) || ok && n > 8 && strings.HasPrefix(r.key, "real/")
		}},
		{"key glob", `key LIKE "photos/2026/*"`, "key", false, func(r searchRow) bool { return strings.HasPrefix(r.key, "photos/2026/") }},
		{"key glob ?", `key LIKE "real/?/a1?1.bin"`, "created", false, func(r searchRow) bool { return globMatch("real/?/a1?1.bin", r.key) }},
		{"size range", `size >= 1MB AND size < 1.1MB`, "size", false, func(r searchRow) bool { return r.size >= 1e6 && r.size < 1.1e6 }},
		{"size large", `size > 1GiB`, "key", false, func(r searchRow) bool { return r.size > 1<<30 }},
		{"content type", `content_type = "image/png" AND size < 100KB`, "key", false, func(r searchRow) bool { return r.contentType == "image/png" && r.size < 1e5 }},
		{"content type glob", `content_type LIKE "text/*" AND key LIKE "logs/2025/*"`, "key", false, func(r searchRow) bool {
			return strings.HasPrefix(r.contentType, "text/") && strings.HasPrefix(r.key, "logs/2025/")
		}},
		{"created range", `created >= 2026-03-01 AND created < 2026-03-03`, "created", false, func(r searchRow) bool { return !r.created.Before(mar1) && r.created.Before(mar3) }},
		{"modified day", `modified = 2026-03-02`, "modified", false, func(r searchRow) bool {
			return !r.modified.Before(mar1.AddDate(0, 0, 1)) && r.modified.Before(mar3)
		}},
		{"tags", `tag.project = "apollo" AND tag.tier = "hot"`, "key", false, func(r searchRow) bool { return r.tags["project"] == "apollo" && r.tags["tier"] == "hot" }},
		{"issue: owner and size", `metadata.owner = "ann" AND size > 100000`, "key", false, func(r searchRow) bool { return metaStr(r, "owner") == "ann" && r.size > 100000 }},
		{"issue: glob and type", `key LIKE "photos/2026/*" AND content_type = "image/jpeg"`, "key", false, func(r searchRow) bool {
			return strings.HasPrefix(r.key, "photos/2026/") && r.contentType == "image/jpeg"
		}},
		{"issue: date and not tag", `created >= 2026-08-01 AND NOT tag.project = "apollo"`, "key", false, func(r searchRow) bool {
			return !r.created.Before(aug1) && r.tags["project"] != "apollo"
		}},
		{"or, not, parentheses", `(metadata.rating = "9" OR metadata.rating = "0") AND key LIKE "logs/2021/*" AND NOT tag.project EXISTS`, "key", false, func(r searchRow) bool {
			rt := metaStr(r, "rating")
			_, tagged := r.tags["project"]
			return (rt == "9" || rt == "0") && strings.HasPrefix(r.key, "logs/2021/") && !tagged
		}},
		{"files metadata", `metadata.owner = "ann" AND metadata.dept.name = "ops"`, "", true, func(r searchRow) bool {
			d, _ := r.meta["dept"].(map[string]any)
			return metaStr(r, "owner") == "ann" && d["name"] == "ops"
		}},
		{"files number", `metadata.score >= 98`, "size", true, func(r searchRow) bool { n, ok := metaNum(r, "score"); return ok && n >= 98 }},
		{"files name glob", `key LIKE "report-0001*" OR filename LIKE "real-0?1.png"`, "key", true, func(r searchRow) bool {
			return strings.HasPrefix(r.key, "report-0001") || globMatch("real-0?1.png", r.key)
		}},
		{"files size", `size > 19MB`, "size", true, func(r searchRow) bool { return r.size > 19e6 }},
		{"files modified", `modified >= 2026-03-01 AND modified < 2026-03-03`, "modified", true, func(r searchRow) bool {
			return !r.modified.Before(mar1) && r.modified.Before(mar3)
		}},
		{"files bool and type", `metadata.public = true AND content_type = "image/png"`, "", true, func(r searchRow) bool {
			return r.meta["public"] == true && r.contentType == "image/png"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			rows, path, params := objects, "/files/search", url.Values{"bucket": {searchBucket}}
			if tc.files {
				rows, path, params = files, "/files", url.Values{}
			}
			want := map[string]searchRow{}
			for _, r := range rows {
				if tc.keep(r) {
					want[r.id] = r
				}
			}
			if len(want) == 0 {
				t.Fatalf("the scan finds nothing for %q: a test that cannot fail", tc.query)
			}
			params.Set("q", tc.query)
			params.Set("limit", "1000")
			params.Set("sort", tc.sort)
			if tc.sort == "" {
				params.Del("sort")
			}
			start := time.Now()
			got := searchAll(t, cl, path, params, nil)
			took := time.Since(start)
			if len(got) != len(want) {
				t.Fatalf("%q: %d hits; the scan finds %d", tc.query, len(got), len(want))
			}
			for i, h := range got {
				if _, ok := want[h.FileID]; !ok {
					t.Fatalf("%q: hit %s (%s%s) is not in the scan's answer", tc.query, h.FileID, h.Key, h.Filename)
				}
				if i > 0 && !ordered(tc.sort, tc.files, want[got[i-1].FileID], want[h.FileID]) {
					t.Fatalf("%q: %s served before %s against sort %q", tc.query, got[i-1].FileID, h.FileID, tc.sort)
				}
			}
			params.Del("cursor")
			params.Set("total", "true")
			params.Set("limit", "1")
			if _, page, raw := searchPage(t, cl, path, params); page.Total == nil || *page.Total != int64(len(want)) {
				t.Fatalf("%q: total %s; want %d", tc.query, raw, len(want))
			}
			t.Logf("%-24s %6d hits in %3d pages: %s", tc.kind, len(got), (len(got)+999)/1000, took.Round(time.Millisecond))
		})
	}
}

// ordered reports whether a may come before b under sort (with its
// default direction: key ascending, the rest descending; /files without a
// sort is newest first).
func ordered(sort string, files bool, a, b searchRow) bool {
	switch {
	case sort == "key":
		return a.key <= b.key
	case sort == "size":
		return a.size >= b.size
	case sort == "modified":
		return !a.modified.Before(b.modified)
	}
	return !a.created.Before(b.created)
}

// searchUnderWrites pages through a query, 300 hits at a time, while
// objects matching it are written, overwritten and deleted through S3 and
// in SQL, ahead of the cursor and behind it. Under every sort: no object
// is served twice, the order holds across pages, nothing served fails the
// query, and every object that was there before and untouched throughout
// is served exactly once.
func searchUnderWrites(t *testing.T, e *s3Env, cl *client, pool *pgxpool.Pool) {
	const prefix = "logs/2023/"
	ctx := context.Background()
	for i := range 30 {
		e.put(t, searchBucket, fmt.Sprintf("%srw-%02d.bin", prefix, i), bytes.NewReader([]byte("before")))
	}
	for _, sort := range []string{"key", "size", "created"} {
		t.Run(sort, func(t *testing.T) {
			before := scanObjects(t, pool, searchBucket)
			touched := map[string]bool{}
			var mu sync.Mutex // protects touched
			touch := func(key string) {
				mu.Lock()
				touched[key] = true
				mu.Unlock()
			}
			var stop atomic.Bool
			var wg sync.WaitGroup
			errs := make(chan error, 1000)
			// Stop the writer however this subtest ends, so that it cannot
			// write into the next one.
			defer func() { stop.Store(true); wg.Wait() }()
			wg.Add(1)
			go func() { // real writes through S3, unsynchronised with the pages
				defer wg.Done()
				for n := 0; !stop.Load(); n++ {
					k := fmt.Sprintf("%srw-%02d.bin", prefix, n%30)
					touch(k)
					var err error
					if n%3 == 0 {
						_, err = e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(searchBucket), Key: aws.String(k)})
					} else {
						_, err = e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(searchBucket), Key: aws.String(k),
							Body: bytes.NewReader(bytes.Repeat([]byte("x"), n))})
					}
					if err == nil {
						k = fmt.Sprintf("%s%s-new-%04d.bin", prefix, sort, n)
						_, err = e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(searchBucket), Key: aws.String(k), Body: bytes.NewReader([]byte("new"))})
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}()
			// Between pages, in SQL: delete generated objects spread over
			// the whole range and insert new ones beside them, so that
			// writes land on both sides of the cursor.
			between := func(page int) {
				var keys []string
				rows, err := pool.Query(ctx, `DELETE FROM objects WHERE id IN (SELECT id FROM objects WHERE bucket = $1 AND key LIKE $2
					AND is_latest AND NOT delete_marker AND key LIKE '%obj-%' AND abs(hashtext(key || $3)) % 200 = 0 LIMIT 25) RETURNING key`,
					searchBucket, prefix+"%", strconv.Itoa(page)+sort)
				if err == nil {
					for rows.Next() {
						var k string
						_ = rows.Scan(&k)
						keys = append(keys, k)
					}
					rows.Close()
					err = rows.Err()
				}
				if err == nil {
					_, err = pool.Exec(ctx, `INSERT INTO objects (id, bucket, key, size, etag, meta, created_at)
						SELECT gen_random_uuid(), $1, k || '.again', 777 * length(k), 'e', '{"ContentType": "image/jpeg"}', now() - interval '100 days' * random()
						FROM unnest($2::text[]) AS k`, searchBucket, keys)
				}
				if err != nil {
					errs <- err
				}
				for _, k := range keys {
					touch(k)
				}
			}
			params := url.Values{"bucket": {searchBucket}, "q": {`key LIKE "` + prefix + `*"`}, "sort": {sort}, "limit": {"300"}}
			got := searchAll(t, cl, "/files/search", params, between)
			stop.Store(true)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			checkStable(t, sort, prefix, before, got, touched)
		})
	}
}

func checkStable(t *testing.T, sort, prefix string, before []searchRow, got []searchHitJSON, touched map[string]bool) {
	t.Helper()
	served := map[string]int{}
	for i, h := range got {
		if !strings.HasPrefix(h.Key, prefix) {
			t.Fatalf("served %s, which does not match", h.Key)
		}
		served[h.FileID]++
		if sort == "key" && i > 0 && got[i-1].Key >= h.Key {
			t.Fatalf("key order broken: %s then %s", got[i-1].Key, h.Key)
		}
		if sort == "size" && i > 0 && got[i-1].Size < h.Size {
			t.Fatalf("size order broken: %d then %d", got[i-1].Size, h.Size)
		}
		if sort == "created" && i > 0 && got[i-1].Created.Before(h.Created) {
			t.Fatalf("created order broken: %s then %s", got[i-1].Created, h.Created)
		}
	}
	steady := 0
	for _, r := range before {
		if !strings.HasPrefix(r.key, prefix) || touched[r.key] {
			continue
		}
		steady++
		if served[r.id] != 1 {
			t.Fatalf("%s, there throughout and untouched, was served %d times", r.key, served[r.id])
		}
	}
	if steady < 5000 || len(touched) < 50 {
		t.Fatalf("%d steady objects, %d touched: the test did not exercise what it claims", steady, len(touched))
	}
	t.Logf("sort %s: %d served, %d steady objects each exactly once, %d keys written meanwhile", sort, len(got), steady, len(touched))
}

// searchPermissions: a read-only key finds in a bucket what root finds;
// of the /files uploads a key finds only its own (neither may read other
// owners'), root all; a user whose policy grants one prefix but a part of it finds
// exactly that, pages and totals included; a write-only key and a key with
// no policy are refused on both doors.
func searchPermissions(t *testing.T, c *harness.Cluster, root *client, objects []searchRow) {
	ro, wo, none := keyClient(t, c, "ro", "ro-secret-0123"), keyClient(t, c, "wo", "wo-secret-0123"), keyClient(t, c, "none", "none-secret-0123")
	inBucket := url.Values{"bucket": {searchBucket}, "q": {`tag.tier = "hot" AND key LIKE "real/*"`}, "limit": {"1000"}}
	want := searchAll(t, root, "/files/search", inBucket, nil)
	got := searchAll(t, ro, "/files/search", inBucket, nil)
	if len(want) == 0 || !slices.EqualFunc(got, want, func(a, b searchHitJSON) bool { return a.FileID == b.FileID }) {
		t.Fatalf("readonly found %d in the bucket, root %d", len(got), len(want))
	}
	rw := keyClient(t, c, "rw", "rw-secret-0123")
	var own []string
	for i := range 2 {
		name := fmt.Sprintf("real-rw-%d.png", i)
		if err := uploadWithMetadata(rw, name, `{"owner": "bob"}`); err != nil {
			t.Fatal(err)
		}
		own = append(own, name)
	}
	uploads := url.Values{"q": {`metadata.owner = "bob" AND key LIKE "real-*"`}, "limit": {"1000"}}
	all, mine, ros := searchAll(t, root, "/files", uploads, nil), searchAll(t, rw, "/files", uploads, nil), searchAll(t, ro, "/files", uploads, nil)
	var names []string
	for _, h := range mine {
		names = append(names, h.Filename)
	}
	slices.Sort(names)
	if len(all) <= len(own) || !slices.Equal(names, own) || len(ros) != 0 {
		t.Fatalf("/files: root found %d, readwrite %q, readonly %d; want readwrite to find its own %q only, readonly none", len(all), names, len(ros), own)
	}
	for _, tc := range []struct {
		path   string
		params url.Values
	}{{"/files/search", inBucket}, {"/files", uploads}} {
		for name, cl := range map[string]*client{"writeonly": wo, "no policy": none} {
			status, _, raw := searchPage(t, cl, tc.path, tc.params)
			if status != http.StatusForbidden || !strings.Contains(raw, "AccessDenied") {
				t.Fatalf("%s key on %s: %d %s; want 403 AccessDenied", name, tc.path, status, raw)
			}
		}
	}
	status, _, raw := searchPage(t, root, "/files/search", url.Values{"bucket": {"no-such-bucket"}, "q": {"size > 0"}})
	if status != http.StatusNotFound || !strings.Contains(raw, "NoSuchBucket") {
		t.Fatalf("missing bucket: %d %s", status, raw)
	}
	searchScopedUser(t, c, objects)
}

// searchScopedUser creates a user through the CLI whose policy lets it
// list the bucket and read real/1/ except real/1/a1*, and checks that a
// search matching everything finds exactly those, with their total.
func searchScopedUser(t *testing.T, c *harness.Cluster, objects []searchRow) {
	policy := filepath.Join(t.TempDir(), "scoped.json")
	doc := `{"Statement": [
		{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::` + searchBucket + `"},
		{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::` + searchBucket + `/real/1/*"},
		{"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::` + searchBucket + `/real/1/a1*"}]}`
	if err := os.WriteFile(policy, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	runAdminCLI(t, c, "user", "create", "scoped", "@"+policy)
	k := cliKeyOf(t, runAdminCLI(t, c, "key", "create", "scoped", "-json"))
	cl := keyClient(t, c, k.AccessKey, k.SecretKey)
	want := map[string]bool{}
	for _, r := range objects {
		if strings.HasPrefix(r.key, "real/1/") && !strings.HasPrefix(r.key, "real/1/a1") {
			want[r.id] = true
		}
	}
	params := url.Values{"bucket": {searchBucket}, "q": {"size >= 0"}, "limit": {"7"}}
	got := searchAll(t, cl, "/files/search", params, nil)
	for _, h := range got {
		if !want[h.FileID] {
			t.Fatalf("the scoped user found %s, which its policy does not let it read", h.Key)
		}
	}
	params.Del("cursor")
	params.Set("total", "true")
	_, page, raw := searchPage(t, cl, "/files/search", params)
	if len(want) == 0 || len(got) != len(want) || page.Total == nil || *page.Total != int64(len(want)) {
		t.Fatalf("the scoped user found %d (total %s); its policy allows %d", len(got), raw, len(want))
	}
	if status, _, raw := searchPage(t, cl, "/files", url.Values{"q": {"size >= 0"}}); status != http.StatusForbidden {
		t.Fatalf("the scoped user on /files: %d %s; want 403", status, raw)
	}
}

func keyClient(t *testing.T, c *harness.Cluster, key, secret string) *client {
	cl := newClient(t, c)
	cl.key, cl.secret = key, secret
	return cl
}

// searchHostile: a malformed query is a 400 naming the position and what
// was expected; quotes, comments, separators and unicode are refused or
// match as text; nothing stored changes.
func searchHostile(t *testing.T, cl *client, pool *pgxpool.Pool) {
	const fp = `SELECT (SELECT count(*) || md5(string_agg(id::text || key || size || meta::text, ',' ORDER BY id)) FROM objects) ||
		(SELECT count(*) || md5(string_agg(id::text || filename || metadata::text, ',' ORDER BY id)) FROM files) || (SELECT count(*) FROM pg_class)`
	var before, after string
	if err := pool.QueryRow(context.Background(), fp).Scan(&before); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		query string
		pos   int
		want  string
	}{
		{`metadata.owner = "ann" AND size >`, 34, "a value after >"},
		{`key LIKE photos`, 10, "a quoted pattern"},
		{`size > 1 ; DROP TABLE objects`, 10, `unexpected character ";"`},
		{`owner = "ann"`, 1, "a field"},
		{`metadata.owner = "ann" -- comment`, 24, `unexpected character "-"`},
		{`métadata.owner = "ann"`, 2, `unexpected character "é"`},
	}
	for _, tc := range bad {
		status, _, raw := searchPage(t, cl, "/files/search", url.Values{"bucket": {searchBucket}, "q": {tc.query}})
		var body struct {
			Error struct {
				Code, Message, Expected string
				Position                int
			}
		}
		_ = json.Unmarshal([]byte(raw), &body)
		if status != http.StatusBadRequest || body.Error.Code != "InvalidQuery" || body.Error.Position != tc.pos || !strings.Contains(body.Error.Message, tc.want) {
			t.Fatalf("%q: %d %s; want 400 InvalidQuery at %d naming %q", tc.query, status, raw, tc.pos, tc.want)
		}
	}
	empty := []string{
		`key = "'; DROP TABLE objects; --"`,
		`metadata."owner'); DELETE FROM files; --" = "x"`,
		`metadata.owner = "ann\" OR 1=1 --"`,
		`tag."project\"}' OR true --" = "apollo"`,
		`key LIKE "%'; UPDATE objects SET size = 0; --"`,
		`metadata.owner = "аnn"`, // Cyrillic а
		"key = \"logs/2026/obj-0000006.png\u200b\"",
	}
	for _, q := range empty {
		for _, path := range []string{"/files/search", "/files"} {
			status, page, raw := searchPage(t, cl, path, url.Values{"bucket": {searchBucket}, "q": {q}})
			tagsOnFiles := path == "/files" && strings.HasPrefix(q, "tag.") && status == http.StatusBadRequest
			if (status != http.StatusOK || len(page.Files) != 0) && !tagsOnFiles {
				t.Fatalf("%s %q: %d %s; want 200 with no hit", path, q, status, raw)
			}
		}
	}
	// The key the zero-width space was appended to exists: the empty
	// answer above is the space's doing.
	if _, page, raw := searchPage(t, cl, "/files/search", url.Values{"bucket": {searchBucket}, "q": {`key = "logs/2026/obj-0000006.png"`}}); len(page.Files) != 1 {
		t.Fatalf("the plain key: %s", raw)
	}
	if err := pool.QueryRow(context.Background(), fp).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Fatalf("stored rows changed: %s -> %s", before, after)
	}
}

// searchCLI runs gateway admin search and checks its count against the scan.
func searchCLI(t *testing.T, c *harness.Cluster, objects []searchRow) {
	want := 0
	for _, r := range objects {
		if r.tags["project"] == "apollo" && strings.HasPrefix(r.key, "real/") {
			want++
		}
	}
	out := runAdminCLI(t, c, "search", "-bucket", searchBucket, "-total", "-all", "-limit", "7", `tag.project = "apollo" AND key LIKE "real/*"`)
	if !strings.Contains(out, fmt.Sprintf("total: %d matching", want)) || strings.Count(out, "real/") != want || want == 0 {
		t.Fatalf("gateway admin search: want %d hits and their total; got\n%s", want, out)
	}
}
