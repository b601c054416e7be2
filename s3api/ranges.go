package s3api

import (
	"fmt"
	"strconv"
	"strings"
)

// byteRange is a satisfiable window of an object: length > 0 bytes from
// start.
type byteRange struct {
	start, length int64
}

// contentRange renders the Content-Range header for r within size bytes.
func (r byteRange) contentRange(size int64) string {
	return fmt.Sprintf("bytes %d-%d/%d", r.start, r.start+r.length-1, size)
}

// parseRange reads a Range header against an object of size bytes, as S3
// does. ok is false when the whole object is to be served with 200: no
// header, a header that is not a single well-formed byte range (several
// ranges, other units, a > b), all of which S3 ignores. A well-formed range
// that selects no byte (a >= size, or "-0") returns an InvalidRange error.
func parseRange(header string, size int64) (r byteRange, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(header), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return byteRange{}, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return byteRange{}, false, nil
	}
	if first == "" {
		return suffixRange(last, size)
	}
	return spanRange(first, last, size)
}

// suffixRange handles "bytes=-n": the last n bytes.
func suffixRange(last string, size int64) (byteRange, bool, error) {
	n, ok := rangeNumber(last)
	if !ok {
		return byteRange{}, false, nil
	}
	if n == 0 || size == 0 {
		return byteRange{}, false, errorf(codeInvalidRange, "The requested range is not satisfiable")
	}
	n = min(n, size)
	return byteRange{start: size - n, length: n}, true, nil
}

// spanRange handles "bytes=a-b" and the open-ended "bytes=a-".
func spanRange(first, last string, size int64) (byteRange, bool, error) {
	a, ok := rangeNumber(first)
	if !ok {
		return byteRange{}, false, nil
	}
	b := size - 1
	if last != "" {
		if b, ok = rangeNumber(last); !ok || b < a {
			return byteRange{}, false, nil
		}
	}
	if a >= size {
		return byteRange{}, false, errorf(codeInvalidRange, "The requested range is not satisfiable")
	}
	b = min(b, size-1)
	return byteRange{start: a, length: b - a + 1}, true, nil
}

// rangeNumber parses a non-negative decimal made of digits only.
func rangeNumber(s string) (int64, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
