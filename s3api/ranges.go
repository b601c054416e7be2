package s3api

import (
	"errors"

	"sixfold/s3api/byterange"
)

// parseRange reads a Range header against an object of size bytes with
// the gateway's one range parser, answering a range that selects no byte
// with S3's InvalidRange.
func parseRange(header string, size int64) (byterange.Range, bool, error) {
	r, ok, err := byterange.Parse(header, size)
	if errors.Is(err, byterange.ErrUnsatisfiable) {
		return r, false, errorf(codeInvalidRange, "The requested range is not satisfiable")
	}
	return r, ok, err
}
