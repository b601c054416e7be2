package s3api

import (
	"io"
	"net/http"
)

// upload is a verified request body on its way to the Backend.
type upload struct {
	body        io.Reader
	size        int64 // decoded size, or -1
	digests     func() Digests
	sha256Known bool // digests().SHA256 will be set at io.EOF
}

// sha256Source is the optional capability of a payload that hashes itself
// with SHA-256 anyway (SigV4 with a hex payload hash).
type sha256Source interface {
	ComputesSHA256() bool
	SHA256() []byte
}

// putObject answers PUT /b/k.
func (h *handler) putObject(q *request) (*response, error) {
	meta, cond, err := putHeaders(q.r.Header)
	if err != nil {
		return nil, err
	}
	up, err := h.openUpload(q, h.maxObjectSize)
	if err != nil {
		return nil, err
	}
	info, err := h.backend.PutObject(q.r.Context(), PutObjectInput{
		Bucket: q.target.bucket, Key: q.target.key, Size: up.size, Body: up.body,
		Digests: up.digests, Meta: meta, Condition: cond, SHA256Known: up.sha256Known,
	})
	if err != nil {
		return nil, err
	}
	resp := newResponse(http.StatusOK)
	resp.header.Set("ETag", quoteETag(info.ETag))
	setIf(resp.header, HeaderObjectID, info.ID)
	setVersionHeader(resp.header, info.VersionID)
	setChecksums(resp.header, up.digests().Checksums)
	return resp, nil
}

// putHeaders reads what a PutObject's headers ask for besides the body.
func putHeaders(hdr http.Header) (meta ObjectMeta, cond WriteCondition, err error) {
	if meta, err = newObjectMeta(hdr); err != nil {
		return meta, cond, err
	}
	if meta.ChecksumAlgorithm, err = declaredAlgorithm(hdr); err != nil {
		return meta, cond, err
	}
	cond, err = writeCondition(hdr)
	return meta, cond, err
}

// newObjectMeta reads the metadata, tags and ACL of a request that creates
// an object (PutObject, CreateMultipartUpload).
func newObjectMeta(hdr http.Header) (ObjectMeta, error) {
	if err := checkCannedACL(hdr, false); err != nil {
		return ObjectMeta{}, err
	}
	meta, err := parseMeta(hdr)
	if err != nil {
		return meta, err
	}
	meta.Tags, err = parseTaggingHeader(hdr)
	return meta, err
}

// writeCondition reads the conditional headers of a write: If-None-Match
// (only *: create only if absent) and If-Match (an ETag, or * for any
// existing object). Other If-None-Match values are NotImplemented rather
// than silently ignored.
func writeCondition(hdr http.Header) (WriteCondition, error) {
	cond := WriteCondition{IfMatch: unquoteETag(hdr.Get("If-Match"))}
	switch hdr.Get("If-None-Match") {
	case "":
	case "*":
		cond.IfNoneMatch = true
	default:
		return cond, errorf(codeNotImplemented, "If-None-Match on writes supports only *")
	}
	return cond, nil
}

// openUpload opens an object or part body of at most limit bytes. The body
// must be framed: Content-Length, HTTP/1.1 chunked, or HTTP/2 (whose DATA
// frames frame it); else MissingContentLength. A declared size over limit
// is refused at once; an undeclared one is cut off when it passes limit.
func (h *handler) openUpload(q *request, limit int64) (upload, error) {
	if unframed(q.r) {
		return upload{}, s3Error(codeMissingContentLength)
	}
	p, err := q.openBody()
	if err != nil {
		return upload{}, err
	}
	if p.Size() > limit {
		return upload{}, s3Error(codeEntityTooLarge)
	}
	src, hashes := p.(sha256Source)
	digests := func() Digests {
		md5, checksums := p.Digests()
		d := Digests{MD5: md5, Checksums: checksums}
		if hashes {
			d.SHA256 = src.SHA256()
		}
		return d
	}
	up := upload{body: &sizeGuard{r: p, left: limit}, size: p.Size(), digests: digests}
	up.sha256Known = hashes && src.ComputesSHA256()
	return up, nil
}

// unframed reports an HTTP/1.x request body with neither Content-Length
// nor chunked transfer coding (net/http reads it as empty).
func unframed(r *http.Request) bool {
	return r.ProtoMajor < 2 && len(r.TransferEncoding) == 0 &&
		r.Header.Get("Content-Length") == "" && r.Header.Get("X-Amz-Decoded-Content-Length") == ""
}

// sizeGuard fails a body that grows past the object size limit.
type sizeGuard struct {
	r    io.Reader
	left int64
}

// Read passes bytes through until more than the limit has been read.
func (g *sizeGuard) Read(b []byte) (int, error) {
	n, err := g.r.Read(b)
	if g.left -= int64(n); g.left < 0 {
		return n, s3Error(codeEntityTooLarge)
	}
	return n, err
}
