package s3backend_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"sixfold/s3api"
)

// TestApplyLifecycle runs lifecycle rules on real PostgreSQL over objects
// written days ago (rows with old creation times; no blobs are needed to
// expire them): current versions expire behind delete markers, noncurrent
// versions go, a disabled rule and untagged objects are left alone, old
// uploads are aborted.
func TestApplyLifecycle(t *testing.T) {
	pool, b := newBackend(t)
	ctx := context.Background()
	now := time.Now()
	if err := b.CreateBucket(ctx, "lcb"); err != nil {
		t.Fatal(err)
	}
	if err := b.PutBucketVersioning(ctx, "lcb", s3api.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	row := func(name, key, meta string, age time.Duration, latest bool) {
		id := uuid.New()
		ids[name] = id.String()
		_, err := pool.Exec(ctx, `INSERT INTO objects (id, bucket, key, size, etag, meta, version_id, is_latest, created_at)
			VALUES ($1, 'lcb', $2, 0, 'e', $3, $4, $5, $6)`, id, key, meta, id.String(), latest, now.Add(-age))
		if err != nil {
			t.Fatal(err)
		}
	}
	const days = 24 * time.Hour
	row("old v1", "logs/old", "{}", 60*days, false)
	row("old v2", "logs/old", "{}", 40*days, true)
	row("new", "logs/new", "{}", 1*days, true)
	row("kept", "keep/x", "{}", 60*days, true)
	row("tmp", "tmp/y", `{"Tags":{"tmp":"1"}}`, 2*days, true)
	row("untagged", "tmp/z", "{}", 2*days, true)
	oldUpload, _ := b.CreateMultipartUpload(ctx, "lcb", "logs/up", s3api.ObjectMeta{})
	newUpload, _ := b.CreateMultipartUpload(ctx, "lcb", "logs/up2", s3api.ObjectMeta{})
	if _, err := pool.Exec(ctx, `UPDATE multipart_uploads SET initiated_at = $2 WHERE id = $1`, oldUpload, now.Add(-8*days)); err != nil {
		t.Fatal(err)
	}
	err := b.PutBucketLifecycle(ctx, "lcb", []s3api.LifecycleRule{
		{ID: "logs", Enabled: true, Prefix: "logs/", ExpirationDays: 30, NoncurrentDays: 10, AbortUploadDays: 7},
		{ID: "tmp", Enabled: true, Tags: map[string]string{"tmp": "1"}, ExpirationDays: 1},
		{ID: "off", Enabled: false, Prefix: "keep/", ExpirationDays: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := b.ApplyLifecycle(ctx, now)
	if err != nil {
		t.Fatalf("ApplyLifecycle: %v", err)
	}
	// logs/old: a marker and v2 left, v1 gone; tmp/y: a marker; one upload.
	if n != 4 {
		t.Errorf("ApplyLifecycle removed %d; want 4 (two expirations, one noncurrent version, one upload)", n)
	}
	if info, err := b.HeadObject(ctx, "lcb", "logs/old", ""); !errors.Is(err, s3api.ErrNoSuchKey) || !info.DeleteMarker {
		t.Errorf("logs/old after expiry: %+v, %v; want a delete marker", info, err)
	}
	if _, err := b.HeadObject(ctx, "lcb", "logs/old", ids["old v2"]); err != nil {
		t.Errorf("logs/old v2 (noncurrent for less than 10 days): %v; want kept", err)
	}
	if _, err := b.HeadObject(ctx, "lcb", "logs/old", ids["old v1"]); !errors.Is(err, s3api.ErrNoSuchVersion) {
		t.Errorf("logs/old v1 (noncurrent for 40 days): %v; want deleted", err)
	}
	for _, key := range []string{"logs/new", "keep/x", "tmp/z"} {
		if _, err := b.HeadObject(ctx, "lcb", key, ""); err != nil {
			t.Errorf("%s: %v; want untouched", key, err)
		}
	}
	if info, err := b.HeadObject(ctx, "lcb", "tmp/y", ""); !errors.Is(err, s3api.ErrNoSuchKey) || !info.DeleteMarker {
		t.Errorf("tagged tmp/y: %+v, %v; want expired behind a marker", info, err)
	}
	if err := b.AbortMultipartUpload(ctx, "lcb", "logs/up", oldUpload); !errors.Is(err, s3api.ErrNoSuchUpload) {
		t.Errorf("8-day-old upload: %v; want aborted", err)
	}
	if err := b.AbortMultipartUpload(ctx, "lcb", "logs/up2", newUpload); err != nil {
		t.Errorf("new upload: %v; want still open", err)
	}
	if n, err := b.ApplyLifecycle(ctx, now); err != nil || n != 0 {
		t.Errorf("second round removed %d, %v; want nothing left to do", n, err)
	}
	bk, err := b.HeadBucket(ctx, "lcb")
	if err != nil || len(bk.Lifecycle) != 3 || bk.Lifecycle[1].Tags["tmp"] != "1" {
		t.Errorf("stored rules = %+v, %v", bk.Lifecycle, err)
	}
}
