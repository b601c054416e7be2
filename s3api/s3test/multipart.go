package s3test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"sixfold/s3api"
	"sixfold/s3api/sigv4"
)

// multipartTests check s3api.MultipartBackend.
var multipartTests = []test{
	{"CompleteAssembles", testComplete},
	{"OnePartUpload", testOnePart},
	{"ReplacePart", testReplacePart},
	{"InvalidParts", testInvalidParts},
	{"EntityTooSmall", testEntityTooSmall},
	{"UnknownUpload", testUnknownUpload},
	{"Abort", testAbort},
	{"CompleteIfNoneMatch", testCompleteIfNoneMatch},
	{"ListParts", testListParts},
	{"ListUploads", testListUploads},
}

// mib is a mebibyte.
const mib = 1 << 20

// create starts an upload.
func (f *fixture) create(bucket, key string, meta s3api.ObjectMeta) string {
	f.t.Helper()
	id, err := f.b.CreateMultipartUpload(f.ctx, bucket, key, meta)
	f.noErr("CreateMultipartUpload", err)
	if id == "" {
		f.t.Fatalf("CreateMultipartUpload returned an empty upload id")
	}
	return id
}

// part uploads one part with CRC32 and SHA256 checksums.
func (f *fixture) part(bucket, key, id string, n int, data []byte) s3api.PartInfo {
	f.t.Helper()
	p := newPayload(data)
	info, err := f.b.UploadPart(f.ctx, s3api.UploadPartInput{Bucket: bucket, Key: key, UploadID: id,
		PartNumber: n, Size: int64(len(data)), Body: bytes.NewReader(data), Digests: p.digests})
	f.noErr(fmt.Sprint("UploadPart ", n), err)
	if info.PartNumber != n || info.ETag != p.etag() || info.Size != int64(len(data)) {
		f.t.Fatalf("UploadPart %d = %+v; want number %d, ETag %s, size %d", n, info, n, p.etag(), len(data))
	}
	return info
}

// complete lists parts by number and ETag.
func complete(parts ...s3api.PartInfo) []s3api.CompletePart {
	var out []s3api.CompletePart
	for _, p := range parts {
		out = append(out, s3api.CompletePart{PartNumber: p.PartNumber, ETag: p.ETag})
	}
	return out
}

// multipartETag is md5(concatenated binary part MD5s) + "-N".
func multipartETag(parts ...s3api.PartInfo) string {
	var all []byte
	for _, p := range parts {
		sum, _ := hex.DecodeString(p.ETag)
		all = append(all, sum...)
	}
	sum := md5.Sum(all)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(sum[:]), len(parts))
}

func testComplete(t *testing.T, f *fixture) {
	f.bucket("bkt")
	id := f.create("bkt", "big", fullMeta)
	a, b, c := randomBytes(5*mib), randomBytes(5*mib+3), randomBytes(1234)
	p1, p2, p3 := f.part("bkt", "big", id, 1, a), f.part("bkt", "big", id, 2, b), f.part("bkt", "big", id, 4, c)
	info, err := f.b.CompleteMultipartUpload(f.ctx, "bkt", "big", id, complete(p1, p2, p3), s3api.WriteCondition{})
	f.noErr("CompleteMultipartUpload", err)
	want := slicesConcat(a, b, c)
	if info.ETag != multipartETag(p1, p2, p3) || info.Size != int64(len(want)) {
		t.Errorf("Complete: ETag %q size %d; want %q size %d", info.ETag, info.Size, multipartETag(p1, p2, p3), len(want))
	}
	head, err := f.b.HeadObject(f.ctx, "bkt", "big", "")
	f.noErr("HeadObject", err)
	checkParts(t, head, []int64{int64(len(a)), int64(len(b)), int64(len(c))})
	if head.Meta.ContentType != fullMeta.ContentType || head.Meta.UserMetadata["color"] != "blue" {
		t.Errorf("multipart object meta = %+v; want the CreateMultipartUpload meta", head.Meta)
	}
	checkComposite(t, head)
	if got := f.read("bkt", "big", 0, head.Size); !bytes.Equal(got, want) {
		t.Errorf("multipart object bytes differ from the parts")
	}
	if got := f.read("bkt", "big", int64(len(a))-5, 10); !bytes.Equal(got, want[len(a)-5:len(a)+5]) {
		t.Errorf("a read across parts differs")
	}
}

// slicesConcat joins byte slices.
func slicesConcat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}

// checkParts compares an object's Parts with sizes, numbered from 1 on
// in order of completion.
func checkParts(t *testing.T, info s3api.ObjectInfo, sizes []int64) {
	t.Helper()
	if len(info.Parts) != len(sizes) {
		t.Fatalf("object has %d parts; want %d", len(info.Parts), len(sizes))
	}
	for i, p := range info.Parts {
		if p.Size != sizes[i] || p.ETag == "" {
			t.Errorf("part %d: size %d ETag %q; want size %d", i+1, p.Size, p.ETag, sizes[i])
		}
	}
}

// checkComposite checks the checksums a backend returns for a multipart
// object, if any: COMPOSITE values with the "-N" suffix, computed over
// the parts' checksums. A wrong value would fail every AWS SDK download.
func checkComposite(t *testing.T, info s3api.ObjectInfo) {
	t.Helper()
	for alg, got := range info.Checksums {
		h, err := sigv4.NewChecksum(alg)
		if err != nil {
			t.Errorf("unknown checksum algorithm %q", alg)
			continue
		}
		for _, p := range info.Parts {
			raw, _ := base64.StdEncoding.DecodeString(p.Checksums[alg])
			h.Write(raw)
		}
		want := fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(h.Sum(nil)), len(info.Parts))
		if got != want {
			t.Errorf("composite %s = %q; want %q", alg, got, want)
		}
	}
}

func testOnePart(t *testing.T, f *fixture) {
	f.bucket("bkt")
	id := f.create("bkt", "small", s3api.ObjectMeta{})
	p := f.part("bkt", "small", id, 1, []byte("tiny"))
	info, err := f.b.CompleteMultipartUpload(f.ctx, "bkt", "small", id, complete(p), s3api.WriteCondition{})
	f.noErr("Complete with one small part", err)
	if !strings.HasSuffix(info.ETag, "-1") || string(f.read("bkt", "small", 0, 4)) != "tiny" {
		t.Errorf("one-part upload: ETag %q; want a -1 suffix and the bytes back", info.ETag)
	}
}

func testReplacePart(t *testing.T, f *fixture) {
	f.bucket("bkt")
	id := f.create("bkt", "k", s3api.ObjectMeta{})
	f.part("bkt", "k", id, 1, []byte("old"))
	p := f.part("bkt", "k", id, 1, []byte("new!"))
	_, err := f.b.CompleteMultipartUpload(f.ctx, "bkt", "k", id, complete(p), s3api.WriteCondition{})
	f.noErr("Complete", err)
	if got := f.read("bkt", "k", 0, 4); string(got) != "new!" {
		t.Errorf("replaced part: object = %q; want new!", got)
	}
}

func testInvalidParts(t *testing.T, f *fixture) {
	f.bucket("bkt")
	id := f.create("bkt", "k", s3api.ObjectMeta{})
	p := f.part("bkt", "k", id, 1, []byte("data"))
	wrongETag := []s3api.CompletePart{{PartNumber: 1, ETag: strings.Repeat("0", 32)}}
	_, err := f.b.CompleteMultipartUpload(f.ctx, "bkt", "k", id, wrongETag, s3api.WriteCondition{})
	f.wantErr("Complete with a wrong ETag", err, s3api.ErrInvalidPart)
	missing := append(complete(p), s3api.CompletePart{PartNumber: 2, ETag: p.ETag})
	_, err = f.b.CompleteMultipartUpload(f.ctx, "bkt", "k", id, missing, s3api.WriteCondition{})
	f.wantErr("Complete with a missing part", err, s3api.ErrInvalidPart)
	_, err = f.b.HeadObject(f.ctx, "bkt", "k", "")
	f.wantErr("HeadObject after failed completes", err, s3api.ErrNoSuchKey)
	_, err = f.b.CompleteMultipartUpload(f.ctx, "bkt", "k", id, complete(p), s3api.WriteCondition{})
	f.noErr("Complete after failed attempts", err)
}

func testEntityTooSmall(t *testing.T, f *fixture) {
	f.bucket("bkt")
	id := f.create("bkt", "k", s3api.ObjectMeta{})
	p1 := f.part("bkt", "k", id, 1, randomBytes(5*mib-1))
	p2 := f.part("bkt", "k", id, 2, []byte("last"))
	_, err := f.b.CompleteMultipartUpload(f.ctx, "bkt", "k", id, complete(p1, p2), s3api.WriteCondition{})
	f.wantErr("Complete with a small first part", err, s3api.ErrEntityTooSmall)
}

func testUnknownUpload(t *testing.T, f *fixture) {
	f.bucket("bkt")
	id := f.create("bkt", "k", s3api.ObjectMeta{})
	for _, c := range []struct{ key, id string }{{"k", "no-such-upload"}, {"other", id}} {
		_, err := f.b.UploadPart(f.ctx, s3api.UploadPartInput{Bucket: "bkt", Key: c.key, UploadID: c.id,
			PartNumber: 1, Size: 1, Body: bytes.NewReader([]byte("x")), Digests: newPayload([]byte("x")).digests})
		f.wantErr("UploadPart "+c.key+"/"+c.id, err, s3api.ErrNoSuchUpload)
		_, err = f.b.CompleteMultipartUpload(f.ctx, "bkt", c.key, c.id, []s3api.CompletePart{{PartNumber: 1, ETag: "x"}}, s3api.WriteCondition{})
		f.wantErr("Complete "+c.key+"/"+c.id, err, s3api.ErrNoSuchUpload)
		_, _, err = f.b.ListParts(f.ctx, "bkt", c.key, c.id, 0, 10)
		f.wantErr("ListParts "+c.key+"/"+c.id, err, s3api.ErrNoSuchUpload)
		f.wantErr("Abort "+c.key+"/"+c.id, f.b.AbortMultipartUpload(f.ctx, "bkt", c.key, c.id), s3api.ErrNoSuchUpload)
	}
}

func testAbort(t *testing.T, f *fixture) {
	f.bucket("bkt")
	id := f.create("bkt", "k", s3api.ObjectMeta{})
	p := f.part("bkt", "k", id, 1, []byte("x"))
	f.noErr("Abort", f.b.AbortMultipartUpload(f.ctx, "bkt", "k", id))
	_, err := f.b.CompleteMultipartUpload(f.ctx, "bkt", "k", id, complete(p), s3api.WriteCondition{})
	f.wantErr("Complete after abort", err, s3api.ErrNoSuchUpload)
	uploads, _, err := f.b.ListMultipartUploads(f.ctx, "bkt", "", "", "", 10)
	f.noErr("ListMultipartUploads", err)
	if len(uploads) != 0 {
		t.Errorf("after abort %d uploads remain", len(uploads))
	}
}

func testCompleteIfNoneMatch(t *testing.T, f *fixture) {
	f.bucket("bkt")
	f.put("bkt", "k", []byte("existing"), s3api.ObjectMeta{})
	id := f.create("bkt", "k", s3api.ObjectMeta{})
	p := f.part("bkt", "k", id, 1, []byte("x"))
	_, err := f.b.CompleteMultipartUpload(f.ctx, "bkt", "k", id, complete(p), s3api.WriteCondition{IfNoneMatch: true})
	f.wantErr("Complete ifNoneMatch over an existing key", err, s3api.ErrPreconditionFailed)
	if got := f.read("bkt", "k", 0, 8); string(got) != "existing" {
		t.Errorf("refused complete changed the object to %q", got)
	}
}

func testListParts(t *testing.T, f *fixture) {
	f.bucket("bkt")
	id := f.create("bkt", "k", s3api.ObjectMeta{})
	for _, n := range []int{3, 1, 2, 10} {
		f.part("bkt", "k", id, n, []byte(fmt.Sprint("part", n)))
	}
	parts, truncated, err := f.b.ListParts(f.ctx, "bkt", "k", id, 1, 2)
	f.noErr("ListParts", err)
	if len(parts) != 2 || parts[0].PartNumber != 2 || parts[1].PartNumber != 3 || !truncated {
		t.Errorf("ListParts(after 1, limit 2) = %+v truncated=%v; want parts 2, 3 and truncated", parts, truncated)
	}
	if parts[0].Checksums["CRC32"] != checksum("CRC32", []byte("part2")) {
		t.Errorf("part 2 checksums = %v; want the uploaded CRC32", parts[0].Checksums)
	}
	parts, truncated, err = f.b.ListParts(f.ctx, "bkt", "k", id, 3, 10)
	f.noErr("ListParts", err)
	if len(parts) != 1 || parts[0].PartNumber != 10 || truncated {
		t.Errorf("ListParts(after 3) = %+v truncated=%v; want part 10 only", parts, truncated)
	}
}

func testListUploads(t *testing.T, f *fixture) {
	f.bucket("bkt")
	ids := map[string]string{}
	for _, k := range []string{"b", "a", "a", "c/x"} {
		ids[f.create("bkt", k, s3api.ObjectMeta{})] = k
	}
	all, truncated, err := f.b.ListMultipartUploads(f.ctx, "bkt", "", "", "", 100)
	f.noErr("ListMultipartUploads", err)
	if len(all) != 4 || truncated {
		t.Fatalf("ListMultipartUploads = %d uploads truncated=%v; want 4", len(all), truncated)
	}
	for i, u := range all {
		if ids[u.UploadID] != u.Key || u.Initiated.IsZero() {
			t.Errorf("upload %+v: wrong key or no initiation time", u)
		}
		if i > 0 && (u.Key < all[i-1].Key || u.Key == all[i-1].Key && u.UploadID <= all[i-1].UploadID) {
			t.Errorf("uploads not ordered by (key, id): %+v after %+v", u, all[i-1])
		}
	}
	page, truncated, err := f.b.ListMultipartUploads(f.ctx, "bkt", "", all[0].Key, all[0].UploadID, 2)
	f.noErr("ListMultipartUploads after a marker", err)
	if len(page) != 2 || page[0] != all[1] || page[1] != all[2] || !truncated {
		t.Errorf("after marker: %+v truncated=%v; want uploads 2 and 3, truncated", page, truncated)
	}
	page, _, err = f.b.ListMultipartUploads(f.ctx, "bkt", "c/", "", "", 100)
	f.noErr("ListMultipartUploads with a prefix", err)
	if len(page) != 1 || page[0].Key != "c/x" {
		t.Errorf("prefix c/: %+v; want the c/x upload", page)
	}
}
