package s3mem

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"sort"
	"strings"

	"sixfold/s3api"
)

// PutObject implements s3api.ObjectBackend.
func (s *Store) PutObject(ctx context.Context, in s3api.PutObjectInput) (s3api.ObjectInfo, error) {
	if _, err := s.HeadBucket(ctx, in.Bucket); err != nil {
		return s3api.ObjectInfo{}, err
	}
	data, err := readBody(ctx, in.Body, in.Size)
	if err != nil {
		return s3api.ObjectInfo{}, err
	}
	d := in.Digests()
	info := s3api.ObjectInfo{
		Bucket: in.Bucket, Key: in.Key, Size: int64(len(data)), ETag: hex.EncodeToString(d.MD5),
		Meta: in.Meta, Checksums: maps.Clone(d.Checksums),
	}
	return s.commit(info, data, in.Condition)
}

// commit makes info (with its bytes) the latest version at its key,
// atomically.
func (s *Store) commit(info s3api.ObjectInfo, data []byte, cond s3api.WriteCondition) (s3api.ObjectInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commitLocked(info, data, cond)
}

// commitLocked is commit with s.mu held.
func (s *Store) commitLocked(info s3api.ObjectInfo, data []byte, cond s3api.WriteCondition) (s3api.ObjectInfo, error) {
	b, ok := s.buckets[info.Bucket]
	if !ok {
		return s3api.ObjectInfo{}, s3api.ErrNoSuchBucket
	}
	cur, exists := b.latest(info.Key)
	exists = exists && !cur.DeleteMarker
	if err := cond.Check(exists, cur.ETag); err != nil {
		return s3api.ObjectInfo{}, err
	}
	info.ID = newID()
	info.LastModified = s.now()
	s.blobs[info.ID] = data
	return s.addVersion(b, info), nil
}

// addVersion appends info as the latest version of its key: a new version
// id when versioning is enabled, else the null version, which replaces any
// earlier null version. s.mu is held.
func (s *Store) addVersion(b *bucket, info s3api.ObjectInfo) s3api.ObjectInfo {
	vs := b.versions[info.Key]
	for i := range vs {
		vs[i].IsLatest = false
	}
	switch b.versioning {
	case s3api.VersioningEnabled:
		info.VersionID = newID()
	default:
		vs = s.dropVersion(vs, s3api.NullVersion)
		info.VersionID = s3api.NullVersion
	}
	info.IsLatest = true
	b.versions[info.Key] = append(vs, info)
	return present(b, info)
}

// dropVersion removes version id from vs, freeing its bytes unless a copy
// still shares them. s.mu is held.
func (s *Store) dropVersion(vs []s3api.ObjectInfo, id string) []s3api.ObjectInfo {
	for i, v := range vs {
		if v.VersionID == id {
			delete(s.blobs, v.ID)
			return append(vs[:i:i], vs[i+1:]...)
		}
	}
	return vs
}

// present is info as callers see it: no version id in a bucket that never
// had versioning.
func present(b *bucket, info s3api.ObjectInfo) s3api.ObjectInfo {
	if b.versioning == "" {
		info.VersionID = ""
	}
	return info
}

// HeadObject implements s3api.ObjectBackend.
func (s *Store) HeadObject(ctx context.Context, bucketName, key, versionID string) (s3api.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return s3api.ObjectInfo{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucketName]
	if !ok {
		return s3api.ObjectInfo{}, s3api.ErrNoSuchBucket
	}
	info, err := s.findVersion(b, key, versionID)
	if err != nil {
		return info, err
	}
	return present(b, info), nil
}

// findVersion finds a version ("" = latest), with HeadObject's errors.
// s.mu is held.
func (s *Store) findVersion(b *bucket, key, versionID string) (s3api.ObjectInfo, error) {
	if versionID == "" {
		info, ok := b.latest(key)
		switch {
		case !ok:
			return s3api.ObjectInfo{}, s3api.ErrNoSuchKey
		case info.DeleteMarker:
			return info, s3api.ErrNoSuchKey
		}
		return info, nil
	}
	for _, v := range b.versions[key] {
		if v.VersionID == versionID {
			if v.DeleteMarker {
				return v, s3api.ErrMethodNotAllowed
			}
			return v, nil
		}
	}
	return s3api.ObjectInfo{}, s3api.ErrNoSuchVersion
}

// GetObject implements s3api.ObjectBackend. A version deleted since
// HeadObject is gone: ErrNoSuchKey, never other bytes.
func (s *Store) GetObject(ctx context.Context, info s3api.ObjectInfo, offset, length int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	data, ok := s.blobs[info.ID]
	s.mu.Unlock()
	if !ok {
		return nil, s3api.ErrNoSuchKey
	}
	if offset < 0 || length < 0 || offset+length > int64(len(data)) {
		return nil, errors.New("s3mem: range outside the object")
	}
	return io.NopCloser(bytes.NewReader(data[offset : offset+length])), nil
}

// DeleteObject implements s3api.ObjectBackend.
func (s *Store) DeleteObject(ctx context.Context, bucketName, key, versionID string) (s3api.Deleted, error) {
	if err := ctx.Err(); err != nil {
		return s3api.Deleted{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucketName]
	if !ok {
		return s3api.Deleted{}, s3api.ErrNoSuchBucket
	}
	if versionID != "" {
		return s.deleteVersion(b, key, versionID), nil
	}
	if b.versioning == "" {
		s.dropKey(b, key, s3api.NullVersion)
		return s3api.Deleted{}, nil
	}
	marker := s.addVersion(b, s3api.ObjectInfo{Bucket: bucketName, Key: key, DeleteMarker: true, LastModified: s.now()})
	return s3api.Deleted{VersionID: marker.VersionID, DeleteMarker: true}, nil
}

// deleteVersion removes one version for good. s.mu is held.
func (s *Store) deleteVersion(b *bucket, key, versionID string) s3api.Deleted {
	for _, v := range b.versions[key] {
		if v.VersionID == versionID {
			s.dropKey(b, key, versionID)
			return s3api.Deleted{VersionID: versionID, DeleteMarker: v.DeleteMarker}
		}
	}
	return s3api.Deleted{VersionID: versionID}
}

// dropKey removes a version of key and makes the newest one left the
// latest. s.mu is held.
func (s *Store) dropKey(b *bucket, key, versionID string) {
	vs := s.dropVersion(b.versions[key], versionID)
	if len(vs) == 0 {
		delete(b.versions, key)
		return
	}
	vs[len(vs)-1].IsLatest = true
	b.versions[key] = vs
}

// CopyObject implements s3api.ObjectBackend. The copy shares the source's
// bytes, ETag, parts and checksums.
func (s *Store) CopyObject(ctx context.Context, src s3api.ObjectInfo, dstBucket, dstKey string, meta s3api.ObjectMeta) (s3api.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return s3api.ObjectInfo{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	data, ok := s.blobs[src.ID]
	if !ok {
		return s3api.ObjectInfo{}, s3api.ErrNoSuchKey
	}
	dst := src
	dst.Bucket, dst.Key, dst.Meta = dstBucket, dstKey, meta
	return s.commitLocked(dst, data, s3api.WriteCondition{})
}

// PutObjectTagging implements s3api.ObjectBackend.
func (s *Store) PutObjectTagging(ctx context.Context, bucketName, key, versionID string, tags map[string]string) (s3api.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return s3api.ObjectInfo{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucketName]
	if !ok {
		return s3api.ObjectInfo{}, s3api.ErrNoSuchBucket
	}
	info, err := s.findVersion(b, key, versionID)
	if err != nil {
		return info, err
	}
	vs := b.versions[key]
	for i := range vs {
		if vs[i].VersionID == info.VersionID {
			vs[i].Meta.Tags = maps.Clone(tags)
			info = vs[i]
		}
	}
	return present(b, info), nil
}

// ListObjects implements s3api.ObjectBackend. It sorts every key: the
// fake is for small stores.
func (s *Store) ListObjects(ctx context.Context, bucketName string, q s3api.ListQuery) (s3api.ListPage, error) {
	if err := ctx.Err(); err != nil {
		return s3api.ListPage{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucketName]
	if !ok {
		return s3api.ListPage{}, s3api.ErrNoSuchBucket
	}
	var page s3api.ListPage
	entries := 0
	for _, key := range sortedKeys(b, q.Prefix) {
		info, _ := b.latest(key)
		cp := s3api.CommonPrefix(key, q.Prefix, q.Delimiter)
		if key <= q.After || info.DeleteMarker || cp != "" && len(page.Prefixes) > 0 && page.Prefixes[len(page.Prefixes)-1] == cp {
			continue
		}
		if entries == q.Limit {
			page.Truncated = true
			break
		}
		entries++
		if cp != "" {
			page.Prefixes = append(page.Prefixes, cp)
		} else {
			page.Objects = append(page.Objects, present(b, info))
		}
	}
	return page, nil
}

// sortedKeys returns the bucket's keys that start with prefix, in order.
func sortedKeys(b *bucket, prefix string) []string {
	var keys []string
	for key := range b.versions {
		if strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys
}

// ListObjectVersions implements s3api.ObjectBackend.
func (s *Store) ListObjectVersions(ctx context.Context, bucketName string, q s3api.VersionQuery) (s3api.VersionPage, error) {
	if err := ctx.Err(); err != nil {
		return s3api.VersionPage{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucketName]
	if !ok {
		return s3api.VersionPage{}, s3api.ErrNoSuchBucket
	}
	var page s3api.VersionPage
	entries := 0
	for _, key := range sortedKeys(b, q.Prefix) {
		if key < q.AfterKey {
			continue
		}
		cp := s3api.CommonPrefix(key, q.Prefix, q.Delimiter)
		if cp != "" {
			if cp <= q.AfterKey && q.AfterKey != key || len(page.Prefixes) > 0 && page.Prefixes[len(page.Prefixes)-1] == cp {
				continue
			}
			if entries == q.Limit {
				page.Truncated = true
				break
			}
			entries++
			page.Prefixes = append(page.Prefixes, cp)
			continue
		}
		for _, v := range newestFirst(b.versions[key], key, q) {
			if entries == q.Limit {
				page.Truncated = true
				return page, nil
			}
			entries++
			page.Versions = append(page.Versions, v)
		}
	}
	return page, nil
}

// newestFirst returns a key's versions newest first, without those at or
// before the marker.
func newestFirst(vs []s3api.ObjectInfo, key string, q s3api.VersionQuery) []s3api.ObjectInfo {
	var out []s3api.ObjectInfo
	skipping := key == q.AfterKey
	for i := len(vs) - 1; i >= 0; i-- {
		if skipping {
			skipping = q.AfterVersion == "" || vs[i].VersionID != q.AfterVersion
			if q.AfterVersion == "" {
				return nil
			}
			continue
		}
		out = append(out, vs[i])
	}
	return out
}
