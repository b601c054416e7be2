package sigv4

import (
	"crypto/md5"
	"encoding/base64"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"sixfold/s3api/hashpipe"
)

// Payload is the decoded, verified request body. It streams: nothing but
// one signed chunk (at most 16 MiB) is ever held. It is not safe for
// concurrent use.
type Payload struct {
	src           io.Reader       // decoded bytes: raw itself, or a chunkReader over it
	raw           *countingReader // the HTTP body as received (after HTTP de-chunking)
	chunks        *chunkReader    // nil unless aws-chunked
	contentLength int64           // r.ContentLength; -1 when unknown
	declaredLen   int64           // x-amz-decoded-content-length; -1 when absent
	decoded       int64           // decoded bytes returned so far

	md5      hash.Hash
	hashes   map[string]hash.Hash // every algorithm computed
	algs     map[string]bool      // the checksum algorithms the request declared
	hashAll  *hashpipe.Pipe       // fans decoded bytes out to md5 and hashes
	sha256   []byte               // hex X-Amz-Content-Sha256, decoded; nil otherwise
	md5Want  []byte               // Content-MD5, decoded; nil if absent
	sumWant  map[string]string    // checksum values sent as headers, by algorithm
	trailing []string             // algorithms declared by x-amz-trailer

	md5Sum []byte            // set at io.EOF
	sums   map[string]string // base64 checksums, set at io.EOF
	err    error             // sticky: io.EOF or the first failure
}

// NewPayload validates the payload-related headers of r (authenticated as
// auth; nil means anonymous, which allows only unsigned payloads) and wraps
// r.Body. It reads nothing. Errors are *Error: InvalidArgument for an
// unknown X-Amz-Content-Sha256 or length, InvalidDigest for a malformed
// Content-MD5, InvalidRequest for a malformed checksum declaration.
//
// On POST ?uploads and POST ?uploadId (create and complete multipart
// upload), x-amz-checksum-* headers describe the whole object rather than
// this body, so they are neither verified nor reported here.
func NewPayload(r *http.Request, auth *Auth) (*Payload, error) {
	p := &Payload{
		contentLength: r.ContentLength,
		md5:           md5.New(),
		hashes:        map[string]hash.Hash{},
		algs:          map[string]bool{},
		sumWant:       map[string]string{},
	}
	m, err := p.readHeaders(r, auth)
	if err != nil {
		return nil, err
	}
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	p.raw = &countingReader{r: body}
	if err := p.setSource(m, auth); err != nil {
		return nil, err
	}
	p.hashAll = p.writers()
	return p, nil
}

// readHeaders parses every header that describes the payload.
func (p *Payload) readHeaders(r *http.Request, auth *Auth) (mode, error) {
	m, sum, err := payloadMode(payloadHashOf(r, auth))
	if err != nil {
		return 0, err
	}
	p.sha256 = sum
	if p.declaredLen, err = decodedLength(r.Header); err != nil {
		return 0, err
	}
	if p.md5Want, err = contentMD5(r.Header); err != nil {
		return 0, err
	}
	query, err := queryOf(r, auth)
	if err != nil {
		return 0, err
	}
	if err := p.declareChecksums(r, query); err != nil {
		return 0, err
	}
	if sum != nil {
		p.compute(SHA256) // shared with a declared SHA256 checksum: hash once
	}
	return m, nil
}

// payloadHashOf is the payload hash the request was signed with.
func payloadHashOf(r *http.Request, auth *Auth) string {
	if auth != nil {
		return auth.PayloadHash
	}
	return r.Header.Get("X-Amz-Content-Sha256")
}

// queryOf is the query the request was verified with; an anonymous
// request was never verified, so its query is parsed here, as strictly.
func queryOf(r *http.Request, auth *Auth) (url.Values, error) {
	if auth != nil {
		return auth.Query, nil
	}
	return parseQuery(r.URL.RawQuery)
}

// setSource picks the decoder for the payload mode.
func (p *Payload) setSource(m mode, auth *Auth) error {
	if m.streaming() && m != modeUnsignedTrailer && auth == nil {
		return newError(CodeAccessDenied, "signed streaming payload without authentication")
	}
	if len(p.trailing) > 0 && !m.trailers() {
		return newError(CodeInvalidRequest, "x-amz-trailer needs a STREAMING-*-TRAILER payload")
	}
	var signer *chunkSigner
	if m == modeSigned || m == modeSignedTrailer {
		signer = newChunkSigner(auth)
	}
	p.src = p.raw
	if m.streaming() {
		p.chunks = newChunkReader(p.raw, signer, m.trailers(), p.declaredLen)
		p.src = p.chunks
	}
	return nil
}

// writers returns one writer feeding every hash the payload needs, each
// on its own goroutine once the body outgrows a block.
func (p *Payload) writers() *hashpipe.Pipe {
	hs := []hash.Hash{p.md5}
	for _, h := range p.hashes {
		hs = append(hs, h)
	}
	return hashpipe.New(hs...)
}

// Read yields decoded bytes. When the payload ends it verifies everything
// the request declared and returns io.EOF only if all of it matched;
// otherwise an *Error (XAmzContentSHA256Mismatch, SignatureDoesNotMatch,
// BadDigest, IncompleteBody, MalformedTrailerError, …), or the body's own
// read error (a client disconnect) unchanged. Bytes returned before a
// failure must be discarded by the caller: only io.EOF means the payload
// is good. A signed chunk is verified before any of its bytes are
// returned. Errors are sticky.
func (p *Payload) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.src.Read(b)
	p.hashAll.Write(b[:n])
	p.decoded += int64(n)
	switch {
	case err == io.EOF:
		p.hashAll.Wait()
		err = p.finish()
	case err != nil:
		p.hashAll.Wait()
		err = incomplete(err)
	}
	p.err = err
	return n, err
}

// Size is the decoded length: x-amz-decoded-content-length for aws-chunked,
// Content-Length otherwise, or -1 when the request does not say.
func (p *Payload) Size() int64 {
	if p.chunks != nil || p.contentLength < 0 {
		return p.declaredLen
	}
	return p.contentLength
}

// Digests may be called after Read returned io.EOF. It returns the MD5 of
// the decoded bytes and the base64 checksum of every algorithm the request
// declared (by value, x-amz-trailer, x-amz-sdk-checksum-algorithm or
// x-amz-checksum-algorithm), keyed by algorithm name (CRC32, …). Before
// io.EOF it returns nil, nil. The map is the caller's.
func (p *Payload) Digests() (md5 []byte, checksums map[string]string) {
	if p.err != io.EOF {
		return nil, nil
	}
	sums := make(map[string]string, len(p.sums))
	for k, v := range p.sums {
		sums[k] = v
	}
	return p.md5Sum, sums
}

// ComputesSHA256 reports, before the body is read, whether SHA256 will have
// a value at io.EOF: callers that need the digest can skip their own pass.
func (p *Payload) ComputesSHA256() bool {
	_, ok := p.hashes[SHA256]
	return ok
}

// SHA256 returns the SHA-256 of the decoded bytes after io.EOF when it was
// computed anyway (a hex X-Amz-Content-Sha256 or a SHA256 checksum), so that
// callers need not hash the body a second time; nil otherwise.
func (p *Payload) SHA256() []byte {
	h, ok := p.hashes[SHA256]
	if p.err != io.EOF || !ok {
		return nil
	}
	return h.Sum(nil)
}

// finish runs once the decoded stream ended: it checks lengths, then every
// digest the request declared, and returns io.EOF when all match.
func (p *Payload) finish() error {
	if err := p.checkLengths(); err != nil {
		return err
	}
	p.md5Sum = p.md5.Sum(nil)
	p.sums = make(map[string]string, len(p.algs))
	for alg := range p.algs {
		p.sums[alg] = base64.StdEncoding.EncodeToString(p.hashes[alg].Sum(nil))
	}
	if err := p.checkDigests(); err != nil {
		return err
	}
	if p.chunks != nil {
		if err := p.checkTrailers(p.chunks.got); err != nil {
			return err
		}
	}
	return io.EOF
}

// checkLengths: the body must be as long as Content-Length said and the
// decoded bytes as long as x-amz-decoded-content-length said.
func (p *Payload) checkLengths() error {
	if p.contentLength >= 0 && p.raw.n != p.contentLength {
		return newError(CodeIncompleteBody, "body length "+strconv.FormatInt(p.raw.n, 10)+
			" does not match Content-Length "+strconv.FormatInt(p.contentLength, 10))
	}
	if p.declaredLen >= 0 && p.decoded != p.declaredLen {
		return newError(CodeIncompleteBody, "decoded length "+strconv.FormatInt(p.decoded, 10)+
			" does not match x-amz-decoded-content-length "+strconv.FormatInt(p.declaredLen, 10))
	}
	return nil
}

// checkDigests compares the hex payload hash, Content-MD5 and checksum
// headers with what was computed.
func (p *Payload) checkDigests() error {
	if p.sha256 != nil && string(p.sha256) != string(p.hashes[SHA256].Sum(nil)) {
		return newError(CodeXAmzContentSHA256Mismatch, "the provided x-amz-content-sha256 does not match what was computed")
	}
	if p.md5Want != nil && string(p.md5Want) != string(p.md5Sum) {
		return newError(CodeBadDigest, "the Content-MD5 you specified did not match what we received")
	}
	for alg, want := range p.sumWant {
		if err := p.compare(alg, want); err != nil {
			return err
		}
	}
	return nil
}

// compare checks one base64 checksum value against the computed one.
func (p *Payload) compare(alg, want string) error {
	if p.sums[alg] != want {
		return newError(CodeBadDigest, "the "+ChecksumHeader(alg)+" you specified did not match the calculated checksum")
	}
	return nil
}

// countingReader counts the raw body bytes, to hold them to Content-Length.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}
