package s3api

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
)

// memBackend is the smallest Backend for unit tests: objects in a sorted
// map, everything else unimplemented (embedded nil interface) unless a
// test needs it.
type memBackend struct {
	Backend
	objects map[string][]byte
	getErr  error // injected into GetObject's reader after some bytes
	calls   int   // ListObjects calls
	// createErr is what CreateBucket answers.
	createErr error
}

func (b *memBackend) CreateBucket(ctx context.Context, name string) error {
	return b.createErr
}

func newMemBackend(keys ...string) *memBackend {
	b := &memBackend{objects: map[string][]byte{}}
	for _, k := range keys {
		b.objects[k] = []byte(k)
	}
	return b
}

func (b *memBackend) HeadBucket(ctx context.Context, name string) (Bucket, error) {
	return Bucket{Name: name}, nil
}

func (b *memBackend) HeadObject(ctx context.Context, bucket, key, versionID string) (ObjectInfo, error) {
	data, ok := b.objects[key]
	if !ok {
		return ObjectInfo{}, ErrNoSuchKey
	}
	return ObjectInfo{Bucket: bucket, Key: key, Size: int64(len(data)), ETag: "e"}, nil
}

func (b *memBackend) GetObject(ctx context.Context, info ObjectInfo, offset, length int64) (io.ReadCloser, error) {
	r := io.Reader(bytes.NewReader(b.objects[info.Key][offset : offset+length]))
	if b.getErr != nil {
		r = io.MultiReader(io.LimitReader(r, length/2), errReader{b.getErr})
	}
	return io.NopCloser(r), nil
}

func (b *memBackend) ListObjects(ctx context.Context, bucket string, q ListQuery) (ListPage, error) {
	b.calls++
	var keys []string
	for k := range b.objects {
		if strings.HasPrefix(k, q.Prefix) && k > q.After {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var page ListPage
	for _, k := range keys {
		cp := CommonPrefix(k, q.Prefix, q.Delimiter)
		if cp != "" && len(page.Prefixes) > 0 && page.Prefixes[len(page.Prefixes)-1] == cp {
			continue
		}
		if len(page.Objects)+len(page.Prefixes) == q.Limit {
			page.Truncated = true
			break
		}
		if cp != "" {
			page.Prefixes = append(page.Prefixes, cp)
		} else {
			page.Objects = append(page.Objects, ObjectInfo{Key: k, Size: int64(len(k))})
		}
	}
	return page, nil
}

func (b *memBackend) PutObject(ctx context.Context, in PutObjectInput) (ObjectInfo, error) {
	data, err := io.ReadAll(in.Body)
	if err != nil {
		return ObjectInfo{}, err
	}
	b.objects[in.Key] = data
	return ObjectInfo{ETag: "e"}, nil
}

func (b *memBackend) CreateMultipartUpload(ctx context.Context, bucket, key string, meta ObjectMeta) (string, error) {
	return "", errors.New("metadata store down")
}

// lockedBuffer is a log sink that the server's goroutines and the test
// share.
type lockedBuffer struct {
	mu  sync.Mutex // protects buf
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// errReader always fails.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// newTestHandler serves b without verifying signatures.
func newTestHandler(b Backend, opts Options) *handler {
	opts.Backend = b
	h := newHandler(opts)
	h.auth = trustingAuth
	return h
}

// serve runs one request through h.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// decodeError reads an <Error> body.
func decodeError(t *testing.T, w *httptest.ResponseRecorder) errorDoc {
	t.Helper()
	var doc errorDoc
	if err := xml.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("error body %q: %v", w.Body.String(), err)
	}
	return doc
}

func TestErrorResponses(t *testing.T) {
	var logs bytes.Buffer
	h := newTestHandler(newMemBackend("k"), Options{Logger: zerolog.New(&logs), RequestID: func(*http.Request) string { return "rid" }})
	big := strings.Repeat("v", 2100)
	cases := []struct {
		name, method, target string
		header               map[string]string
		body                 io.Reader
		status               int
		code                 string // "" for no body
	}{
		{"missing key", "GET", "/bkt/nope", nil, nil, 404, codeNoSuchKey},
		{"HEAD has no body", "HEAD", "/bkt/nope", nil, nil, 404, ""},
		{"not implemented", "GET", "/bkt?cors", nil, nil, 501, codeNotImplemented},
		{"public acl", "PUT", "/bkt/m", map[string]string{"X-Amz-Acl": "public-read"}, strings.NewReader("x"), 400, codeACLNotSupported},
		{"invalid bucket", "GET", "/B_/k", nil, nil, 400, codeInvalidBucketName},
		{"metadata too large", "PUT", "/bkt/m", map[string]string{"X-Amz-Meta-Big": big, "Content-Length": "1"}, strings.NewReader("x"), 400, codeMetadataTooLarge},
		{"bad checksum algorithm", "PUT", "/bkt/m", map[string]string{"X-Amz-Checksum-Algorithm": "MD4"}, strings.NewReader("x"), 400, codeInvalidArgument},
		{"unsatisfiable", "GET", "/bkt/k", map[string]string{"Range": "bytes=5-"}, nil, 416, codeInvalidRange},
		{"range and part", "GET", "/bkt/k?partNumber=1", map[string]string{"Range": "bytes=0-"}, nil, 400, codeInvalidRequest},
		{"part zero", "GET", "/bkt/k?partNumber=0", nil, nil, 400, codeInvalidArgument},
		{"if-none-match etag on put", "PUT", "/bkt/m", map[string]string{"If-None-Match": `"x"`, "Content-Length": "1"}, strings.NewReader("x"), 501, codeNotImplemented},
		{"bad list type", "GET", "/bkt?list-type=3", nil, nil, 400, codeInvalidArgument},
		{"bad max-keys", "GET", "/bkt?list-type=2&max-keys=-1", nil, nil, 400, codeInvalidArgument},
		{"bad token", "GET", "/bkt?list-type=2&continuation-token=%25%25", nil, nil, 400, codeInvalidArgument},
		{"bad encoding", "GET", "/bkt?list-type=2&encoding-type=base64", nil, nil, 400, codeInvalidArgument},
		{"internal", "POST", "/bkt/k?uploads", nil, nil, 500, codeInternalError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, tc.body)
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			w := serve(h, r)
			if w.Code != tc.status || w.Header().Get("x-amz-request-id") != "rid" {
				t.Fatalf("status %d request id %q; want %d and rid", w.Code, w.Header().Get("x-amz-request-id"), tc.status)
			}
			if tc.code == "" {
				if w.Body.Len() != 0 {
					t.Errorf("body %q; want none", w.Body.String())
				}
				return
			}
			if doc := decodeError(t, w); doc.Code != tc.code || doc.RequestID != "rid" || doc.Resource == "" {
				t.Errorf("error document %+v; want code %s", doc, tc.code)
			}
		})
	}
	if !strings.Contains(logs.String(), "metadata store down") {
		t.Errorf("the InternalError was not logged: %q", logs.String())
	}
}

func TestMissingContentLength(t *testing.T) {
	h := newTestHandler(newMemBackend(), Options{})
	r := httptest.NewRequest("PUT", "/bkt/k", nil)
	r.Header.Del("Content-Length")
	if w := serve(h, r); w.Code != http.StatusLengthRequired || decodeError(t, w).Code != codeMissingContentLength {
		t.Errorf("PUT without a length: %d %s", w.Code, w.Body.String())
	}
	r = httptest.NewRequest("PUT", "/bkt/k", strings.NewReader("chunked"))
	r.ContentLength, r.TransferEncoding = -1, []string{"chunked"}
	if w := serve(h, r); w.Code != http.StatusOK {
		t.Errorf("chunked PUT: %d %s", w.Code, w.Body.String())
	}
}

func TestEntityTooLarge(t *testing.T) {
	b := newMemBackend()
	h := newTestHandler(b, Options{MaxObjectSize: 10})
	r := httptest.NewRequest("PUT", "/bkt/declared", strings.NewReader(strings.Repeat("x", 11)))
	r.Header.Set("Content-Length", "11")
	if w := serve(h, r); w.Code != 400 || decodeError(t, w).Code != codeEntityTooLarge {
		t.Errorf("declared 11 > 10: %d %s", w.Code, w.Body.String())
	}
	r = httptest.NewRequest("PUT", "/bkt/streamed", strings.NewReader(strings.Repeat("x", 11)))
	r.ContentLength, r.TransferEncoding = -1, []string{"chunked"}
	if w := serve(h, r); w.Code != 400 || decodeError(t, w).Code != codeEntityTooLarge {
		t.Errorf("streamed 11 > 10: %d %s", w.Code, w.Body.String())
	}
	if _, ok := b.objects["streamed"]; ok {
		t.Errorf("an oversized body was stored")
	}
}

// TestBodyFailureAbortsConnection shows that a GET whose body fails after
// the status went out ends with a broken connection, not a short 200.
func TestBodyFailureAbortsConnection(t *testing.T) {
	b := newMemBackend()
	b.objects["big"] = bytes.Repeat([]byte("x"), 1<<20)
	b.getErr = errors.New("node went away")
	var logs lockedBuffer
	srv := httptest.NewServer(newTestHandler(b, Options{Logger: zerolog.New(&logs)}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/bkt/big")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || err == nil {
		t.Errorf("status %d, read error %v; want 200 and a failed read", resp.StatusCode, err)
	}
	if !strings.Contains(logs.String(), "node went away") {
		t.Errorf("the failure was not logged: %q", logs.String())
	}
}

func TestHeadObjectHeaders(t *testing.T) {
	h := newTestHandler(newMemBackend("k"), Options{})
	w := serve(h, httptest.NewRequest("HEAD", "/bkt/k", nil))
	hdr := w.Header()
	if w.Code != 200 || hdr.Get("Content-Length") != "1" || hdr.Get("ETag") != `"e"` ||
		hdr.Get("Last-Modified") == "" || hdr.Get("Accept-Ranges") != "bytes" || hdr.Get("Content-Type") == "" {
		t.Errorf("HEAD: %d %v", w.Code, hdr)
	}
	w = serve(h, httptest.NewRequest("HEAD", "/bkt/k?partNumber=2", nil))
	if w.Code != 416 || w.Body.Len() != 0 {
		t.Errorf("HEAD partNumber=2 of a single object: %d %q; want 416 without body", w.Code, w.Body.String())
	}
}

func TestVirtualHost(t *testing.T) {
	h := newTestHandler(newMemBackend("a/b"), Options{Domain: "s3.local"})
	r := httptest.NewRequest("GET", "/a/b", nil)
	r.Host = "bkt.s3.local:8080"
	if w := serve(h, r); w.Code != 200 || w.Body.String() != "a/b" {
		t.Errorf("virtual-host GET: %d %q", w.Code, w.Body.String())
	}
}

func TestRequestIDDefault(t *testing.T) {
	h := newTestHandler(newMemBackend("k"), Options{})
	r := httptest.NewRequest("GET", "/bkt/k", nil)
	r.Header.Set("X-Request-Id", "from-client")
	if got := serve(h, r).Header().Get("x-amz-request-id"); got != "from-client" {
		t.Errorf("request id = %q; want the client's X-Request-Id", got)
	}
	a := serve(h, httptest.NewRequest("GET", "/bkt/k", nil)).Header().Get("x-amz-request-id")
	b := serve(h, httptest.NewRequest("GET", "/bkt/k", nil)).Header().Get("x-amz-request-id")
	if a == "" || a == b {
		t.Errorf("random request ids %q and %q; want distinct", a, b)
	}
}

// listAll follows a V2 listing to its end and returns every entry, the
// pages' sizes and the bodies' EncodingType.
func listAll(t *testing.T, h http.Handler, query string) (entries []string, pages []int) {
	t.Helper()
	token := ""
	for range 100 {
		target := "/bkt?list-type=2&" + query
		if token != "" {
			target += "&continuation-token=" + token
		}
		w := serve(h, httptest.NewRequest("GET", target, nil))
		var doc listBucketResultV2
		if err := xml.Unmarshal(w.Body.Bytes(), &doc); err != nil || w.Code != 200 {
			t.Fatalf("GET %s: %d %s", target, w.Code, w.Body.String())
		}
		for _, c := range doc.Contents {
			entries = append(entries, string(c.Key))
		}
		for _, p := range doc.CommonPrefixes {
			entries = append(entries, string(p.Prefix))
		}
		pages = append(pages, doc.KeyCount)
		if !doc.IsTruncated {
			return entries, pages
		}
		token = doc.NextContinuationToken
	}
	t.Fatal("listing did not end")
	return nil, nil
}

func TestListingPages(t *testing.T) {
	var keys []string
	for i := range 30 {
		keys = append(keys, fmt.Sprintf("dir%d/file%02d", i%3, i), fmt.Sprintf("top%02d", i))
	}
	keys = append(keys, "dir1/", "a+b c")
	b := newMemBackend(keys...)
	h := newTestHandler(b, Options{})
	cases := []struct {
		name, query string
		want        []string
	}{
		{"flat", "max-keys=7", sortedCopy(keys)},
		{"delimited", "delimiter=/&max-keys=4", append([]string{"a+b c", "dir0/", "dir1/", "dir2/"}, topKeys()...)},
		{"prefix", "prefix=dir1/&delimiter=/&max-keys=3", dirKeys(1)},
		{"start-after", "start-after=top27&max-keys=1", []string{"top28", "top29"}},
		{"encoded", "prefix=a%2B&encoding-type=url", []string{"a%2Bb%20c"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := listAll(t, h, tc.query)
			if !slices.Equal(sortedCopy(got), sortedCopy(tc.want)) {
				t.Errorf("listing = %q\nwant %q", got, tc.want)
			}
		})
	}
	b.calls = 0
	if _, pages := listAll(t, h, "delimiter=/&max-keys=1000"); len(pages) != 1 || b.calls != 1 {
		t.Errorf("delimited listing of 62 keys took %d pages and %d backend calls", len(pages), b.calls)
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func topKeys() []string {
	var out []string
	for i := range 30 {
		out = append(out, fmt.Sprintf("top%02d", i))
	}
	return out
}

func dirKeys(d int) []string {
	out := []string{"dir1/"}
	for i := d; i < 30; i += 3 {
		out = append(out, fmt.Sprintf("dir%d/file%02d", d, i))
	}
	return out
}

func TestResumeAfter(t *testing.T) {
	after := resumeAfter("a/", "", "/")
	for _, key := range []string{"a/", "a/b", "a/" + strings.Repeat("\U0010FFFF", 255) + "z"[:0], "a/\U0010FFFF\U0010FFFF"} {
		if key > after {
			t.Errorf("key %q under a/ sorts after the resume point", key)
		}
	}
	if !("a0" > after) || !("b" > after) {
		t.Errorf("keys after the prefix a/ sort before the resume point")
	}
	if got := resumeAfter("a/b", "", "/"); got != "a/b" {
		t.Errorf("resumeAfter of a key = %q; want the key", got)
	}
}

func TestListObjectsV1(t *testing.T) {
	h := newTestHandler(newMemBackend("a/1", "a/2", "b", "c/1", "d"), Options{})
	var got []string
	marker := ""
	for range 10 {
		w := serve(h, httptest.NewRequest("GET", "/bkt?delimiter=/&max-keys=2&marker="+marker, nil))
		var doc listBucketResultV1
		if err := xml.Unmarshal(w.Body.Bytes(), &doc); err != nil || w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body.String())
		}
		for _, c := range doc.Contents {
			got = append(got, string(c.Key))
		}
		for _, p := range doc.CommonPrefixes {
			got = append(got, string(p.Prefix))
		}
		if !doc.IsTruncated {
			break
		}
		if doc.NextMarker == "" {
			t.Fatal("truncated delimited V1 page without NextMarker")
		}
		marker = string(doc.NextMarker)
	}
	if want := []string{"a/", "b", "c/", "d"}; !slices.Equal(sortedCopy(got), want) {
		t.Errorf("V1 listing = %q; want %q", got, want)
	}
}

func TestCreateBucketTwiceOutsideUSEast1(t *testing.T) {
	b := newMemBackend()
	b.createErr = ErrBucketAlreadyOwnedByYou
	h := newTestHandler(b, Options{Region: "eu-west-1"})
	w := serve(h, httptest.NewRequest(http.MethodPut, "/bkt", nil))
	if w.Code != http.StatusConflict || decodeError(t, w).Code != codeBucketAlreadyOwnedByYou {
		t.Errorf("CreateBucket of an owned bucket in eu-west-1: %d %s; want 409 BucketAlreadyOwnedByYou", w.Code, w.Body)
	}
	h = newTestHandler(b, Options{})
	if w := serve(h, httptest.NewRequest(http.MethodPut, "/bkt", nil)); w.Code != http.StatusOK {
		t.Errorf("CreateBucket of an owned bucket in us-east-1: %d; want 200", w.Code)
	}
}

func TestListingKeepsControlCharacters(t *testing.T) {
	h := newTestHandler(newMemBackend("a\x01b\tc<&>"), Options{})
	w := serve(h, httptest.NewRequest(http.MethodGet, "/bkt?list-type=2", nil))
	if !strings.Contains(w.Body.String(), "<Key>a&#x1;b&#x9;c&lt;&amp;&gt;</Key>") {
		t.Errorf("listing without encoding-type: %s; want the key with character references", w.Body)
	}
	w = serve(h, httptest.NewRequest(http.MethodGet, "/bkt?list-type=2&encoding-type=url", nil))
	if !strings.Contains(w.Body.String(), "<Key>a%01b%09c%3C%26%3E</Key>") {
		t.Errorf("listing with encoding-type=url: %s; want the key percent-encoded", w.Body)
	}
	w = serve(h, httptest.NewRequest(http.MethodGet, "/bkt?list-type=2&continuation-token=", nil))
	if !strings.Contains(w.Body.String(), "<ContinuationToken></ContinuationToken>") || w.Code != http.StatusOK {
		t.Errorf("listing with an empty continuation-token: %d %s; want it echoed", w.Code, w.Body)
	}
}
