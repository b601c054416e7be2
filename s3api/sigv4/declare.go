package sigv4

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// mode is how the body is framed and authenticated, chosen by
// X-Amz-Content-Sha256.
type mode int

const (
	modeUnsigned        mode = iota // UNSIGNED-PAYLOAD (or no header)
	modeHex                         // a hex SHA-256, checked at EOF
	modeSigned                      // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
	modeSignedTrailer               // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
	modeUnsignedTrailer             // STREAMING-UNSIGNED-PAYLOAD-TRAILER
)

func (m mode) streaming() bool { return m >= modeSigned }
func (m mode) trailers() bool  { return m == modeSignedTrailer || m == modeUnsignedTrailer }

// payloadMode parses an X-Amz-Content-Sha256 value; for a hex hash it also
// returns the decoded digest.
func payloadMode(v string) (mode, []byte, error) {
	switch v {
	case "", unsignedPayload:
		return modeUnsigned, nil, nil
	case streamingSigned:
		return modeSigned, nil, nil
	case streamingSignedTrailer:
		return modeSignedTrailer, nil, nil
	case streamingUnsignedTrailer:
		return modeUnsignedTrailer, nil, nil
	}
	sum, err := hex.DecodeString(v)
	if err != nil || len(sum) != 32 {
		return 0, nil, newError(CodeInvalidArgument, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* value or a SHA-256 in hex")
	}
	return modeHex, sum, nil
}

// decodedLength parses x-amz-decoded-content-length; -1 when absent.
func decodedLength(h http.Header) (int64, error) {
	v := h.Get("X-Amz-Decoded-Content-Length")
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || v[0] == '+' {
		return 0, newError(CodeInvalidArgument, "x-amz-decoded-content-length must be a non-negative integer")
	}
	return n, nil
}

// contentMD5 decodes Content-MD5; it must be base64 of 16 bytes.
func contentMD5(h http.Header) ([]byte, error) {
	v, ok := h["Content-Md5"]
	if !ok {
		return nil, nil
	}
	if len(v) != 1 || len(v[0]) > maxDeclarationLength {
		return nil, newError(CodeInvalidDigest, "the Content-MD5 you specified is not valid")
	}
	sum, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v[0]))
	if err != nil || len(sum) != 16 {
		return nil, newError(CodeInvalidDigest, "the Content-MD5 you specified is not valid")
	}
	return sum, nil
}

// maxDeclarationLength bounds x-amz-trailer and the checksum algorithm
// headers; real values are one short name.
const maxDeclarationLength = 256

// declareChecksums records every checksum the request declares: values in
// x-amz-checksum-<alg> headers, names in x-amz-trailer, and algorithms in
// x-amz-sdk-checksum-algorithm and x-amz-checksum-algorithm (minio-go's
// single PUT sends only the latter, expecting the server to compute it).
func (p *Payload) declareChecksums(r *http.Request, query url.Values) error {
	if describesObject(r.Method, query) {
		return nil
	}
	if err := p.declareValues(r.Header); err != nil {
		return err
	}
	for _, name := range []string{"X-Amz-Sdk-Checksum-Algorithm", "X-Amz-Checksum-Algorithm"} {
		if err := p.declareAlgorithm(name, r.Header.Get(name)); err != nil {
			return err
		}
	}
	return p.declareTrailer(r.Header.Get("X-Amz-Trailer"))
}

// describesObject reports whether a request creates or completes a multipart
// upload, whose checksum headers are about the object, not the body.
func describesObject(method string, query url.Values) bool {
	return method == http.MethodPost && (query.Has("uploads") || query.Has("uploadId"))
}

// declareValues records x-amz-checksum-<alg> header values, which must be
// base64 of the algorithm's digest size.
func (p *Payload) declareValues(h http.Header) error {
	for name, values := range h {
		alg, ok := algorithmOfHeader(name)
		if !ok {
			continue
		}
		if len(values) != 1 || !validChecksumValue(alg, values[0]) {
			return newError(CodeInvalidRequest, "value for "+ChecksumHeader(alg)+" header is invalid")
		}
		p.sumWant[alg] = values[0]
		p.declare(alg)
	}
	return nil
}

// validChecksumValue reports whether v is base64 of alg's digest size.
func validChecksumValue(alg, v string) bool {
	if len(v) > maxDeclarationLength {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	return err == nil && len(raw) == algorithms[alg].size
}

// declareAlgorithm records an algorithm named by header (empty: none).
func (p *Payload) declareAlgorithm(header, alg string) error {
	if alg == "" {
		return nil
	}
	if !ValidAlgorithm(alg) {
		return newError(CodeInvalidRequest, "value for "+header+" header is invalid: "+quote(alg))
	}
	p.declare(strings.ToUpper(alg))
	return nil
}

// declareTrailer records the checksums announced by x-amz-trailer, a comma
// list of x-amz-checksum-<alg> names; other trailers are not supported.
func (p *Payload) declareTrailer(v string) error {
	if v == "" {
		return nil
	}
	if len(v) > maxDeclarationLength {
		return newError(CodeInvalidRequest, "x-amz-trailer too long")
	}
	for name := range strings.SplitSeq(v, ",") {
		alg, ok := algorithmOfHeader(strings.TrimSpace(name))
		if !ok {
			return newError(CodeInvalidRequest, "unsupported trailer "+quote(name))
		}
		p.trailing = append(p.trailing, alg)
		p.declare(alg)
	}
	return nil
}

// compute ensures the payload computes alg, once however often asked for.
func (p *Payload) compute(alg string) {
	if _, ok := p.hashes[alg]; !ok {
		p.hashes[alg] = algorithms[alg].new()
	}
}

// declare records that the request declared alg: it is computed, verified
// against any value sent, and reported by Digests.
func (p *Payload) declare(alg string) {
	p.compute(alg)
	p.algs[alg] = true
}

// checkTrailers verifies checksum trailers: each declared one must be
// present, and each present one must have been declared (its algorithm is
// computed only if declared before the body) and must match.
func (p *Payload) checkTrailers(t trailerSet) error {
	for _, f := range t.fields {
		alg, ok := algorithmOfHeader(f.name)
		if !ok {
			continue // not a checksum: signed (if signed) but meaningless to us
		}
		if !p.algs[alg] {
			return malformedTrailer(f.name + " was not declared in x-amz-trailer")
		}
		if !validChecksumValue(alg, f.value) {
			return newError(CodeInvalidRequest, "value for "+f.name+" trailer is invalid")
		}
		if err := p.compare(alg, f.value); err != nil {
			return err
		}
	}
	for _, alg := range p.trailing {
		if _, ok := t.get(ChecksumHeader(alg)); !ok {
			return malformedTrailer("declared trailer " + ChecksumHeader(alg) + " is missing")
		}
	}
	return nil
}
