package httpapi

import (
	"errors"
	"strconv"
	"strings"
)

// errUnsatisfiable means a syntactically valid range that selects no byte.
var errUnsatisfiable = errors.New("range not satisfiable")

// byteRange is an inclusive-exclusive window [start, start+length).
type byteRange struct {
	start, length int64
}

// parseRange reads a single "bytes=" range against size. ok is false when
// the header should be ignored (absent, malformed, multi-range, or another
// unit) and the whole body served, as RFC 9110 allows.
func parseRange(header string, size int64) (r byteRange, ok bool, err error) {
	spec, found := strings.CutPrefix(header, "bytes=")
	if !found || len(spec) > 64 || strings.Contains(spec, ",") {
		return byteRange{}, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return byteRange{}, false, nil
	}
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return byteRange{}, false, nil
		}
		if n == 0 || size == 0 {
			return byteRange{}, true, errUnsatisfiable
		}
		n = min(n, size)
		return byteRange{start: size - n, length: n}, true, nil
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return byteRange{}, false, nil
	}
	end := size - 1
	if last != "" {
		end, err = strconv.ParseInt(last, 10, 64)
		if err != nil || end < start {
			return byteRange{}, false, nil
		}
	}
	if start >= size {
		return byteRange{}, true, errUnsatisfiable
	}
	end = min(end, size-1)
	return byteRange{start: start, length: end - start + 1}, true, nil
}
