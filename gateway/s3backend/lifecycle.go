package s3backend

import (
	"context"
	"encoding/json"
	"time"

	"sixfold/db"
	"sixfold/s3api"
)

// lifecycleBatch bounds what one rule's action removes per round; the
// next round goes on.
const lifecycleBatch = 1000

// day is the unit of every lifecycle period.
const day = 24 * time.Hour

// ApplyLifecycle carries out every bucket's enabled lifecycle rules as of
// now and returns how many objects, versions, markers and uploads it
// removed. Each removal is the same transaction as the S3 call it stands
// for (DeleteObject without or with a version id, AbortMultipartUpload),
// so readers and writers see nothing new. A transaction-scoped advisory
// lock lets one gateway at a time do a round; the others skip it.
func (b *Backend) ApplyLifecycle(ctx context.Context, now time.Time) (int, error) {
	removed := 0
	_, err := b.store.WithLifecycleLock(ctx, func(buckets []db.BucketLifecycle) error {
		for _, bk := range buckets {
			var rules []s3api.LifecycleRule
			if json.Unmarshal(bk.Rules, &rules) != nil {
				continue
			}
			for _, r := range rules {
				if !r.Enabled {
					continue
				}
				n, err := b.applyRule(ctx, bk.Bucket, r, now)
				removed += n
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	return removed, storeError(err)
}

// applyRule runs one rule's actions on one bucket.
func (b *Backend) applyRule(ctx context.Context, bucket string, r s3api.LifecycleRule, now time.Time) (int, error) {
	removed := 0
	steps := []func(context.Context, string, s3api.LifecycleRule, time.Time) (int, error){
		b.expireCurrent, b.expireNoncurrent, b.expireMarkers, b.abortUploads,
	}
	for _, step := range steps {
		n, err := step(ctx, bucket, r, now)
		removed += n
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// expireCurrent expires current versions written ExpirationDays ago, or
// all of them once ExpirationDate has come, as DeleteObject does.
func (b *Backend) expireCurrent(ctx context.Context, bucket string, r s3api.LifecycleRule, now time.Time) (int, error) {
	var cutoff time.Time
	switch {
	case r.ExpirationDays > 0:
		cutoff = now.Add(-time.Duration(r.ExpirationDays) * day)
	case !r.ExpirationDate.IsZero() && !now.Before(r.ExpirationDate):
		cutoff = now
	default:
		return 0, nil
	}
	rows, err := b.store.ExpiringObjects(ctx, bucket, r.Prefix, cutoff, lifecycleBatch)
	if err != nil {
		return 0, storeError(err)
	}
	n := 0
	for _, row := range rows {
		if !hasTags(row.Meta, r.Tags) {
			continue
		}
		if _, err := b.DeleteObject(ctx, bucket, row.Key, ""); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// expireNoncurrent deletes versions NoncurrentDays after a newer one
// replaced them.
func (b *Backend) expireNoncurrent(ctx context.Context, bucket string, r s3api.LifecycleRule, now time.Time) (int, error) {
	if r.NoncurrentDays <= 0 {
		return 0, nil
	}
	rows, err := b.store.ExpiringNoncurrent(ctx, bucket, r.Prefix, now.Add(-time.Duration(r.NoncurrentDays)*day), lifecycleBatch)
	if err != nil {
		return 0, storeError(err)
	}
	return b.deleteVersions(ctx, bucket, rows)
}

// expireMarkers removes delete markers with no version left behind them.
func (b *Backend) expireMarkers(ctx context.Context, bucket string, r s3api.LifecycleRule, _ time.Time) (int, error) {
	if !r.ExpiredObjectDeleteMarker {
		return 0, nil
	}
	rows, err := b.store.ExpiredDeleteMarkers(ctx, bucket, r.Prefix, lifecycleBatch)
	if err != nil {
		return 0, storeError(err)
	}
	return b.deleteVersions(ctx, bucket, rows)
}

func (b *Backend) deleteVersions(ctx context.Context, bucket string, rows []db.VersionName) (int, error) {
	for i, row := range rows {
		if _, err := b.DeleteObject(ctx, bucket, row.Key, row.VersionID); err != nil {
			return i, err
		}
	}
	return len(rows), nil
}

// abortUploads aborts multipart uploads AbortUploadDays after they began.
func (b *Backend) abortUploads(ctx context.Context, bucket string, r s3api.LifecycleRule, now time.Time) (int, error) {
	if r.AbortUploadDays <= 0 {
		return 0, nil
	}
	ids, err := b.store.ExpiringUploads(ctx, bucket, r.Prefix, now.Add(-time.Duration(r.AbortUploadDays)*day), lifecycleBatch)
	if err != nil {
		return 0, storeError(err)
	}
	for i, id := range ids {
		err := b.store.WithTx(ctx, func(tx *db.Tx) error { return dropUpload(ctx, tx, id) })
		if err != nil {
			return i, storeError(err)
		}
	}
	return len(ids), nil
}

// hasTags reports whether an object's metadata carries every tag in want.
func hasTags(meta json.RawMessage, want map[string]string) bool {
	if len(want) == 0 {
		return true
	}
	var m s3api.ObjectMeta
	_ = json.Unmarshal(meta, &m)
	for k, v := range want {
		if got, ok := m.Tags[k]; !ok || got != v {
			return false
		}
	}
	return true
}
