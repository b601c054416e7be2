package s3api

import (
	"net/http"
	"strings"

	"sixfold/s3api/sigv4"
)

// setChecksums writes one header per algorithm.
func setChecksums(hdr http.Header, checksums map[string]string) {
	for alg, value := range checksums {
		hdr.Set(sigv4.ChecksumHeader(alg), value)
	}
}

// setReadChecksums writes the checksums of a GET or HEAD and their type:
// COMPOSITE when the value carries the "-N" part count of a multipart
// object, FULL_OBJECT otherwise.
func setReadChecksums(hdr http.Header, checksums map[string]string) {
	if len(checksums) == 0 {
		return
	}
	setChecksums(hdr, checksums)
	kind := "FULL_OBJECT"
	for _, value := range checksums {
		if composite(value) {
			kind = "COMPOSITE"
		}
	}
	hdr.Set("x-amz-checksum-type", kind)
}

// composite reports whether a checksum value ends in "-N".
func composite(value string) bool {
	i := strings.LastIndexByte(value, '-')
	return i > 0 && i < len(value)-1 && strings.Trim(value[i+1:], "0123456789") == ""
}

// checksumMode reports whether the client asked for checksums.
func checksumMode(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("x-amz-checksum-mode"), "ENABLED")
}

// declaredAlgorithm is the checksum algorithm a request names, upper-case,
// or "" when none. An unknown algorithm is InvalidArgument.
func declaredAlgorithm(hdr http.Header) (string, error) {
	alg := hdr.Get("x-amz-checksum-algorithm")
	if alg == "" {
		alg = hdr.Get("x-amz-sdk-checksum-algorithm")
	}
	alg = strings.ToUpper(alg)
	if alg != "" && !sigv4.ValidAlgorithm(alg) {
		return "", errorf(codeInvalidArgument, "Unsupported checksum algorithm %q", alg)
	}
	return alg, nil
}
