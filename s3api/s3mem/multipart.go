package s3mem

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"sort"
	"strings"

	"sixfold/s3api"
	"sixfold/s3api/sigv4"
)

// minPartSize is S3's minimum size of every part but the last.
const minPartSize = 5 << 20

// upload is a multipart upload in progress.
type upload struct {
	bucket, key string
	meta        s3api.ObjectMeta
	info        s3api.Upload
	parts       map[int]part
}

// part is one uploaded part and its bytes.
type part struct {
	info s3api.PartInfo
	data []byte
}

// CreateMultipartUpload implements s3api.MultipartBackend.
func (s *Store) CreateMultipartUpload(ctx context.Context, bucketName, key string, meta s3api.ObjectMeta) (string, error) {
	if _, err := s.HeadBucket(ctx, bucketName); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := newID()
	s.uploads[id] = &upload{bucket: bucketName, key: key, meta: meta,
		info: s3api.Upload{Key: key, UploadID: id, Initiated: s.now()}, parts: map[int]part{}}
	return id, nil
}

// findUpload returns the upload id of bucket/key. s.mu is held.
func (s *Store) findUpload(bucketName, key, id string) (*upload, error) {
	u, ok := s.uploads[id]
	if !ok || u.bucket != bucketName || u.key != key {
		return nil, s3api.ErrNoSuchUpload
	}
	return u, nil
}

// UploadPart implements s3api.MultipartBackend.
func (s *Store) UploadPart(ctx context.Context, in s3api.UploadPartInput) (s3api.PartInfo, error) {
	if err := s.checkUpload(ctx, in.Bucket, in.Key, in.UploadID); err != nil {
		return s3api.PartInfo{}, err
	}
	data, err := readBody(ctx, in.Body, in.Size)
	if err != nil {
		return s3api.PartInfo{}, err
	}
	d := in.Digests()
	p := part{data: data, info: s3api.PartInfo{PartNumber: in.PartNumber, Size: int64(len(data)),
		ETag: hex.EncodeToString(d.MD5), LastModified: s.now(), Checksums: maps.Clone(d.Checksums)}}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.findUpload(in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return s3api.PartInfo{}, err
	}
	u.parts[in.PartNumber] = p
	return p.info, nil
}

// UploadPartCopy implements s3api.MultipartBackend: the part shares the
// source's bytes, and its ETag is their MD5, as S3's is.
func (s *Store) UploadPartCopy(ctx context.Context, in s3api.UploadPartCopyInput) (s3api.PartInfo, error) {
	if err := ctx.Err(); err != nil {
		return s3api.PartInfo{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.findUpload(in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return s3api.PartInfo{}, err
	}
	data, ok := s.blobs[in.Src.ID]
	if !ok {
		return s3api.PartInfo{}, s3api.ErrNoSuchKey
	}
	copied := data[in.Offset : in.Offset+in.Length]
	sum := md5.Sum(copied)
	p := part{data: copied, info: s3api.PartInfo{PartNumber: in.PartNumber,
		Size: in.Length, ETag: hex.EncodeToString(sum[:]), LastModified: s.now()}}
	u.parts[in.PartNumber] = p
	return p.info, nil
}

// checkUpload fails early for an unknown upload, before a body is read.
func (s *Store) checkUpload(ctx context.Context, bucketName, key, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.findUpload(bucketName, key, id)
	return err
}

// CompleteMultipartUpload implements s3api.MultipartBackend.
func (s *Store) CompleteMultipartUpload(ctx context.Context, bucketName, key, id string, parts []s3api.CompletePart, cond s3api.WriteCondition) (s3api.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return s3api.ObjectInfo{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.findUpload(bucketName, key, id)
	if err != nil {
		return s3api.ObjectInfo{}, err
	}
	chosen, err := u.choose(parts)
	if err != nil {
		return s3api.ObjectInfo{}, err
	}
	info, data := assemble(u, chosen)
	if info, err = s.commitLocked(info, data, cond); err == nil {
		delete(s.uploads, id)
	}
	return info, err
}

// choose returns the listed parts: every one must exist with that ETag
// (else ErrInvalidPart), then all but the last must be at least 5 MiB
// (else ErrEntityTooSmall).
func (u *upload) choose(list []s3api.CompletePart) ([]part, error) {
	if len(list) == 0 {
		return nil, s3api.ErrInvalidPart
	}
	chosen := make([]part, 0, len(list))
	for _, cp := range list {
		p, ok := u.parts[cp.PartNumber]
		if !ok || p.info.ETag != cp.ETag {
			return nil, fmt.Errorf("part %d: %w", cp.PartNumber, s3api.ErrInvalidPart)
		}
		chosen = append(chosen, p)
	}
	for _, p := range chosen[:len(chosen)-1] {
		if p.info.Size < minPartSize {
			return nil, fmt.Errorf("part %d: %w", p.info.PartNumber, s3api.ErrEntityTooSmall)
		}
	}
	return chosen, nil
}

// assemble builds the object of an upload's chosen parts: ETag
// md5(concatenated binary part MD5s)-N, composite checksums.
func assemble(u *upload, chosen []part) (s3api.ObjectInfo, []byte) {
	info := s3api.ObjectInfo{Bucket: u.bucket, Key: u.key, Meta: u.meta}
	var data, md5s []byte
	for _, p := range chosen {
		data = append(data, p.data...)
		sum, _ := hex.DecodeString(p.info.ETag)
		md5s = append(md5s, sum...)
		info.Parts = append(info.Parts, p.info)
	}
	sum := md5.Sum(md5s)
	info.ETag = fmt.Sprintf("%s-%d", hex.EncodeToString(sum[:]), len(chosen))
	info.Size = int64(len(data))
	info.Checksums = compositeChecksums(info.Parts)
	return info, data
}

// compositeChecksums computes, for every algorithm all parts carry, the
// checksum of the concatenated binary part checksums, suffixed "-N".
func compositeChecksums(parts []s3api.PartInfo) map[string]string {
	out := map[string]string{}
	for alg := range parts[0].Checksums {
		if v, ok := Composite(alg, parts); ok {
			out[alg] = v
		}
	}
	return out
}

// Composite returns the COMPOSITE checksum of alg over parts as S3
// computes it: base64(alg(concat(decoded part checksums))) + "-N". ok is
// false when a part lacks alg.
func Composite(alg string, parts []s3api.PartInfo) (string, bool) {
	h, err := sigv4.NewChecksum(alg)
	if err != nil {
		return "", false
	}
	for _, p := range parts {
		raw, err := base64.StdEncoding.DecodeString(p.Checksums[alg])
		if err != nil || len(raw) == 0 {
			return "", false
		}
		h.Write(raw)
	}
	return fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(h.Sum(nil)), len(parts)), true
}

// AbortMultipartUpload implements s3api.MultipartBackend.
func (s *Store) AbortMultipartUpload(ctx context.Context, bucketName, key, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.findUpload(bucketName, key, id); err != nil {
		return err
	}
	delete(s.uploads, id)
	return nil
}

// ListParts implements s3api.MultipartBackend.
func (s *Store) ListParts(ctx context.Context, bucketName, key, id string, after, limit int) ([]s3api.PartInfo, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.findUpload(bucketName, key, id)
	if err != nil {
		return nil, false, err
	}
	var out []s3api.PartInfo
	for n, p := range u.parts {
		if n > after {
			out = append(out, p.info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PartNumber < out[j].PartNumber })
	return truncate(out, limit)
}

// ListMultipartUploads implements s3api.MultipartBackend.
func (s *Store) ListMultipartUploads(ctx context.Context, bucketName, prefix, afterKey, afterID string, limit int) ([]s3api.Upload, bool, error) {
	if _, err := s.HeadBucket(ctx, bucketName); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []s3api.Upload
	for _, u := range s.uploads {
		k := u.info
		if u.bucket == bucketName && strings.HasPrefix(k.Key, prefix) &&
			(k.Key > afterKey || k.Key == afterKey && k.UploadID > afterID) {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Key < out[j].Key || out[i].Key == out[j].Key && out[i].UploadID < out[j].UploadID
	})
	return truncate(out, limit)
}

// truncate cuts a sorted listing to limit.
func truncate[T any](out []T, limit int) ([]T, bool, error) {
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}
