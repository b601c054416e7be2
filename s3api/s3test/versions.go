package s3test

import (
	"bytes"
	"io"
	"reflect"
	"testing"

	"sixfold/s3api"
)

var versionTests = []test{
	{"EnabledKeepsEveryVersion", testEnabledKeepsVersions},
	{"DeleteMarkerAndRestore", testDeleteMarker},
	{"SuspendedWritesNull", testSuspended},
	{"UnversionedListsNull", testUnversionedVersions},
	{"ListVersionsPaging", testVersionPaging},
	{"ListVersionsDelimiter", testVersionDelimiter},
	{"BucketNotEmptyWithVersions", testBucketWithVersions},
	{"CopySharesBytes", testCopyShares},
	{"CopyOntoItselfReplacesMeta", testCopyOntoItself},
	{"UploadPartCopyRanges", testUploadPartCopy},
	{"UploadPartCopyAcrossParts", testUploadPartCopyAcrossParts},
	{"ObjectTagging", testObjectTagging},
	{"BucketSettings", testBucketSettings},
	{"IfMatch", testIfMatch},
}

// versioned creates a versioning-enabled bucket.
func (f *fixture) versioned(name string) string {
	f.bucket(name)
	f.noErr("PutBucketVersioning", f.b.PutBucketVersioning(f.ctx, name, s3api.VersioningEnabled))
	return name
}

// readVersion returns the whole bytes of one version.
func (f *fixture) readVersion(bucket, key, versionID string) []byte {
	f.t.Helper()
	info, err := f.b.HeadObject(f.ctx, bucket, key, versionID)
	f.noErr("HeadObject("+versionID+")", err)
	rc, err := f.b.GetObject(f.ctx, info, 0, info.Size)
	f.noErr("GetObject("+versionID+")", err)
	defer rc.Close()
	data, err := io.ReadAll(rc)
	f.noErr("reading", err)
	return data
}

// versions lists every version of a bucket in one page.
func (f *fixture) versions(bucket string) []s3api.ObjectInfo {
	f.t.Helper()
	page, err := f.b.ListObjectVersions(f.ctx, bucket, s3api.VersionQuery{Limit: 1000})
	f.noErr("ListObjectVersions", err)
	return page.Versions
}

func testEnabledKeepsVersions(t *testing.T, f *fixture) {
	f.versioned("bkt")
	var ids []string
	for _, body := range []string{"one", "two!", "three"} {
		info := f.put("bkt", "k", []byte(body), s3api.ObjectMeta{})
		if info.VersionID == "" || info.VersionID == s3api.NullVersion {
			t.Fatalf("PutObject in an enabled bucket: version id %q; want a new one", info.VersionID)
		}
		ids = append(ids, info.VersionID)
	}
	for i, body := range []string{"one", "two!", "three"} {
		if got := f.readVersion("bkt", "k", ids[i]); string(got) != body {
			t.Errorf("version %d = %q; want %q", i, got, body)
		}
	}
	if got := f.read("bkt", "k", 0, 5); string(got) != "three" {
		t.Errorf("latest = %q; want three", got)
	}
	vs := f.versions("bkt")
	if len(vs) != 3 || vs[0].VersionID != ids[2] || !vs[0].IsLatest || vs[1].IsLatest || vs[2].VersionID != ids[0] {
		t.Fatalf("ListObjectVersions = %+v; want three versions, newest first, the first latest", vs)
	}
	_, err := f.b.HeadObject(f.ctx, "bkt", "k", "no-such-version")
	f.wantErr("HeadObject of an unknown version", err, s3api.ErrNoSuchVersion)
	del, err := f.b.DeleteObject(f.ctx, "bkt", "k", ids[2])
	f.noErr("DeleteObject(version)", err)
	if del.VersionID != ids[2] || del.DeleteMarker {
		t.Errorf("DeleteObject(version) = %+v; want that version, no marker", del)
	}
	if got := f.read("bkt", "k", 0, 4); string(got) != "two!" {
		t.Errorf("after deleting the latest version, latest = %q; want two!", got)
	}
}

func testDeleteMarker(t *testing.T, f *fixture) {
	f.versioned("bkt")
	v1 := f.put("bkt", "k", []byte("kept"), s3api.ObjectMeta{})
	del, err := f.b.DeleteObject(f.ctx, "bkt", "k", "")
	f.noErr("DeleteObject", err)
	if !del.DeleteMarker || del.VersionID == "" || del.VersionID == v1.VersionID {
		t.Fatalf("DeleteObject in an enabled bucket = %+v; want a new delete marker", del)
	}
	info, err := f.b.HeadObject(f.ctx, "bkt", "k", "")
	f.wantErr("HeadObject behind a delete marker", err, s3api.ErrNoSuchKey)
	if !info.DeleteMarker || info.VersionID != del.VersionID {
		t.Errorf("HeadObject behind a delete marker: info %+v; want the marker", info)
	}
	_, err = f.b.HeadObject(f.ctx, "bkt", "k", del.VersionID)
	f.wantErr("HeadObject of the marker's version", err, s3api.ErrMethodNotAllowed)
	page, err := f.b.ListObjects(f.ctx, "bkt", s3api.ListQuery{Limit: 10})
	f.noErr("ListObjects", err)
	if len(page.Objects) != 0 {
		t.Errorf("ListObjects behind a delete marker = %+v; want nothing", page.Objects)
	}
	if got := f.readVersion("bkt", "k", v1.VersionID); string(got) != "kept" {
		t.Errorf("old version behind a marker = %q; want kept", got)
	}
	vs := f.versions("bkt")
	if len(vs) != 2 || !vs[0].DeleteMarker || !vs[0].IsLatest || vs[1].VersionID != v1.VersionID {
		t.Fatalf("ListObjectVersions = %+v; want the marker (latest) then the version", vs)
	}
	undo, err := f.b.DeleteObject(f.ctx, "bkt", "k", del.VersionID)
	f.noErr("DeleteObject(marker)", err)
	if !undo.DeleteMarker {
		t.Errorf("deleting the marker: %+v; want DeleteMarker set", undo)
	}
	if got := f.read("bkt", "k", 0, 4); string(got) != "kept" {
		t.Errorf("after removing the marker = %q; want kept", got)
	}
}

func testSuspended(t *testing.T, f *fixture) {
	f.versioned("bkt")
	v1 := f.put("bkt", "k", []byte("versioned"), s3api.ObjectMeta{})
	f.noErr("suspend", f.b.PutBucketVersioning(f.ctx, "bkt", s3api.VersioningSuspended))
	a := f.put("bkt", "k", []byte("null a"), s3api.ObjectMeta{})
	b := f.put("bkt", "k", []byte("null b"), s3api.ObjectMeta{})
	if a.VersionID != s3api.NullVersion || b.VersionID != s3api.NullVersion {
		t.Fatalf("PutObject in a suspended bucket: versions %q, %q; want null", a.VersionID, b.VersionID)
	}
	vs := f.versions("bkt")
	if len(vs) != 2 || vs[0].VersionID != s3api.NullVersion || vs[1].VersionID != v1.VersionID {
		t.Fatalf("ListObjectVersions = %+v; want null (replaced once) and the enabled version", vs)
	}
	if got := f.readVersion("bkt", "k", s3api.NullVersion); string(got) != "null b" {
		t.Errorf("null version = %q; want null b", got)
	}
	del, err := f.b.DeleteObject(f.ctx, "bkt", "k", "")
	f.noErr("DeleteObject", err)
	if !del.DeleteMarker || del.VersionID != s3api.NullVersion {
		t.Errorf("DeleteObject in a suspended bucket = %+v; want a null delete marker", del)
	}
	if vs := f.versions("bkt"); len(vs) != 2 || !vs[0].DeleteMarker {
		t.Errorf("after delete: %+v; want the null marker replacing the null version", vs)
	}
}

func testUnversionedVersions(t *testing.T, f *fixture) {
	f.bucket("bkt")
	info := f.put("bkt", "a", []byte("1"), s3api.ObjectMeta{})
	f.put("bkt", "a", []byte("2"), s3api.ObjectMeta{})
	f.put("bkt", "b", []byte("3"), s3api.ObjectMeta{})
	if info.VersionID != "" {
		t.Errorf("PutObject in an unversioned bucket: version %q; want none", info.VersionID)
	}
	vs := f.versions("bkt")
	if len(vs) != 2 || vs[0].Key != "a" || vs[1].Key != "b" || !vs[0].IsLatest || vs[0].Size != 1 {
		t.Fatalf("ListObjectVersions = %+v; want a and b once each, latest", vs)
	}
	for _, v := range vs {
		if v.VersionID != "" && v.VersionID != s3api.NullVersion {
			t.Errorf("version id %q; want null", v.VersionID)
		}
	}
	del, err := f.b.DeleteObject(f.ctx, "bkt", "a", "")
	f.noErr("DeleteObject", err)
	if del.DeleteMarker {
		t.Errorf("DeleteObject in an unversioned bucket made a marker")
	}
	if vs := f.versions("bkt"); len(vs) != 1 {
		t.Errorf("after delete: %+v; want only b", vs)
	}
}

func testVersionPaging(t *testing.T, f *fixture) {
	f.versioned("bkt")
	for _, key := range []string{"a", "b", "c"} {
		for range 3 {
			f.put("bkt", key, []byte(key), s3api.ObjectMeta{})
		}
	}
	all := f.versions("bkt")
	var got []s3api.ObjectInfo
	q := s3api.VersionQuery{Limit: 2}
	for range 10 {
		page, err := f.b.ListObjectVersions(f.ctx, "bkt", q)
		f.noErr("ListObjectVersions page", err)
		got = append(got, page.Versions...)
		if !page.Truncated {
			break
		}
		last := page.Versions[len(page.Versions)-1]
		q.AfterKey, q.AfterVersion = last.Key, last.VersionID
	}
	if len(got) != 9 || len(all) != 9 {
		t.Fatalf("paged %d versions, one page %d; want 9", len(got), len(all))
	}
	for i := range all {
		if got[i].VersionID != all[i].VersionID {
			t.Fatalf("page entry %d = %s/%s; want %s/%s", i, got[i].Key, got[i].VersionID, all[i].Key, all[i].VersionID)
		}
	}
	page, err := f.b.ListObjectVersions(f.ctx, "bkt", s3api.VersionQuery{AfterKey: "b", Limit: 10})
	f.noErr("ListObjectVersions after a key marker", err)
	if len(page.Versions) != 3 || page.Versions[0].Key != "c" {
		t.Errorf("after key marker b: %+v; want the three versions of c", page.Versions)
	}
}

func testVersionDelimiter(t *testing.T, f *fixture) {
	f.versioned("bkt")
	for _, key := range []string{"a/1", "a/2", "b", "c/1", "c/2/x"} {
		f.put("bkt", key, []byte(key), s3api.ObjectMeta{})
		f.put("bkt", key, []byte(key), s3api.ObjectMeta{})
	}
	page, err := f.b.ListObjectVersions(f.ctx, "bkt", s3api.VersionQuery{Delimiter: "/", Limit: 100})
	f.noErr("ListObjectVersions", err)
	if !reflect.DeepEqual(page.Prefixes, []string{"a/", "c/"}) || len(page.Versions) != 2 || page.Versions[0].Key != "b" {
		t.Fatalf("delimited versions: prefixes %v, %d versions; want [a/ c/] and b's two", page.Prefixes, len(page.Versions))
	}
	page, err = f.b.ListObjectVersions(f.ctx, "bkt", s3api.VersionQuery{Delimiter: "/", AfterKey: "a/", Limit: 100})
	f.noErr("ListObjectVersions after a prefix", err)
	if !reflect.DeepEqual(page.Prefixes, []string{"c/"}) || len(page.Versions) != 2 {
		t.Errorf("after marker a/: prefixes %v, %d versions; want [c/] and b's two", page.Prefixes, len(page.Versions))
	}
	page, err = f.b.ListObjectVersions(f.ctx, "bkt", s3api.VersionQuery{Prefix: "c/", Delimiter: "/", Limit: 100})
	f.noErr("ListObjectVersions under c/", err)
	if !reflect.DeepEqual(page.Prefixes, []string{"c/2/"}) || len(page.Versions) != 2 || page.Versions[0].Key != "c/1" {
		t.Errorf("under c/: prefixes %v, %+v; want [c/2/] and c/1's two versions", page.Prefixes, page.Versions)
	}
}

func testBucketWithVersions(t *testing.T, f *fixture) {
	f.versioned("bkt")
	v := f.put("bkt", "k", []byte("x"), s3api.ObjectMeta{})
	del, err := f.b.DeleteObject(f.ctx, "bkt", "k", "")
	f.noErr("DeleteObject", err)
	f.wantErr("DeleteBucket with a version and a marker", f.b.DeleteBucket(f.ctx, "bkt"), s3api.ErrBucketNotEmpty)
	_, err = f.b.DeleteObject(f.ctx, "bkt", "k", v.VersionID)
	f.noErr("DeleteObject(version)", err)
	f.wantErr("DeleteBucket with a marker", f.b.DeleteBucket(f.ctx, "bkt"), s3api.ErrBucketNotEmpty)
	_, err = f.b.DeleteObject(f.ctx, "bkt", "k", del.VersionID)
	f.noErr("DeleteObject(marker)", err)
	f.noErr("DeleteBucket emptied", f.b.DeleteBucket(f.ctx, "bkt"))
}

func testCopyShares(t *testing.T, f *fixture) {
	f.bucket("bkt")
	data := randomBytes(3<<20 + 17)
	src := f.put("bkt", "src", data, s3api.ObjectMeta{ContentType: "a/b"})
	meta := s3api.ObjectMeta{ContentType: "c/d", Tags: map[string]string{"t": "1"}}
	dst, err := f.b.CopyObject(f.ctx, src, "bkt", "dst", meta)
	f.noErr("CopyObject", err)
	if dst.ETag != src.ETag || dst.Size != src.Size || dst.Meta.ContentType != "c/d" {
		t.Errorf("copy = %+v; want the source's ETag and size, the new meta", dst)
	}
	f.noErr("delete source", f.del("bkt", "src"))
	if got := f.read("bkt", "dst", 0, int64(len(data))); !bytes.Equal(got, data) {
		t.Fatalf("copy after deleting its source: %d bytes differ from the %d put", len(got), len(data))
	}
	again, err := f.b.HeadObject(f.ctx, "bkt", "dst", "")
	f.noErr("HeadObject(copy)", err)
	second, err := f.b.CopyObject(f.ctx, again, "bkt", "second", again.Meta)
	f.noErr("CopyObject of the copy", err)
	f.noErr("delete first copy", f.del("bkt", "dst"))
	if got := f.read("bkt", "second", 1<<20, 100); !bytes.Equal(got, data[1<<20:1<<20+100]) {
		t.Fatalf("copy of a copy, both others deleted: bytes differ")
	}
	if !reflect.DeepEqual(second.Meta.Tags, map[string]string{"t": "1"}) {
		t.Errorf("copy's tags = %v; want t=1", second.Meta.Tags)
	}
}

func testCopyOntoItself(t *testing.T, f *fixture) {
	f.bucket("bkt")
	src := f.put("bkt", "k", []byte("same bytes"), s3api.ObjectMeta{ContentType: "old/type"})
	_, err := f.b.CopyObject(f.ctx, src, "bkt", "k", s3api.ObjectMeta{ContentType: "new/type"})
	f.noErr("CopyObject onto itself", err)
	info, err := f.b.HeadObject(f.ctx, "bkt", "k", "")
	f.noErr("HeadObject", err)
	if info.Meta.ContentType != "new/type" || info.ETag != src.ETag {
		t.Errorf("after self-copy: %+v; want new/type and the same ETag", info)
	}
	if got := f.read("bkt", "k", 0, 10); string(got) != "same bytes" {
		t.Errorf("after self-copy = %q; want same bytes", got)
	}
}

func testUploadPartCopy(t *testing.T, f *fixture) {
	f.bucket("bkt")
	data := randomBytes(6<<20 + 5)
	src := f.put("bkt", "src", data, s3api.ObjectMeta{})
	id := f.create("bkt", "dst", s3api.ObjectMeta{})
	ranges := [][2]int64{{1 << 20, 5 << 20}, {0, 7}}
	parts, want := f.copyRanges("bkt", "dst", id, src, data, ranges)
	_, err := f.b.CompleteMultipartUpload(f.ctx, "bkt", "dst", id, parts, s3api.WriteCondition{})
	f.noErr("CompleteMultipartUpload", err)
	f.noErr("delete source", f.del("bkt", "src"))
	if got := f.read("bkt", "dst", 0, int64(len(want))); !bytes.Equal(got, want) {
		t.Fatalf("object of copied ranges: %d bytes differ from the %d expected", len(got), len(want))
	}
}

// copyRanges makes each [offset, length] range of src (whose bytes are
// data) a part of upload id, numbered from 1, and returns the parts to
// complete it with and the bytes the object will hold.
func (f *fixture) copyRanges(bucket, key, id string, src s3api.ObjectInfo, data []byte, ranges [][2]int64) ([]s3api.CompletePart, []byte) {
	f.t.Helper()
	var parts []s3api.CompletePart
	var want []byte
	for i, r := range ranges {
		p, err := f.b.UploadPartCopy(f.ctx, s3api.UploadPartCopyInput{Bucket: bucket, Key: key, UploadID: id,
			PartNumber: i + 1, Src: src, Offset: r[0], Length: r[1]})
		f.noErr("UploadPartCopy", err)
		if p.Size != r[1] || p.ETag == "" {
			f.t.Fatalf("UploadPartCopy part %d = %+v; want size %d and an ETag", i+1, p, r[1])
		}
		parts = append(parts, s3api.CompletePart{PartNumber: i + 1, ETag: p.ETag})
		want = append(want, data[r[0]:r[0]+r[1]]...)
	}
	return parts, want
}

// testUploadPartCopyAcrossParts copies ranges of a multipart source that
// cross its parts, and one that is exactly one of them, which keeps that
// part's ETag (the MD5 of its bytes).
func testUploadPartCopyAcrossParts(t *testing.T, f *fixture) {
	f.bucket("bkt")
	data := randomBytes(11*mib + 3)
	srcID := f.create("bkt", "src", s3api.ObjectMeta{})
	srcParts := []s3api.PartInfo{f.part("bkt", "src", srcID, 1, data[:5*mib]),
		f.part("bkt", "src", srcID, 2, data[5*mib:10*mib]), f.part("bkt", "src", srcID, 3, data[10*mib:])}
	src, err := f.b.CompleteMultipartUpload(f.ctx, "bkt", "src", srcID, complete(srcParts...), s3api.WriteCondition{})
	f.noErr("CompleteMultipartUpload(src)", err)

	id := f.create("bkt", "dst", s3api.ObjectMeta{})
	ranges := [][2]int64{
		{4 * mib, 6*mib + 1},          // the end of part 1, all of part 2, a byte of part 3
		{5 * mib, 5 * mib},            // exactly part 2
		{mib, int64(len(data)) - mib}, // across all three
	}
	parts, want := f.copyRanges("bkt", "dst", id, src, data, ranges)
	if parts[1].ETag != srcParts[1].ETag {
		t.Errorf("copy of exactly part 2: ETag %s; want part 2's %s", parts[1].ETag, srcParts[1].ETag)
	}
	listed, truncated, err := f.b.ListParts(f.ctx, "bkt", "dst", id, 0, 2)
	f.noErr("ListParts", err)
	if truncated != true || len(listed) != 2 || listed[0].Size != ranges[0][1] || listed[1].Size != ranges[1][1] {
		t.Errorf("ListParts(max 2) = %+v truncated %v; want parts 1 and 2 of sizes %d and %d, truncated", listed, truncated, ranges[0][1], ranges[1][1])
	}
	_, err = f.b.CompleteMultipartUpload(f.ctx, "bkt", "dst", id, parts, s3api.WriteCondition{})
	f.noErr("CompleteMultipartUpload", err)
	f.noErr("delete source", f.del("bkt", "src"))
	if got := f.read("bkt", "dst", 0, int64(len(want))); !bytes.Equal(got, want) {
		t.Fatalf("object of copied ranges: %d bytes differ from the %d expected", len(got), len(want))
	}
	// A read that starts inside the first part's second blob and ends in
	// the third part.
	off := ranges[0][1] - 3
	if got := f.read("bkt", "dst", off, 2*mib); !bytes.Equal(got, want[off:off+2*mib]) {
		t.Errorf("ranged read across segments differs")
	}
}

func testObjectTagging(t *testing.T, f *fixture) {
	f.versioned("bkt")
	v1 := f.put("bkt", "k", []byte("1"), s3api.ObjectMeta{Tags: map[string]string{"a": "b"}})
	f.put("bkt", "k", []byte("2"), s3api.ObjectMeta{})
	_, err := f.b.PutObjectTagging(f.ctx, "bkt", "k", v1.VersionID, map[string]string{"x": "y", "z": ""})
	f.noErr("PutObjectTagging(v1)", err)
	old, err := f.b.HeadObject(f.ctx, "bkt", "k", v1.VersionID)
	f.noErr("HeadObject(v1)", err)
	cur, err := f.b.HeadObject(f.ctx, "bkt", "k", "")
	f.noErr("HeadObject", err)
	if !reflect.DeepEqual(old.Meta.Tags, map[string]string{"x": "y", "z": ""}) || len(cur.Meta.Tags) != 0 {
		t.Errorf("tags: v1 %v, latest %v; want v1 replaced, latest none", old.Meta.Tags, cur.Meta.Tags)
	}
	if old.ETag != v1.ETag || !old.LastModified.Equal(v1.LastModified) && old.LastModified.Sub(v1.LastModified) > 1e9 {
		t.Errorf("tagging changed the version: %+v", old)
	}
	_, err = f.b.PutObjectTagging(f.ctx, "bkt", "k", "", nil)
	f.noErr("PutObjectTagging(latest, nil)", err)
	_, err = f.b.PutObjectTagging(f.ctx, "bkt", "missing", "", nil)
	f.wantErr("PutObjectTagging of a missing key", err, s3api.ErrNoSuchKey)
}

func testBucketSettings(t *testing.T, f *fixture) {
	f.bucket("bkt")
	b, err := f.b.HeadBucket(f.ctx, "bkt")
	f.noErr("HeadBucket", err)
	if b.Versioning != "" || b.Tags != nil {
		t.Errorf("new bucket: versioning %q tags %v; want none", b.Versioning, b.Tags)
	}
	f.noErr("PutBucketTagging", f.b.PutBucketTagging(f.ctx, "bkt", map[string]string{"team": "s3"}))
	f.noErr("PutBucketVersioning", f.b.PutBucketVersioning(f.ctx, "bkt", s3api.VersioningSuspended))
	b, err = f.b.HeadBucket(f.ctx, "bkt")
	f.noErr("HeadBucket", err)
	if b.Versioning != s3api.VersioningSuspended || !reflect.DeepEqual(b.Tags, map[string]string{"team": "s3"}) {
		t.Errorf("bucket: versioning %q tags %v; want Suspended, team=s3", b.Versioning, b.Tags)
	}
	rules := []s3api.LifecycleRule{{ID: "r", Enabled: true, Prefix: "logs/", Tags: map[string]string{"a": "b"},
		ExpirationDays: 3, NoncurrentDays: 2, AbortUploadDays: 1}}
	f.noErr("PutBucketLifecycle", f.b.PutBucketLifecycle(f.ctx, "bkt", rules))
	if b, _ = f.b.HeadBucket(f.ctx, "bkt"); !reflect.DeepEqual(b.Lifecycle, rules) {
		t.Errorf("lifecycle = %+v; want %+v", b.Lifecycle, rules)
	}
	f.noErr("PutBucketLifecycle(nil)", f.b.PutBucketLifecycle(f.ctx, "bkt", nil))
	if b, _ = f.b.HeadBucket(f.ctx, "bkt"); b.Lifecycle != nil {
		t.Errorf("after removing the lifecycle: %+v; want nil", b.Lifecycle)
	}
	f.noErr("PutBucketTagging(nil)", f.b.PutBucketTagging(f.ctx, "bkt", nil))
	if b, _ = f.b.HeadBucket(f.ctx, "bkt"); b.Tags != nil {
		t.Errorf("after removing tags: %v; want nil", b.Tags)
	}
	f.wantErr("PutBucketVersioning of a missing bucket", f.b.PutBucketVersioning(f.ctx, "nope", s3api.VersioningEnabled), s3api.ErrNoSuchBucket)
}

func testIfMatch(t *testing.T, f *fixture) {
	f.bucket("bkt")
	put := func(cond s3api.WriteCondition) error {
		p := newPayload([]byte("x"))
		_, err := f.b.PutObject(f.ctx, s3api.PutObjectInput{Bucket: "bkt", Key: "k", Size: 1,
			Body: bytes.NewReader(p.data), Digests: p.digests, Condition: cond})
		return err
	}
	f.wantErr("If-Match on a missing key", put(s3api.WriteCondition{IfMatch: "*"}), s3api.ErrPreconditionFailed)
	first := f.put("bkt", "k", []byte("first"), s3api.ObjectMeta{})
	f.wantErr("If-Match with another ETag", put(s3api.WriteCondition{IfMatch: "0123"}), s3api.ErrPreconditionFailed)
	f.noErr("If-Match with the ETag", put(s3api.WriteCondition{IfMatch: first.ETag}))
}
