package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"sync"
	"testing"
	"time"

	"sixfold/s3api"
)

// objectTests check s3api.ObjectBackend's single objects.
var objectTests = []test{
	{"PutHeadGet", testPutHeadGet},
	{"Ranges", testRanges},
	{"EmptyObject", testEmptyObject},
	{"UnknownSize", testUnknownSize},
	{"Overwrite", testOverwrite},
	{"IfNoneMatch", testIfNoneMatch},
	{"FailedBodyStoresNothing", testFailedBody},
	{"ShortBody", testShortBody},
	{"CancelledContext", testCancelled},
	{"Delete", testDelete},
	{"Copy", testCopy},
	{"ConcurrentOverwrites", testConcurrentOverwrites},
}

// fullMeta sets every metadata field.
var fullMeta = s3api.ObjectMeta{
	ContentType: "text/plain", ContentDisposition: "attachment", ContentEncoding: "gzip",
	CacheControl: "no-cache", Expires: "Thu, 01 Dec 1994 16:00:00 GMT",
	UserMetadata: map[string]string{"color": "blue", "x": "y"}, ChecksumAlgorithm: "CRC32",
}

func testPutHeadGet(t *testing.T, f *fixture) {
	f.bucket("bkt")
	data := randomBytes(100_000)
	p := newPayload(data)
	before := time.Now().Add(-time.Second)
	put := f.put("bkt", "dir/key é", data, fullMeta)
	info, err := f.b.HeadObject(f.ctx, "bkt", "dir/key é", "")
	f.noErr("HeadObject", err)
	if info.ETag != p.etag() || put.ETag != p.etag() {
		t.Errorf("ETag: put %q, head %q; want md5 hex %q", put.ETag, info.ETag, p.etag())
	}
	if info.Size != int64(len(data)) || info.Bucket != "bkt" || info.Key != "dir/key é" {
		t.Errorf("HeadObject = %s/%s size %d; want bkt/dir/key é size %d", info.Bucket, info.Key, info.Size, len(data))
	}
	if info.LastModified.Before(before) || info.ID == "" || info.Parts != nil {
		t.Errorf("HeadObject: LastModified %v, ID %q, Parts %v; want recent, set, nil", info.LastModified, info.ID, info.Parts)
	}
	if !reflect.DeepEqual(info.Meta, fullMeta) {
		t.Errorf("Meta = %+v; want %+v", info.Meta, fullMeta)
	}
	if !maps.Equal(info.Checksums, p.checksums) {
		t.Errorf("Checksums = %v; want %v", info.Checksums, p.checksums)
	}
	if got := f.read("bkt", "dir/key é", 0, int64(len(data))); !bytes.Equal(got, data) {
		t.Errorf("GetObject returned %d bytes that differ from the %d put", len(got), len(data))
	}
}

func testRanges(t *testing.T, f *fixture) {
	f.bucket("bkt")
	data := randomBytes(10_000)
	f.put("bkt", "k", data, s3api.ObjectMeta{})
	for _, r := range [][2]int64{{0, 1}, {1, 9_999}, {5_000, 17}, {9_999, 1}, {0, 10_000}} {
		got := f.read("bkt", "k", r[0], r[1])
		if !bytes.Equal(got, data[r[0]:r[0]+r[1]]) {
			t.Errorf("GetObject(offset %d, length %d) differs from the data", r[0], r[1])
		}
	}
}

func testEmptyObject(t *testing.T, f *fixture) {
	f.bucket("bkt")
	info := f.put("bkt", "empty", nil, s3api.ObjectMeta{})
	if info.Size != 0 || info.ETag != "d41d8cd98f00b204e9800998ecf8427e" {
		t.Errorf("empty object: size %d ETag %q; want 0 and the md5 of nothing", info.Size, info.ETag)
	}
	if got := f.read("bkt", "empty", 0, 0); len(got) != 0 {
		t.Errorf("GetObject of an empty object returned %d bytes", len(got))
	}
}

func testUnknownSize(t *testing.T, f *fixture) {
	f.bucket("bkt")
	data := randomBytes(70_000)
	p := newPayload(data)
	info, err := f.b.PutObject(f.ctx, s3api.PutObjectInput{Bucket: "bkt", Key: "k", Size: -1,
		Body: io.MultiReader(bytes.NewReader(data[:10]), bytes.NewReader(data[10:])), Digests: p.digests})
	f.noErr("PutObject with size -1", err)
	if info.Size != int64(len(data)) || !bytes.Equal(f.read("bkt", "k", 0, info.Size), data) {
		t.Errorf("size -1 upload: stored size %d; want %d bytes back", info.Size, len(data))
	}
}

func testOverwrite(t *testing.T, f *fixture) {
	f.bucket("bkt")
	first := f.put("bkt", "k", []byte("first version"), s3api.ObjectMeta{ContentType: "a/b"})
	second := f.put("bkt", "k", []byte("second"), s3api.ObjectMeta{ContentType: "c/d"})
	info, err := f.b.HeadObject(f.ctx, "bkt", "k", "")
	f.noErr("HeadObject", err)
	if info.ID != second.ID || info.ID == first.ID || info.Meta.ContentType != "c/d" {
		t.Errorf("after overwrite HeadObject = %+v; want the second version", info)
	}
	if got := f.read("bkt", "k", 0, 6); string(got) != "second" {
		t.Errorf("after overwrite GetObject = %q; want second", got)
	}
	// The replaced version is never served as the new bytes.
	rc, err := f.b.GetObject(f.ctx, first, 0, first.Size)
	if err == nil {
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != "first version" {
			t.Errorf("GetObject(old version) = %q; want the old bytes or an error", got)
		}
	}
}

func testIfNoneMatch(t *testing.T, f *fixture) {
	f.bucket("bkt")
	p := newPayload([]byte("x"))
	in := s3api.PutObjectInput{Bucket: "bkt", Key: "k", Size: 1, Body: bytes.NewReader(p.data), Digests: p.digests, Condition: s3api.WriteCondition{IfNoneMatch: true}}
	_, err := f.b.PutObject(f.ctx, in)
	f.noErr("PutObject IfNoneMatch on a new key", err)
	in.Body = bytes.NewReader([]byte("y"))
	_, err = f.b.PutObject(f.ctx, in)
	f.wantErr("PutObject IfNoneMatch on an existing key", err, s3api.ErrPreconditionFailed)
	if got := f.read("bkt", "k", 0, 1); string(got) != "x" {
		t.Errorf("after refused overwrite object = %q; want x", got)
	}
}

// failingReader yields some bytes, then fails as a rejected payload does.
type failingReader struct{ n int }

var errPayload = errors.New("payload failed verification")

func (r *failingReader) Read(b []byte) (int, error) {
	if r.n <= 0 {
		return 0, errPayload
	}
	n := min(len(b), r.n)
	r.n -= n
	return n, nil
}

func testFailedBody(t *testing.T, f *fixture) {
	f.bucket("bkt")
	f.put("bkt", "old", []byte("kept"), s3api.ObjectMeta{})
	for _, key := range []string{"new", "old"} {
		_, err := f.b.PutObject(f.ctx, s3api.PutObjectInput{Bucket: "bkt", Key: key, Size: 100,
			Body: &failingReader{n: 50}, Digests: newPayload(nil).digests})
		f.wantErr("PutObject with a failing body", err, errPayload)
	}
	_, err := f.b.HeadObject(f.ctx, "bkt", "new", "")
	f.wantErr("HeadObject after a failed put", err, s3api.ErrNoSuchKey)
	if got := f.read("bkt", "old", 0, 4); string(got) != "kept" {
		t.Errorf("failed overwrite changed the object to %q", got)
	}
}

func testShortBody(t *testing.T, f *fixture) {
	f.bucket("bkt")
	_, err := f.b.PutObject(f.ctx, s3api.PutObjectInput{Bucket: "bkt", Key: "k", Size: 10,
		Body: bytes.NewReader([]byte("short")), Digests: newPayload([]byte("short")).digests})
	if err == nil {
		t.Fatalf("PutObject with 5 of 10 declared bytes succeeded")
	}
	_, err = f.b.HeadObject(f.ctx, "bkt", "k", "")
	f.wantErr("HeadObject after a short body", err, s3api.ErrNoSuchKey)
}

func testCancelled(t *testing.T, f *fixture) {
	f.bucket("bkt")
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	_, err := f.b.PutObject(ctx, s3api.PutObjectInput{Bucket: "bkt", Key: "k", Size: 1,
		Body: bytes.NewReader([]byte("x")), Digests: newPayload([]byte("x")).digests})
	if err == nil {
		t.Fatalf("PutObject with a cancelled context succeeded")
	}
	_, err = f.b.HeadObject(f.ctx, "bkt", "k", "")
	f.wantErr("HeadObject after a cancelled put", err, s3api.ErrNoSuchKey)
}

func testDelete(t *testing.T, f *fixture) {
	f.bucket("bkt")
	f.put("bkt", "k", []byte("x"), s3api.ObjectMeta{})
	f.noErr("DeleteObject", f.del("bkt", "k"))
	_, err := f.b.HeadObject(f.ctx, "bkt", "k", "")
	f.wantErr("HeadObject after delete", err, s3api.ErrNoSuchKey)
	f.noErr("DeleteObject of a missing key", f.del("bkt", "k"))
}

func testCopy(t *testing.T, f *fixture) {
	f.bucket("src")
	f.bucket("dst")
	data := randomBytes(3000)
	src := f.put("src", "k", data, fullMeta)
	kept, err := f.b.CopyObject(f.ctx, src, "dst", "copy", src.Meta)
	f.noErr("CopyObject (COPY)", err)
	if kept.ETag != src.ETag || !reflect.DeepEqual(kept.Meta, fullMeta) || kept.Size != src.Size {
		t.Errorf("CopyObject (COPY) = %+v; want the source's ETag, size and metadata", kept)
	}
	repl := s3api.ObjectMeta{ContentType: "new/type", UserMetadata: map[string]string{"a": "b"}}
	replaced, err := f.b.CopyObject(f.ctx, src, "dst", "replaced", repl)
	f.noErr("CopyObject (REPLACE)", err)
	if !reflect.DeepEqual(replaced.Meta, repl) {
		t.Errorf("CopyObject (REPLACE) meta = %+v; want %+v", replaced.Meta, repl)
	}
	for _, key := range []string{"copy", "replaced"} {
		if got := f.read("dst", key, 0, int64(len(data))); !bytes.Equal(got, data) {
			t.Errorf("copied object %s differs from the source", key)
		}
	}
}

func testConcurrentOverwrites(t *testing.T, f *fixture) {
	f.bucket("bkt")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			data := bytes.Repeat([]byte{byte('a' + i)}, 4096)
			p := newPayload(data)
			_, err := f.b.PutObject(f.ctx, s3api.PutObjectInput{Bucket: "bkt", Key: fmt.Sprint("k", i%2),
				Size: 4096, Body: bytes.NewReader(data), Digests: p.digests})
			if err != nil {
				t.Errorf("concurrent PutObject: %v", err)
			}
		})
	}
	wg.Wait()
	for _, key := range []string{"k0", "k1"} {
		got := f.read("bkt", key, 0, 4096)
		if !bytes.Equal(got, bytes.Repeat(got[:1], 4096)) {
			t.Errorf("%s mixes writers' bytes", key)
		}
	}
}
