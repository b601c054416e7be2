package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
)

// emptySHA256 is hex(sha256("")), the fixed middle line of chunk signatures.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Payload hash values of X-Amz-Content-Sha256 other than a hex digest.
const (
	unsignedPayload          = "UNSIGNED-PAYLOAD"
	streamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// signingKey derives the SigV4 key: HMAC chain over date, region, service
// and the terminator, seeded with "AWS4"+secret.
func signingKey(secret, date, region string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, serviceS3)
	return hmacSHA256(k, scopeTerminator)
}

// stringToSign is the request-level string to sign.
func stringToSign(amzDate, scope, canonical string) string {
	return signingAlgorithm + "\n" + amzDate + "\n" + scope + "\n" + sha256Hex([]byte(canonical))
}

// chunkSigner checks the signature chain of an aws-chunked body: each chunk
// signature covers the previous one, so chunks can be neither altered,
// dropped nor reordered. It is seeded with the request signature.
type chunkSigner struct {
	mac         hash.Hash // HMAC-SHA256 under the signing key, reused per chunk
	date, scope string
	prev        []byte // previous signature, raw
}

func newChunkSigner(a *Auth) *chunkSigner {
	seed, _ := hex.DecodeString(a.Signature)
	return &chunkSigner{mac: hmac.New(sha256.New, a.key), date: a.amzDate, scope: a.scope, prev: seed}
}

// verifyChunk checks one chunk's signature and advances the chain.
func (s *chunkSigner) verifyChunk(data, got []byte) error {
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + s.date + "\n" + s.scope + "\n" +
		hex.EncodeToString(s.prev) + "\n" + emptySHA256 + "\n" + sha256Hex(data)
	return s.verify(sts, got, "chunk signature does not match")
}

// verifyTrailer checks the trailer signature, chained to the final chunk's;
// canonical is the trailers as "name:value\n" lines.
func (s *chunkSigner) verifyTrailer(canonical, got []byte) error {
	sts := "AWS4-HMAC-SHA256-TRAILER\n" + s.date + "\n" + s.scope + "\n" +
		hex.EncodeToString(s.prev) + "\n" + sha256Hex(canonical)
	return s.verify(sts, got, "trailer signature does not match")
}

// verify compares in constant time so that timing reveals nothing about
// how much of a forged signature was right.
func (s *chunkSigner) verify(sts string, got []byte, msg string) error {
	s.mac.Reset()
	s.mac.Write([]byte(sts))
	if !hmac.Equal(s.mac.Sum(nil), got) {
		return newError(CodeSignatureDoesNotMatch, msg)
	}
	s.prev = append(s.prev[:0], got...)
	return nil
}
