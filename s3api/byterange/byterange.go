// Package byterange reads an HTTP Range header the one way both of the
// gateway's doors serve it: a single "bytes=" range (RFC 9110 §14.1.2),
// with everything S3 ignores (several ranges, other units, a > b,
// anything not digits) ignored, so the whole body is served.
package byterange

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrUnsatisfiable is a well-formed range that selects no byte: a start at
// or past the end, "-0", or any range of an empty body. S3 answers it
// InvalidRange, /files 416.
var ErrUnsatisfiable = errors.New("range not satisfiable")

// Range is a satisfiable window of a body: Length > 0 bytes from Start.
type Range struct {
	Start, Length int64
}

// ContentRange renders the Content-Range header of r within size bytes.
func (r Range) ContentRange(size int64) string {
	return fmt.Sprintf("bytes %d-%d/%d", r.Start, r.Start+r.Length-1, size)
}

// Parse reads header against a body of size bytes. ok is false when the
// whole body is to be served with 200 (no header, or one that is ignored);
// err is ErrUnsatisfiable for a range that selects no byte.
func Parse(header string, size int64) (r Range, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(header), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return Range{}, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return Range{}, false, nil
	}
	if first == "" {
		return suffix(last, size)
	}
	return span(first, last, size)
}

// suffix handles "bytes=-n": the last n bytes.
func suffix(last string, size int64) (Range, bool, error) {
	n, ok := number(last)
	if !ok {
		return Range{}, false, nil
	}
	if n == 0 || size == 0 {
		return Range{}, false, ErrUnsatisfiable
	}
	n = min(n, size)
	return Range{Start: size - n, Length: n}, true, nil
}

// span handles "bytes=a-b" and the open-ended "bytes=a-".
func span(first, last string, size int64) (Range, bool, error) {
	a, ok := number(first)
	if !ok {
		return Range{}, false, nil
	}
	b := size - 1
	if last != "" {
		if b, ok = number(last); !ok || b < a {
			return Range{}, false, nil
		}
	}
	if a >= size {
		return Range{}, false, ErrUnsatisfiable
	}
	b = min(b, size-1)
	return Range{Start: a, Length: b - a + 1}, true, nil
}

// number parses a non-negative decimal made of digits only ("+1" is not
// one, though strconv would take it).
func number(s string) (int64, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
