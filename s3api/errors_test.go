package s3api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"

	"sixfold/s3api/sigv4"
)

func TestToError(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		code   string
		status int
	}{
		{"s3 error", s3Error(codeInvalidRange), codeInvalidRange, 416},
		{"wrapped s3 error", fmt.Errorf("x: %w", s3Error(codeMalformedXML)), codeMalformedXML, 400},
		{"no such bucket", ErrNoSuchBucket, codeNoSuchBucket, 404},
		{"wrapped no such key", fmt.Errorf("db: %w", ErrNoSuchKey), codeNoSuchKey, 404},
		{"no such upload", ErrNoSuchUpload, codeNoSuchUpload, 404},
		{"invalid part", ErrInvalidPart, codeInvalidPart, 400},
		{"too small", ErrEntityTooSmall, codeEntityTooSmall, 400},
		{"too large", ErrEntityTooLarge, codeEntityTooLarge, 400},
		{"exists", ErrBucketAlreadyOwnedByYou, codeBucketAlreadyOwnedByYou, 409},
		{"not empty", ErrBucketNotEmpty, codeBucketNotEmpty, 409},
		{"precondition", ErrPreconditionFailed, codePreconditionFailed, 412},
		{"incomplete", ErrIncompleteBody, codeIncompleteBody, 400},
		{"unavailable", ErrServiceUnavailable, codeServiceUnavailable, 503},
		{"slow down", ErrSlowDown, codeSlowDown, 503},
		{"sigv4", &sigv4.Error{Code: "SignatureDoesNotMatch", Message: "m", Status: 403}, codeSignatureDoesNotMatch, 403},
		{"wrapped sigv4", fmt.Errorf("put: %w", &sigv4.Error{Code: "BadDigest", Message: "m", Status: 400}), codeBadDigest, 400},
		{"sigv4 code unknown here", &sigv4.Error{Code: "MalformedTrailerError", Message: "m", Status: 400}, "MalformedTrailerError", 400},
		{"short body", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), codeIncompleteBody, 400},
		{"cancelled", context.Canceled, codeServiceUnavailable, 503},
		{"unknown", errors.New("disk on fire"), codeInternalError, 500},
	}
	for _, tc := range cases {
		e := toError(tc.err)
		if e.Code != tc.code || e.Status() != tc.status || e.Message == "" {
			t.Errorf("%s: got %s %d %q; want %s %d and a message", tc.name, e.Code, e.Status(), e.Message, tc.code, tc.status)
		}
	}
}

func TestErrorTableComplete(t *testing.T) {
	for code, spec := range errorTable {
		if spec.status < 300 || spec.message == "" {
			t.Errorf("%s: status %d message %q", code, spec.status, spec.message)
		}
	}
	if s := (&apiError{Code: "Unheard"}).Status(); s != http.StatusInternalServerError {
		t.Errorf("unknown code status = %d; want 500", s)
	}
}
