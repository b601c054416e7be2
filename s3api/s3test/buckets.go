package s3test

import (
	"bytes"
	"slices"
	"testing"

	"sixfold/s3api"
)

// bucketTests check s3api.BucketBackend.
var bucketTests = []test{
	{"CreateHeadList", func(t *testing.T, f *fixture) {
		f.bucket("bkt-b")
		f.bucket("bkt-a")
		b, err := f.b.HeadBucket(f.ctx, "bkt-a")
		f.noErr("HeadBucket", err)
		if b.Name != "bkt-a" || b.CreatedAt.IsZero() {
			t.Errorf("HeadBucket = %+v; want name bkt-a and a creation time", b)
		}
		list, err := f.b.ListBuckets(f.ctx)
		f.noErr("ListBuckets", err)
		var names []string
		for _, b := range list {
			names = append(names, b.Name)
		}
		if !slices.Equal(names, []string{"bkt-a", "bkt-b"}) {
			t.Errorf("ListBuckets = %v; want [bkt-a bkt-b] in name order", names)
		}
	}},
	{"CreateTwice", func(t *testing.T, f *fixture) {
		f.bucket("twice")
		f.wantErr("second CreateBucket", f.b.CreateBucket(f.ctx, "twice"), s3api.ErrBucketAlreadyOwnedByYou)
	}},
	{"Missing", func(t *testing.T, f *fixture) {
		_, err := f.b.HeadBucket(f.ctx, "nope")
		f.wantErr("HeadBucket", err, s3api.ErrNoSuchBucket)
		f.wantErr("DeleteBucket", f.b.DeleteBucket(f.ctx, "nope"), s3api.ErrNoSuchBucket)
		_, err = f.b.HeadObject(f.ctx, "nope", "k", "")
		f.wantErr("HeadObject", err, s3api.ErrNoSuchBucket)
		_, err = f.b.ListObjects(f.ctx, "nope", s3api.ListQuery{Limit: 10})
		f.wantErr("ListObjects", err, s3api.ErrNoSuchBucket)
		_, err = f.b.ListObjects(f.ctx, "nope", s3api.ListQuery{Delimiter: "/", Limit: 10})
		f.wantErr("ListObjects", err, s3api.ErrNoSuchBucket)
		_, err = f.b.PutObject(f.ctx, s3api.PutObjectInput{Bucket: "nope", Key: "k", Size: 1,
			Body: bytes.NewReader([]byte("x")), Digests: newPayload([]byte("x")).digests})
		f.wantErr("PutObject", err, s3api.ErrNoSuchBucket)
		_, err = f.b.CreateMultipartUpload(f.ctx, "nope", "k", s3api.ObjectMeta{})
		f.wantErr("CreateMultipartUpload", err, s3api.ErrNoSuchBucket)
	}},
	{"DeleteEmpty", func(t *testing.T, f *fixture) {
		f.bucket("gone")
		f.noErr("DeleteBucket", f.b.DeleteBucket(f.ctx, "gone"))
		_, err := f.b.HeadBucket(f.ctx, "gone")
		f.wantErr("HeadBucket after delete", err, s3api.ErrNoSuchBucket)
	}},
	{"DeleteNotEmpty", func(t *testing.T, f *fixture) {
		f.bucket("full")
		f.put("full", "k", []byte("x"), s3api.ObjectMeta{})
		f.wantErr("DeleteBucket with an object", f.b.DeleteBucket(f.ctx, "full"), s3api.ErrBucketNotEmpty)
		f.noErr("DeleteObject", f.del("full", "k"))
		id, err := f.b.CreateMultipartUpload(f.ctx, "full", "k", s3api.ObjectMeta{})
		f.noErr("CreateMultipartUpload", err)
		// S3 deletes a bucket whose only content is unfinished uploads,
		// aborting them.
		f.noErr("DeleteBucket with only an upload", f.b.DeleteBucket(f.ctx, "full"))
		f.wantErr("AbortMultipartUpload after", f.b.AbortMultipartUpload(f.ctx, "full", "k", id), s3api.ErrNoSuchUpload)
		_, err = f.b.HeadBucket(f.ctx, "full")
		f.wantErr("HeadBucket after", err, s3api.ErrNoSuchBucket)
	}},
}
