package sigv4

import (
	"crypto/sha1"
	"crypto/sha256"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strconv"
	"strings"
)

// Checksum algorithm names as S3 spells them in x-amz-checksum-algorithm,
// x-amz-sdk-checksum-algorithm and (lower-cased) in x-amz-checksum-<alg>.
const (
	CRC32     = "CRC32"
	CRC32C    = "CRC32C"
	CRC64NVME = "CRC64NVME"
	SHA1      = "SHA1"
	SHA256    = "SHA256"
)

// crc64NVMEPoly is the NVMe CRC-64 polynomial in the reversed form that
// hash/crc64 takes; its check value for "123456789" is ae8b14860a799888.
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

var (
	castagnoliTable = crc32.MakeTable(crc32.Castagnoli)
	nvmeTable       = crc64.MakeTable(crc64NVMEPoly)
)

// algorithm describes one checksum: how to make it and its digest size,
// which is what a base64 value sent by a client must decode to.
type algorithm struct {
	new  func() hash.Hash
	size int
}

var algorithms = map[string]algorithm{
	CRC32:     {func() hash.Hash { return crc32.NewIEEE() }, crc32.Size},
	CRC32C:    {func() hash.Hash { return crc32.New(castagnoliTable) }, crc32.Size},
	CRC64NVME: {func() hash.Hash { return crc64.New(nvmeTable) }, crc64.Size},
	SHA1:      {sha1.New, sha1.Size},
	SHA256:    {sha256.New, sha256.Size},
}

// ValidAlgorithm reports whether alg (any letter case) is a checksum
// algorithm S3 accepts: CRC32, CRC32C, CRC64NVME, SHA1 or SHA256.
func ValidAlgorithm(alg string) bool {
	_, ok := algorithms[strings.ToUpper(alg)]
	return ok
}

// NewChecksum returns a fresh hash for alg (any letter case). Its Sum is the
// big-endian digest whose base64 form is what S3 puts in x-amz-checksum-<alg>.
// An unknown algorithm gives an *Error with code InvalidRequest.
func NewChecksum(alg string) (hash.Hash, error) {
	a, ok := algorithms[strings.ToUpper(alg)]
	if !ok {
		return nil, newError(CodeInvalidRequest, "unsupported checksum algorithm "+quote(alg))
	}
	return a.new(), nil
}

// ChecksumHeader returns the header (and trailer) name that carries alg's
// value, e.g. "x-amz-checksum-crc32c" for CRC32C.
func ChecksumHeader(alg string) string {
	return checksumPrefix + strings.ToLower(alg)
}

const checksumPrefix = "x-amz-checksum-"

// algorithmOfHeader maps "x-amz-checksum-crc32" (any case) to "CRC32"; it
// returns false for other names, including x-amz-checksum-mode, -type and
// -algorithm, which share the prefix but carry no value.
func algorithmOfHeader(name string) (string, bool) {
	name = strings.ToLower(name)
	if !strings.HasPrefix(name, checksumPrefix) {
		return "", false
	}
	alg := strings.ToUpper(name[len(checksumPrefix):])
	_, ok := algorithms[alg]
	return alg, ok
}

// quote bounds and quotes client-supplied text for error messages, so that a
// huge or binary value cannot bloat or garble a response.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}
