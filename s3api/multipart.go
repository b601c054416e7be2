package s3api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxPartNumber is the highest part number S3 allows.
const maxPartNumber = 10000

// maxPartSize is S3's limit on one part.
const maxPartSize = 5 << 30

// createMultipartUpload answers POST /b/k?uploads. Composite checksums are
// the only kind kept for multipart objects, so x-amz-checksum-type:
// FULL_OBJECT is NotImplemented.
func (h *handler) createMultipartUpload(q *request) (*response, error) {
	meta, err := newObjectMeta(q.r.Header)
	if err != nil {
		return nil, err
	}
	if meta.ChecksumAlgorithm, err = declaredAlgorithm(q.r.Header); err != nil {
		return nil, err
	}
	if t := strings.ToUpper(q.r.Header.Get("x-amz-checksum-type")); t != "" && t != "COMPOSITE" {
		return nil, errorf(codeNotImplemented, "Only COMPOSITE checksums are implemented for multipart uploads")
	}
	id, err := h.backend.CreateMultipartUpload(q.r.Context(), q.target.bucket, q.target.key, meta)
	if err != nil {
		return nil, err
	}
	resp := xmlResponse(initiateMultipartUploadResult{Bucket: q.target.bucket, Key: q.target.key, UploadID: id})
	setIf(resp.header, "x-amz-checksum-algorithm", meta.ChecksumAlgorithm)
	return resp, nil
}

// uploadPart answers PUT /b/k?partNumber=N&uploadId=U with the part's
// ETag, which clients need for Complete, and the checksums computed over
// it.
func (h *handler) uploadPart(q *request) (*response, error) {
	n, err := parsePartNumber(q.query.Get("partNumber"))
	if err != nil {
		return nil, err
	}
	up, err := h.openUpload(q, min(maxPartSize, h.maxObjectSize))
	if err != nil {
		return nil, err
	}
	part, err := h.backend.UploadPart(q.r.Context(), UploadPartInput{
		Bucket: q.target.bucket, Key: q.target.key, UploadID: q.query.Get("uploadId"),
		PartNumber: n, Size: up.size, Body: up.body, Digests: up.digests, SHA256Known: up.sha256Known,
	})
	if err != nil {
		return nil, err
	}
	resp := newResponse(http.StatusOK)
	resp.header.Set("ETag", quoteETag(part.ETag))
	setChecksums(resp.header, up.digests().Checksums)
	return resp, nil
}

// completeMultipartUpload answers POST /b/k?uploadId=U.
func (h *handler) completeMultipartUpload(q *request) (*response, error) {
	cond, err := writeCondition(q.r.Header)
	if err != nil {
		return nil, err
	}
	parts, err := parseCompleteRequest(q.openBody)
	if err != nil {
		return nil, err
	}
	info, err := h.backend.CompleteMultipartUpload(q.r.Context(), q.target.bucket, q.target.key,
		q.query.Get("uploadId"), parts, cond)
	if err != nil {
		return nil, err
	}
	resp := xmlResponse(completeMultipartUploadResult{
		Location: objectLocation(q), Bucket: q.target.bucket, Key: q.target.key, ETag: quoteETag(info.ETag),
	})
	setIf(resp.header, HeaderObjectID, info.ID)
	setVersionHeader(resp.header, info.VersionID)
	return resp, nil
}

// uploadPartCopy answers PUT /b/k?partNumber=N&uploadId=U with
// x-amz-copy-source (and x-amz-copy-source-range): the part shares the
// source's blobs instead of receiving its bytes again.
func (h *handler) uploadPartCopy(q *request) (*response, error) {
	n, err := parsePartNumber(q.query.Get("partNumber"))
	if err != nil {
		return nil, err
	}
	src, err := h.copySource(q)
	if err != nil {
		return nil, err
	}
	offset, length, err := copySourceRange(q.r.Header.Get("X-Amz-Copy-Source-Range"), src.Size)
	if err != nil {
		return nil, err
	}
	if length > maxPartSize {
		return nil, s3Error(codeEntityTooLarge)
	}
	part, err := h.backend.UploadPartCopy(q.r.Context(), UploadPartCopyInput{Bucket: q.target.bucket, Key: q.target.key,
		UploadID: q.query.Get("uploadId"), PartNumber: n, Src: src, Offset: offset, Length: length})
	if err != nil {
		return nil, err
	}
	resp := xmlResponse(copyPartResult{ETag: quoteETag(part.ETag), LastModified: xmlTime(part.LastModified)})
	if src.VersionID != "" {
		resp.header.Set("x-amz-copy-source-version-id", src.VersionID)
	}
	return resp, nil
}

// copySourceRange reads x-amz-copy-source-range, "bytes=first-last" within
// the source (both given); the whole source when absent.
func copySourceRange(value string, size int64) (offset, length int64, err error) {
	if value == "" {
		return 0, size, nil
	}
	spec, ok := strings.CutPrefix(value, "bytes=")
	first, last, dash := strings.Cut(spec, "-")
	a, errA := strconv.ParseInt(first, 10, 64)
	b, errB := strconv.ParseInt(last, 10, 64)
	if !ok || !dash || errA != nil || errB != nil || a < 0 || b < a {
		return 0, 0, errorf(codeInvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
	}
	if b >= size {
		return 0, 0, errorf(codeInvalidRange, "The specified copy range is invalid for the source object size")
	}
	return a, b - a + 1, nil
}

// parseCompleteRequest reads a CompleteMultipartUpload document: at least
// one part, numbers 1..10000 strictly ascending (else InvalidPartOrder),
// ETags unquoted whatever form they came in.
func parseCompleteRequest(open bodyOpener) ([]CompletePart, error) {
	var req completeRequest
	if err := readXML(open, maxRequestXML, &req); err != nil {
		return nil, err
	}
	if len(req.Parts) == 0 || len(req.Parts) > maxPartNumber {
		return nil, s3Error(codeMalformedXML)
	}
	parts := make([]CompletePart, 0, len(req.Parts))
	for i, p := range req.Parts {
		if p.PartNumber < 1 || p.PartNumber > maxPartNumber {
			return nil, s3Error(codeInvalidPart)
		}
		if i > 0 && p.PartNumber <= req.Parts[i-1].PartNumber {
			return nil, s3Error(codeInvalidPartOrder)
		}
		parts = append(parts, CompletePart{PartNumber: p.PartNumber, ETag: unquoteETag(p.ETag)})
	}
	return parts, nil
}

// objectLocation is the object's URL as this request addressed it.
func objectLocation(q *request) string {
	scheme := "http"
	if q.r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: q.r.Host, Path: "/" + q.target.bucket + "/" + q.target.key}
	return u.String()
}

// abortMultipartUpload answers DELETE /b/k?uploadId=U.
func (h *handler) abortMultipartUpload(q *request) (*response, error) {
	err := h.backend.AbortMultipartUpload(q.r.Context(), q.target.bucket, q.target.key, q.query.Get("uploadId"))
	if err != nil {
		return nil, err
	}
	return newResponse(http.StatusNoContent), nil
}
