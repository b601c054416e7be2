package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"

	"sixfold/db"
)

// TestS3Versioning drives versions, delete markers, bucket deletion with
// uploads open, ACL calls, tagging and server-side copies through
// aws-sdk-go-v2, minio-go, the aws CLI and raw HTTP on a real cluster.
func TestS3Versioning(t *testing.T) {
	e := newS3Env(t, false, nil)
	for _, c := range []s3Case{
		{"GoV2/VersionedRoundTrip", goV2Versions},
		{"GoV2/SuspendedAndUnversioned", goV2NullVersions},
		{"GoV2/DeleteBucketWithUpload", goV2DeleteBucketWithUpload},
		{"GoV2/Tagging", goV2Tagging},
		{"GoV2/ACL", goV2ACL},
		{"GoV2/CopyWritesNoChunk", goV2CopyShares},
		{"GoV2/Lifecycle", goV2Lifecycle},
		{"MinioGo/Versions", minioVersions},
		{"AWSCLI/RemoveBucketForce", cliRemoveBucketForce},
		{"AWSCLI/Versions", cliVersions},
		{"Raw/VersionHeaders", rawVersionHeaders},
		{"Raw/AuthEdges", rawAuthEdges},
		{"Raw/ListingEdges", rawListingEdges},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, e) })
	}
}

func shaHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// getVersion reads one version whole and returns its SHA-256.
func (e *s3Env) getVersion(t *testing.T, bucket, key, version string) string {
	t.Helper()
	out, err := e.s3.GetObject(e.ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(version)})
	if err != nil {
		t.Fatalf("GetObject %s/%s?versionId=%s: %v", bucket, key, version, err)
	}
	defer out.Body.Close()
	if aws.ToString(out.VersionId) != version {
		t.Errorf("GetObject version header %q; want %q", aws.ToString(out.VersionId), version)
	}
	sha, _ := readerSHA(t, out.Body)
	return sha
}

func (e *s3Env) enableVersioning(t *testing.T, bucket string, status types.BucketVersioningStatus) {
	t.Helper()
	_, err := e.s3.PutBucketVersioning(e.ctx(t), &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: status}})
	if err != nil {
		t.Fatalf("PutBucketVersioning %s: %v", status, err)
	}
}

// emptyVersioned deletes every version and marker, then the bucket, as
// cleanup code written for AWS does.
func (e *s3Env) emptyVersioned(t *testing.T, bucket string) {
	t.Helper()
	out, err := e.s3.ListObjectVersions(e.ctx(t), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListObjectVersions: %v", err)
	}
	var ids []types.ObjectIdentifier
	for _, v := range out.Versions {
		ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
	}
	for _, m := range out.DeleteMarkers {
		ids = append(ids, types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
	}
	if len(ids) > 0 {
		res, err := e.s3.DeleteObjects(e.ctx(t), &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids}})
		if err != nil || len(res.Errors) > 0 || len(res.Deleted) != len(ids) {
			t.Fatalf("DeleteObjects of every version: %v, %d errors, %d deleted of %d", err, len(res.Errors), len(res.Deleted), len(ids))
		}
	}
	if _, err := e.s3.DeleteBucket(e.ctx(t), &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucket after removing every version: %v", err)
	}
}

func goV2Versions(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "ver")
	e.enableVersioning(t, bucket, types.BucketVersioningStatusEnabled)
	got, err := e.s3.GetBucketVersioning(e.ctx(t), &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	if err != nil || got.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("GetBucketVersioning = %v, %v; want Enabled", got, err)
	}
	var ids, shas []string
	for i := range 3 {
		data := randomBytes(uint64(100+i), int64(1<<20+i*4099))
		out := e.put(t, bucket, "doc", bytes.NewReader(data))
		if aws.ToString(out.VersionId) == "" || slices.Contains(ids, aws.ToString(out.VersionId)) {
			t.Fatalf("PutObject %d: version id %q; want a new one", i, aws.ToString(out.VersionId))
		}
		ids, shas = append(ids, aws.ToString(out.VersionId)), append(shas, shaHex(data))
	}
	list, err := e.s3.ListObjectVersions(e.ctx(t), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil || len(list.Versions) != 3 {
		t.Fatalf("ListObjectVersions = %v; want 3 versions", err)
	}
	for i, v := range list.Versions {
		if aws.ToString(v.VersionId) != ids[2-i] || aws.ToBool(v.IsLatest) != (i == 0) {
			t.Errorf("version %d: %s latest=%v; want %s latest=%v", i, aws.ToString(v.VersionId), aws.ToBool(v.IsLatest), ids[2-i], i == 0)
		}
	}
	for i, id := range ids {
		if sha := e.getVersion(t, bucket, "doc", id); sha != shas[i] {
			t.Errorf("version %d bytes: sha256 %s; want %s", i, sha, shas[i])
		}
	}
	del, err := e.s3.DeleteObject(e.ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc")})
	if err != nil || !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "" {
		t.Fatalf("DeleteObject = %+v, %v; want a delete marker", del, err)
	}
	e.wantNoObject(t, bucket, "doc")
	list, err = e.s3.ListObjectVersions(e.ctx(t), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil || len(list.DeleteMarkers) != 1 || !aws.ToBool(list.DeleteMarkers[0].IsLatest) || len(list.Versions) != 3 || aws.ToBool(list.Versions[0].IsLatest) {
		t.Fatalf("ListObjectVersions after delete: %v; want the marker latest and 3 versions", err)
	}
	// Restore by deleting the marker.
	if _, err := e.s3.DeleteObject(e.ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc"), VersionId: del.VersionId}); err != nil {
		t.Fatalf("DeleteObject(marker): %v", err)
	}
	if sha, _, _ := e.getSHA(t, bucket, "doc"); sha != shas[2] {
		t.Errorf("after removing the marker: sha256 %s; want the third version %s", sha, shas[2])
	}
	// Paging with both markers, one entry per page.
	var paged []string
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(1)}
	for range 5 {
		page, err := e.s3.ListObjectVersions(e.ctx(t), in)
		if err != nil {
			t.Fatalf("ListObjectVersions page: %v", err)
		}
		for _, v := range page.Versions {
			paged = append(paged, aws.ToString(v.VersionId))
		}
		if !aws.ToBool(page.IsTruncated) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = page.NextKeyMarker, page.NextVersionIdMarker
	}
	if !slices.Equal(paged, []string{ids[2], ids[1], ids[0]}) {
		t.Errorf("paged versions %v; want %v", paged, []string{ids[2], ids[1], ids[0]})
	}
	_, err = e.s3.DeleteBucket(e.ctx(t), &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	if s3Code(err) != "BucketNotEmpty" {
		t.Errorf("DeleteBucket with versions: %v; want BucketNotEmpty", err)
	}
	e.emptyVersioned(t, bucket)
}

func goV2NullVersions(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "null")
	out := e.put(t, bucket, "k", strings.NewReader("plain"))
	if out.VersionId != nil {
		t.Errorf("PutObject in an unversioned bucket sent version id %q", aws.ToString(out.VersionId))
	}
	list, err := e.s3.ListObjectVersions(e.ctx(t), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil || len(list.Versions) != 1 || aws.ToString(list.Versions[0].VersionId) != "null" || !aws.ToBool(list.Versions[0].IsLatest) {
		t.Fatalf("ListObjectVersions of an unversioned bucket: %v; want k once as version null", err)
	}
	e.enableVersioning(t, bucket, types.BucketVersioningStatusEnabled)
	v := e.put(t, bucket, "k", strings.NewReader("versioned"))
	e.enableVersioning(t, bucket, types.BucketVersioningStatusSuspended)
	s := e.put(t, bucket, "k", strings.NewReader("suspended"))
	if aws.ToString(s.VersionId) != "null" {
		t.Errorf("PutObject while suspended: version %q; want null", aws.ToString(s.VersionId))
	}
	if sha := e.getVersion(t, bucket, "k", "null"); sha != shaHex([]byte("suspended")) {
		t.Errorf("null version replaced by the suspended write: sha %s", sha)
	}
	if sha := e.getVersion(t, bucket, "k", aws.ToString(v.VersionId)); sha != shaHex([]byte("versioned")) {
		t.Errorf("enabled-time version: sha %s", sha)
	}
	e.emptyVersioned(t, bucket)
}

func goV2DeleteBucketWithUpload(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "mpu")
	up, err := e.s3.CreateMultipartUpload(e.ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("open")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3.UploadPart(e.ctx(t), &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("open"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader(randomBytes(7, 1<<20))}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3.DeleteBucket(e.ctx(t), &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucket with only an open upload: %v; want success", err)
	}
	_, err = e.s3.HeadBucket(e.ctx(t), &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if s3Status(err) != http.StatusNotFound {
		t.Errorf("HeadBucket after delete: %v; want 404", err)
	}
}

func goV2Tagging(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "tags")
	_, err := e.s3.PutObject(e.ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		Body: strings.NewReader("tagged"), Tagging: aws.String("team=s3&cost%20centre=a%2Bb")})
	if err != nil {
		t.Fatalf("PutObject with tags: %v", err)
	}
	head, err := e.s3.GetObject(e.ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil || aws.ToInt32(head.TagCount) != 2 {
		t.Fatalf("GetObject tag count = %v, %v; want 2", head, err)
	}
	head.Body.Close()
	tags, err := e.s3.GetObjectTagging(e.ctx(t), &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil || tagMap(tags.TagSet)["cost centre"] != "a+b" || tagMap(tags.TagSet)["team"] != "s3" {
		t.Fatalf("GetObjectTagging = %v, %v; want team=s3, cost centre=a+b", tags, err)
	}
	_, err = e.s3.PutObjectTagging(e.ctx(t), &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("only"), Value: aws.String("one")}}}})
	if err != nil {
		t.Fatalf("PutObjectTagging: %v", err)
	}
	tags, _ = e.s3.GetObjectTagging(e.ctx(t), &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if m := tagMap(tags.TagSet); len(m) != 1 || m["only"] != "one" {
		t.Errorf("after PutObjectTagging: %v; want only=one", m)
	}
	if _, err := e.s3.DeleteObjectTagging(e.ctx(t), &s3.DeleteObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k")}); err != nil {
		t.Fatalf("DeleteObjectTagging: %v", err)
	}
	hd, err := e.s3.HeadObject(e.ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil || hd.TagCount != nil && *hd.TagCount != 0 {
		t.Errorf("HeadObject after DeleteObjectTagging: %v tag count %v; want none", err, hd.TagCount)
	}
	if got := e.getBytes(t, bucket, "k"); string(got) != "tagged" {
		t.Errorf("bytes after tagging calls = %q", got)
	}
	_, err = e.s3.PutObjectTagging(e.ctx(t), &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("aws:reserved"), Value: aws.String("x")}}}})
	if s3Code(err) != "InvalidTag" {
		t.Errorf("PutObjectTagging aws: key: %v; want InvalidTag", err)
	}
	_, err = e.s3.GetBucketTagging(e.ctx(t), &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	if s3Code(err) != "NoSuchTagSet" {
		t.Errorf("GetBucketTagging of an untagged bucket: %v; want NoSuchTagSet", err)
	}
	_, err = e.s3.PutBucketTagging(e.ctx(t), &s3.PutBucketTaggingInput{Bucket: aws.String(bucket),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}}}})
	if err != nil {
		t.Fatalf("PutBucketTagging: %v", err)
	}
	bt, err := e.s3.GetBucketTagging(e.ctx(t), &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	if err != nil || tagMap(bt.TagSet)["env"] != "test" {
		t.Errorf("GetBucketTagging = %v, %v; want env=test", bt, err)
	}
	if _, err := e.s3.DeleteBucketTagging(e.ctx(t), &s3.DeleteBucketTaggingInput{Bucket: aws.String(bucket)}); err != nil {
		t.Errorf("DeleteBucketTagging: %v", err)
	}
}

func tagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, tg := range tags {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

func goV2ACL(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "acl")
	e.put(t, bucket, "k", strings.NewReader("x"))
	acl, err := e.s3.GetBucketAcl(e.ctx(t), &s3.GetBucketAclInput{Bucket: aws.String(bucket)})
	if err != nil || len(acl.Grants) != 1 || acl.Grants[0].Permission != types.PermissionFullControl || aws.ToString(acl.Owner.ID) == "" {
		t.Fatalf("GetBucketAcl = %+v, %v; want the owner's FULL_CONTROL", acl, err)
	}
	oacl, err := e.s3.GetObjectAcl(e.ctx(t), &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil || len(oacl.Grants) != 1 || aws.ToString(oacl.Grants[0].Grantee.ID) != aws.ToString(oacl.Owner.ID) {
		t.Fatalf("GetObjectAcl = %+v, %v; want the owner's FULL_CONTROL", oacl, err)
	}
	if _, err := e.s3.PutObjectAcl(e.ctx(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k"), ACL: types.ObjectCannedACLPrivate}); err != nil {
		t.Errorf("PutObjectAcl private: %v", err)
	}
	if _, err := e.s3.PutBucketAcl(e.ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Errorf("PutBucketAcl private: %v", err)
	}
	// public-read on a bucket becomes a bucket policy (TestS3CannedPublicReadACL);
	// public-read-write has no equivalent, since anonymous writes are refused.
	_, err = e.s3.PutBucketAcl(e.ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPublicReadWrite})
	if s3Code(err) != "AccessControlListNotSupported" {
		t.Errorf("PutBucketAcl public-read-write: %v; want AccessControlListNotSupported", err)
	}
	_, err = e.s3.PutObject(e.ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("pub"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACLPublicRead})
	if s3Code(err) != "AccessControlListNotSupported" {
		t.Errorf("PutObject public-read: %v; want AccessControlListNotSupported", err)
	}
	e.wantNoObject(t, bucket, "pub")
}

// goV2CopyShares copies a large object with CopyObject and UploadPartCopy
// and checks that no chunk was written: the copies point at the source's
// blobs. Deleting the source leaves both copies readable, byte for byte.
func goV2CopyShares(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "cp")
	size := int64(96 << 20)
	data := randomBytes(42, size)
	up, err := e.s3.CreateMultipartUpload(e.ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("src")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i, off := int32(1), int64(0); off < size; i, off = i+1, off+32<<20 {
		p, err := e.s3.UploadPart(e.ctx(t), &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("src"), UploadId: up.UploadId,
			PartNumber: aws.Int32(i), Body: bytes.NewReader(data[off : off+32<<20])})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(i), ETag: p.ETag})
	}
	if _, err := e.s3.CompleteMultipartUpload(e.ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("src"),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	pool, err := db.Open(e.ctx(t), db.Config{URL: e.cluster.DatabaseURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	countChunks := func() (n int64) {
		if err := pool.QueryRow(e.ctx(t), `SELECT count(*) FROM chunks`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := countChunks()
	start := time.Now()
	cp, err := e.s3.CopyObject(e.ctx(t), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"),
		CopySource: aws.String(bucket + "/src"), MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("app/x")})
	if err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	t.Logf("CopyObject of %d MiB took %v", size>>20, time.Since(start))
	// Part 1: 20 MiB from inside the source's second part; part 2: 40 MiB
	// across its first and second parts (two blobs, both shared); part 3:
	// exactly its second part, which keeps that part's ETag, the MD5 of
	// its bytes as S3 sends; part 4: the last 7 bytes.
	mp, err := e.s3.CreateMultipartUpload(e.ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("ranges")})
	if err != nil {
		t.Fatal(err)
	}
	ranges := [][2]int64{{33 << 20, 20 << 20}, {20 << 20, 40 << 20}, {32 << 20, 32 << 20}, {size - 7, 7}}
	var want []byte
	srcPart2 := parts[1].ETag
	parts = nil
	for i, r := range ranges {
		p, err := e.s3.UploadPartCopy(e.ctx(t), &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String("ranges"), UploadId: mp.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String(bucket + "/src"),
			CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", r[0], r[0]+r[1]-1))})
		if err != nil {
			t.Fatalf("UploadPartCopy %d: %v", i+1, err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: p.CopyPartResult.ETag})
		want = append(want, data[r[0]:r[0]+r[1]]...)
	}
	if got := aws.ToString(parts[2].ETag); got != aws.ToString(srcPart2) {
		t.Errorf("UploadPartCopy of exactly the source's part 2: ETag %s; want that part's %s", got, aws.ToString(srcPart2))
	}
	if _, err := e.s3.CompleteMultipartUpload(e.ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("ranges"),
		UploadId: mp.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatalf("CompleteMultipartUpload of copied parts: %v", err)
	}
	// A 1 GiB object of 32 part copies, each a 32 MiB range inside one of
	// the source's blobs, then a CopyObject of it: neither writes a chunk.
	big, err := e.s3.CreateMultipartUpload(e.ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	parts = nil
	bigSHA := sha256.New()
	for i := range int32(32) {
		off := int64(i%3) * (32 << 20)
		p, err := e.s3.UploadPartCopy(e.ctx(t), &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String("big"), UploadId: big.UploadId,
			PartNumber: aws.Int32(i + 1), CopySource: aws.String(bucket + "/src"),
			CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+32<<20-1))})
		if err != nil {
			t.Fatalf("UploadPartCopy %d: %v", i+1, err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(i + 1), ETag: p.CopyPartResult.ETag})
		bigSHA.Write(data[off : off+32<<20])
	}
	if _, err := e.s3.CompleteMultipartUpload(e.ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("big"),
		UploadId: big.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatalf("CompleteMultipartUpload of 32 copied parts: %v", err)
	}
	start = time.Now()
	if _, err := e.s3.CopyObject(e.ctx(t), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("big-copy"),
		CopySource: aws.String(bucket + "/big")}); err != nil {
		t.Fatalf("CopyObject of 1 GiB: %v", err)
	}
	t.Logf("CopyObject of 1 GiB (32 parts) took %v", time.Since(start))
	if after := countChunks(); after != before {
		t.Errorf("chunks: %d before the copies, %d after; want none written", before, after)
	}
	for _, key := range []string{"src", "big"} {
		if _, err := e.s3.DeleteObject(e.ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
			t.Fatal(err)
		}
	}
	sha, n, out := e.getSHA(t, bucket, "copy")
	if sha != shaHex(data) || n != size || aws.ToString(out.ContentType) != "app/x" || aws.ToString(out.ETag) != aws.ToString(cp.CopyObjectResult.ETag) {
		t.Errorf("copy after deleting the source: %d bytes sha %s type %q; want %d bytes %s app/x", n, sha, aws.ToString(out.ContentType), size, shaHex(data))
	}
	if got := e.getBytes(t, bucket, "ranges"); !bytes.Equal(got, want) {
		t.Errorf("object of copied ranges: %d bytes, differ from the %d expected", len(got), len(want))
	}
	if sha, n, _ := e.getSHA(t, bucket, "big-copy"); sha != hex.EncodeToString(bigSHA.Sum(nil)) || n != 1<<30 {
		t.Errorf("1 GiB copy after deleting its source and the source's source: %d bytes sha %s; want 1 GiB %x", n, sha, bigSHA.Sum(nil))
	}
}

func minioVersions(t *testing.T, e *s3Env) {
	mc := newMinio(t, e, false)
	ctx := e.ctx(t)
	bucket := bucketName("mver")
	if err := mc.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := mc.EnableVersioning(ctx, bucket); err != nil {
		t.Fatalf("EnableVersioning: %v", err)
	}
	cfg, err := mc.GetBucketVersioning(ctx, bucket)
	if err != nil || !cfg.Enabled() {
		t.Fatalf("GetBucketVersioning = %+v, %v; want enabled", cfg, err)
	}
	var infos []minio.UploadInfo
	for i := range 2 {
		body := fmt.Sprintf("minio version %d", i)
		info, err := mc.PutObject(ctx, bucket, "k", strings.NewReader(body), int64(len(body)), minio.PutObjectOptions{})
		if err != nil || info.VersionID == "" {
			t.Fatalf("PutObject: %+v, %v; want a version id", info, err)
		}
		infos = append(infos, info)
	}
	var seen []string
	for obj := range mc.ListObjects(ctx, bucket, minio.ListObjectsOptions{WithVersions: true, Recursive: true}) {
		if obj.Err != nil {
			t.Fatalf("ListObjects WithVersions: %v", obj.Err)
		}
		seen = append(seen, obj.VersionID)
	}
	if !slices.Equal(seen, []string{infos[1].VersionID, infos[0].VersionID}) {
		t.Errorf("listed versions %v; want newest first %v", seen, []string{infos[1].VersionID, infos[0].VersionID})
	}
	obj, err := mc.GetObject(ctx, bucket, "k", minio.GetObjectOptions{VersionID: infos[0].VersionID})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(obj); err != nil || buf.String() != "minio version 0" {
		t.Errorf("GetObject(version 0) = %q, %v", buf.String(), err)
	}
	for _, info := range infos {
		if err := mc.RemoveObject(ctx, bucket, "k", minio.RemoveObjectOptions{VersionID: info.VersionID}); err != nil {
			t.Fatalf("RemoveObject(version): %v", err)
		}
	}
	if err := mc.RemoveBucket(ctx, bucket); err != nil {
		t.Errorf("RemoveBucket after removing every version: %v", err)
	}
}

// cliRemoveBucketForce is the conformance harness's cleanup: aws s3 rb
// --force on a bucket with objects and an open multipart upload.
func cliRemoveBucketForce(t *testing.T, e *s3Env) {
	cli := newAWSCLI(t, e)
	bucket := e.bucket(t, "rbf")
	e.put(t, bucket, "a", strings.NewReader("a"))
	e.put(t, bucket, "dir/b", strings.NewReader("b"))
	if _, err := e.s3.CreateMultipartUpload(e.ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("open")}); err != nil {
		t.Fatal(err)
	}
	out := cli.must(t, "s3api", "get-bucket-versioning", "--bucket", bucket)
	if strings.Contains(out, "Status") {
		t.Errorf("get-bucket-versioning of a new bucket = %s; want no Status", out)
	}
	out = cli.must(t, "s3api", "list-object-versions", "--bucket", bucket)
	if strings.Count(out, `"VersionId": "null"`) != 2 {
		t.Errorf("list-object-versions = %s; want two null versions", out)
	}
	cli.must(t, "s3", "rb", "--force", "s3://"+bucket)
	_, err := e.s3.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if s3Status(err) != http.StatusNotFound {
		t.Errorf("HeadBucket after rb --force: %v; want 404", err)
	}
}

// rawVersionHeaders checks the wire: version headers present only where
// versioning is on, a delete marker's 404 and 405 with its headers, and
// ListObjectVersions' document for an unversioned bucket.
func rawVersionHeaders(t *testing.T, e *s3Env) {
	plain := e.bucket(t, "rawp")
	r := e.exchange(t, e.signed(t, rawReq{method: http.MethodPut, path: plain + "/k", body: []byte("x")}))
	if r.StatusCode != 200 || r.Header.Get("x-amz-version-id") != "" {
		t.Errorf("PUT in an unversioned bucket: %d, x-amz-version-id %q; want 200 and none", r.StatusCode, r.Header.Get("x-amz-version-id"))
	}
	r = e.exchange(t, e.signed(t, rawReq{method: http.MethodGet, path: plain + "?versions"}))
	body := string(r.Body)
	if r.StatusCode != 200 || !strings.Contains(body, "<ListVersionsResult") || !strings.Contains(body, "<Key>k</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>") {
		t.Errorf("GET ?versions = %d %s; want k as version null, latest", r.StatusCode, body)
	}
	ver := e.bucket(t, "rawv")
	e.enableVersioning(t, ver, types.BucketVersioningStatusEnabled)
	r = e.exchange(t, e.signed(t, rawReq{method: http.MethodPut, path: ver + "/k", body: []byte("x")}))
	if r.Header.Get("x-amz-version-id") == "" {
		t.Errorf("PUT in a versioned bucket: no x-amz-version-id")
	}
	r = e.exchange(t, e.signed(t, rawReq{method: http.MethodDelete, path: ver + "/k"}))
	marker := r.Header.Get("x-amz-version-id")
	if r.StatusCode != 204 || r.Header.Get("x-amz-delete-marker") != "true" || marker == "" {
		t.Fatalf("DELETE: %d marker %q version %q; want 204, true, an id", r.StatusCode, r.Header.Get("x-amz-delete-marker"), marker)
	}
	r = e.exchange(t, e.signed(t, rawReq{method: http.MethodGet, path: ver + "/k"}))
	if r.StatusCode != 404 || r.Header.Get("x-amz-delete-marker") != "true" || r.Header.Get("x-amz-version-id") != marker {
		t.Errorf("GET behind a marker: %d %v; want 404 with the marker's headers", r.StatusCode, r.Header)
	}
	r = e.exchange(t, e.signed(t, rawReq{method: http.MethodHead, path: ver + "/k?versionId=" + marker}))
	if r.StatusCode != 405 || r.Header.Get("x-amz-delete-marker") != "true" {
		t.Errorf("HEAD of the marker's version: %d %v; want 405 with x-amz-delete-marker", r.StatusCode, r.Header)
	}
	r = e.exchange(t, e.signed(t, rawReq{method: http.MethodGet, path: ver + "/k?versionId=nope"}))
	wantS3Error(t, r, http.StatusNotFound, "NoSuchVersion")
}

// goV2Lifecycle stores, reads back and removes a lifecycle configuration
// (TestApplyLifecycle in gateway/s3backend applies rules with a clock).
func goV2Lifecycle(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "lc")
	_, err := e.s3.GetBucketLifecycleConfiguration(e.ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	if s3Code(err) != "NoSuchLifecycleConfiguration" {
		t.Errorf("GetBucketLifecycleConfiguration of a new bucket: %v; want NoSuchLifecycleConfiguration", err)
	}
	rules := []types.LifecycleRule{
		{ID: aws.String("logs"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
			Expiration:                     &types.LifecycleExpiration{Days: aws.Int32(30)},
			NoncurrentVersionExpiration:    &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(7)},
			AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(2)}},
		{ID: aws.String("tmp"), Status: types.ExpirationStatusDisabled, Filter: &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("tmp"), Value: aws.String("1")}},
			Expiration: &types.LifecycleExpiration{Date: aws.Time(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))}},
	}
	_, err = e.s3.PutBucketLifecycleConfiguration(e.ctx(t), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(bucket),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}})
	if err != nil {
		t.Fatalf("PutBucketLifecycleConfiguration: %v", err)
	}
	got, err := e.s3.GetBucketLifecycleConfiguration(e.ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	if err != nil || len(got.Rules) != 2 {
		t.Fatalf("GetBucketLifecycleConfiguration = %v, %v; want two rules", got, err)
	}
	r0, r1 := got.Rules[0], got.Rules[1]
	if aws.ToString(r0.Filter.Prefix) != "logs/" || aws.ToInt32(r0.Expiration.Days) != 30 || aws.ToInt32(r0.NoncurrentVersionExpiration.NoncurrentDays) != 7 ||
		aws.ToInt32(r0.AbortIncompleteMultipartUpload.DaysAfterInitiation) != 2 || r0.Status != types.ExpirationStatusEnabled {
		t.Errorf("rule logs came back as %+v", r0)
	}
	if r1.Filter.Tag == nil || aws.ToString(r1.Filter.Tag.Key) != "tmp" || !aws.ToTime(r1.Expiration.Date).Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) || r1.Status != types.ExpirationStatusDisabled {
		t.Errorf("rule tmp came back as %+v", r1)
	}
	_, err = e.s3.PutBucketLifecycleConfiguration(e.ctx(t), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(bucket),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{ID: aws.String("glacier"),
			Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")},
			Transitions: []types.Transition{{Days: aws.Int32(1), StorageClass: types.TransitionStorageClassGlacier}}}}}})
	if s3Code(err) != "NotImplemented" {
		t.Errorf("a transition rule: %v; want NotImplemented", err)
	}
	if _, err := e.s3.DeleteBucketLifecycle(e.ctx(t), &s3.DeleteBucketLifecycleInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucketLifecycle: %v", err)
	}
	_, err = e.s3.GetBucketLifecycleConfiguration(e.ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	if s3Code(err) != "NoSuchLifecycleConfiguration" {
		t.Errorf("after DeleteBucketLifecycle: %v; want NoSuchLifecycleConfiguration", err)
	}
}

// rawAuthEdges checks what S3 answers at the edges of authentication, on
// the wire: presigned X-Amz-Expires of 0, negative or over a week is
// AuthorizationQueryParametersError, an expired URL AccessDenied, a
// request without (or with an empty) Authorization AccessDenied, and a
// PUT with neither Content-Length nor chunked framing 411.
func rawAuthEdges(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "auth")
	e.put(t, bucket, "k", strings.NewReader("x"))
	presign := func(expires string, at time.Time) rawResponse {
		req, err := http.NewRequestWithContext(e.ctx(t), http.MethodGet, e.url+"/"+bucket+"/k?X-Amz-Expires="+expires, nil)
		if err != nil {
			t.Fatal(err)
		}
		u, signed, err := v4.NewSigner().PresignHTTP(req.Context(), aws.Credentials{AccessKeyID: e.key, SecretAccessKey: e.secret},
			req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", at)
		if err != nil {
			t.Fatal(err)
		}
		return doPresigned(t, e, http.MethodGet, u, signed, nil)
	}
	if r := presign("60", time.Now()); r.StatusCode != 200 || string(r.Body) != "x" {
		t.Fatalf("a valid presigned GET: %d %s", r.StatusCode, r.Body)
	}
	for _, exp := range []string{"0", "-1", "604801"} {
		wantS3Error(t, presign(exp, time.Now()), http.StatusForbidden, "AuthorizationQueryParametersError")
	}
	wantS3Error(t, presign("1", time.Now().Add(-time.Minute)), http.StatusForbidden, "AccessDenied")
	for _, auth := range []string{"", " "} {
		req, _ := http.NewRequestWithContext(e.ctx(t), http.MethodGet, e.url+"/"+bucket+"/k", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		wantS3Error(t, e.exchange(t, req), http.StatusForbidden, "AccessDenied")
	}
	// net/http always frames a PUT, so this one is written by hand.
	req := e.signed(t, rawReq{method: http.MethodPut, path: bucket + "/unframed"})
	conn, err := net.Dial("tcp", req.URL.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var head strings.Builder
	fmt.Fprintf(&head, "PUT %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", req.URL.RequestURI(), req.URL.Host)
	for name, values := range req.Header {
		for _, v := range values {
			fmt.Fprintf(&head, "%s: %s\r\n", name, v)
		}
	}
	head.WriteString("\r\n")
	if _, err := io.WriteString(conn, head.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	wantS3Error(t, rawResponse{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}, http.StatusLengthRequired, "MissingContentLength")
}

// cliVersions is the versioned round trip through boto3 (the aws CLI):
// two versions, listing, a read of the older one, a delete marker and the
// restore by deleting it.
func cliVersions(t *testing.T, e *s3Env) {
	cli := newAWSCLI(t, e)
	bucket := e.bucket(t, "cliv")
	cli.must(t, "s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled")
	if out := cli.must(t, "s3api", "get-bucket-versioning", "--bucket", bucket); !strings.Contains(out, `"Enabled"`) {
		t.Fatalf("get-bucket-versioning = %s; want Enabled", out)
	}
	dir := t.TempDir()
	var versions []string
	for i, body := range []string{"first body", "second, longer body"} {
		src := fmt.Sprintf("%s/v%d", dir, i)
		if err := os.WriteFile(src, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		var put struct{ VersionId string }
		if err := json.Unmarshal([]byte(cli.must(t, "s3api", "put-object", "--bucket", bucket, "--key", "doc", "--body", src)), &put); err != nil || put.VersionId == "" {
			t.Fatalf("put-object: %v, version %q", err, put.VersionId)
		}
		versions = append(versions, put.VersionId)
	}
	var list struct {
		Versions []struct {
			VersionId string
			IsLatest  bool
		}
		DeleteMarkers []struct{ VersionId string }
	}
	listVersions := func() {
		list.Versions, list.DeleteMarkers = nil, nil
		if err := json.Unmarshal([]byte(cli.must(t, "s3api", "list-object-versions", "--bucket", bucket)), &list); err != nil {
			t.Fatal(err)
		}
	}
	listVersions()
	if len(list.Versions) != 2 || list.Versions[0].VersionId != versions[1] || !list.Versions[0].IsLatest {
		t.Fatalf("list-object-versions = %+v; want %v newest first", list, versions)
	}
	down := dir + "/down"
	cli.must(t, "s3api", "get-object", "--bucket", bucket, "--key", "doc", "--version-id", versions[0], down)
	if got, _ := os.ReadFile(down); string(got) != "first body" {
		t.Errorf("get-object --version-id (first) = %q", got)
	}
	cli.must(t, "s3", "rm", "s3://"+bucket+"/doc")
	if _, err := cli.run(t.Context(), "s3api", "head-object", "--bucket", bucket, "--key", "doc"); err == nil {
		t.Errorf("head-object behind a delete marker succeeded")
	}
	listVersions()
	if len(list.DeleteMarkers) != 1 {
		t.Fatalf("after aws s3 rm: %+v; want one delete marker", list)
	}
	cli.must(t, "s3api", "delete-object", "--bucket", bucket, "--key", "doc", "--version-id", list.DeleteMarkers[0].VersionId)
	cli.must(t, "s3", "cp", "s3://"+bucket+"/doc", down)
	if got, _ := os.ReadFile(down); string(got) != "second, longer body" {
		t.Errorf("after removing the marker = %q; want the second version", got)
	}
	e.emptyVersioned(t, bucket)
}

// rawListingEdges checks listing documents on the wire: a key with control
// characters comes back as character references, or percent-encoded with
// encoding-type=url, never altered; ListObjects (v1) names each object's
// Owner, ListObjectsV2 only with fetch-owner=true; an empty
// continuation-token is echoed.
func rawListingEdges(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "ctl")
	e.put(t, bucket, "ctl\x01key\ttab", strings.NewReader("x"))
	get := func(query string) string {
		t.Helper()
		r := e.exchange(t, e.signed(t, rawReq{method: http.MethodGet, path: bucket + "?" + query}))
		if r.StatusCode != http.StatusOK {
			t.Fatalf("GET ?%s: %d %s", query, r.StatusCode, r.Body)
		}
		return string(r.Body)
	}
	if body := get("list-type=2"); !strings.Contains(body, "<Key>ctl&#x1;key&#x9;tab</Key>") || strings.Contains(body, "<Owner>") {
		t.Errorf("ListObjectsV2: %s; want the key with character references and no Owner", body)
	}
	if body := get("list-type=2&encoding-type=url&fetch-owner=true"); !strings.Contains(body, "<Key>ctl%01key%09tab</Key>") || !strings.Contains(body, "<Owner><ID>") {
		t.Errorf("ListObjectsV2 encoding-type=url fetch-owner=true: %s; want the key percent-encoded and an Owner", body)
	}
	if body := get("list-type=2&continuation-token="); !strings.Contains(body, "<ContinuationToken></ContinuationToken>") || !strings.Contains(body, "ctl&#x1;key") {
		t.Errorf("ListObjectsV2 with an empty continuation-token: %s; want it echoed and the listing whole", body)
	}
	if body := get("marker="); !strings.Contains(body, "<Owner><ID>") {
		t.Errorf("ListObjects (v1): %s; want an Owner per object", body)
	}
}
