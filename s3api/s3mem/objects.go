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
	return s.commit(info, data, in.IfNoneMatch)
}

// commit makes info (with its bytes) the object at its key, atomically.
func (s *Store) commit(info s3api.ObjectInfo, data []byte, ifNoneMatch bool) (s3api.ObjectInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commitLocked(info, data, ifNoneMatch)
}

// commitLocked is commit with s.mu held.
func (s *Store) commitLocked(info s3api.ObjectInfo, data []byte, ifNoneMatch bool) (s3api.ObjectInfo, error) {
	b, ok := s.buckets[info.Bucket]
	if !ok {
		return s3api.ObjectInfo{}, s3api.ErrNoSuchBucket
	}
	old, exists := b.objects[info.Key]
	if exists && ifNoneMatch {
		return s3api.ObjectInfo{}, s3api.ErrPreconditionFailed
	}
	info.VersionID = newID()
	info.ID = info.VersionID
	info.LastModified = s.now()
	s.blobs[info.VersionID] = data
	b.objects[info.Key] = info
	if exists {
		delete(s.blobs, old.VersionID)
	}
	return info, nil
}

// HeadObject implements s3api.ObjectBackend.
func (s *Store) HeadObject(ctx context.Context, bucketName, key string) (s3api.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return s3api.ObjectInfo{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucketName]
	if !ok {
		return s3api.ObjectInfo{}, s3api.ErrNoSuchBucket
	}
	info, ok := b.objects[key]
	if !ok {
		return s3api.ObjectInfo{}, s3api.ErrNoSuchKey
	}
	return info, nil
}

// GetObject implements s3api.ObjectBackend. A version replaced since
// HeadObject is gone: ErrNoSuchKey, never the newer bytes.
func (s *Store) GetObject(ctx context.Context, info s3api.ObjectInfo, offset, length int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	data, ok := s.blobs[info.VersionID]
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
func (s *Store) DeleteObject(ctx context.Context, bucketName, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucketName]
	if !ok {
		return s3api.ErrNoSuchBucket
	}
	if old, ok := b.objects[key]; ok {
		delete(s.blobs, old.VersionID)
		delete(b.objects, key)
	}
	return nil
}

// CopyObject implements s3api.ObjectBackend. The copy shares the source's
// bytes, ETag, parts and checksums.
func (s *Store) CopyObject(ctx context.Context, src s3api.ObjectInfo, dstBucket, dstKey string, meta s3api.ObjectMeta, replaceMeta bool) (s3api.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return s3api.ObjectInfo{}, err
	}
	s.mu.Lock()
	data, ok := s.blobs[src.VersionID]
	s.mu.Unlock()
	if !ok {
		return s3api.ObjectInfo{}, s3api.ErrNoSuchKey
	}
	dst := src
	dst.Bucket, dst.Key = dstBucket, dstKey
	if replaceMeta {
		dst.Meta = meta
	}
	return s.commit(dst, data, false)
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
	var keys []string
	for key := range b.objects {
		if strings.HasPrefix(key, q.Prefix) && key > q.After {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	var page s3api.ListPage
	entries := 0
	for _, key := range keys {
		cp := s3api.CommonPrefix(key, q.Prefix, q.Delimiter)
		if cp != "" && len(page.Prefixes) > 0 && page.Prefixes[len(page.Prefixes)-1] == cp {
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
			page.Objects = append(page.Objects, b.objects[key])
		}
	}
	return page, nil
}
