package s3api

import (
	"errors"
	"io"
	"net/http"
	"net/url"

	"sixfold/s3api/sigv4"
)

// payload is a request body as package sigv4 verifies it: the decoded
// bytes, io.EOF only once every declared digest matched.
type payload interface {
	io.Reader
	// Size is the decoded length, or -1 when unknown.
	Size() int64
	// Digests are valid after io.EOF.
	Digests() (md5 []byte, checksums map[string]string)
}

// bodyOpener opens the verified body of an authenticated request.
type bodyOpener func() (payload, error)

// authenticated is what a verified request carries on to its operation.
type authenticated struct {
	accessKey string
	// query is the request's query as the signature was checked against
	// it: operations read this, never r.URL, so they act on what was
	// signed.
	query url.Values
	open  bodyOpener
}

// authenticator verifies a request's signature without reading its body.
// On failure the result is empty. It is a seam for unit tests; New always
// uses SigV4.
type authenticator func(r *http.Request) (authenticated, error)

// newSigV4Authenticator verifies header and presigned SigV4 against creds.
func newSigV4Authenticator(creds sigv4.Credentials) authenticator {
	v := &sigv4.Verifier{Credentials: creds}
	return func(r *http.Request) (authenticated, error) {
		auth, err := v.Verify(r)
		if err != nil {
			return authenticated{}, err
		}
		return authenticated{accessKey: auth.AccessKey, query: auth.Query, open: func() (payload, error) {
			p, err := sigv4.NewPayload(r, auth)
			if err != nil {
				return nil, err
			}
			return p, nil
		}}, nil
	}
}

// authError maps a *sigv4.Error to the S3 error it names; nil when err is
// not one. Codes outside errorTable keep sigv4's status.
func authError(err error) *apiError {
	var se *sigv4.Error
	if !errors.As(err, &se) {
		return nil
	}
	e := &apiError{Code: se.Code, Message: se.Message, HeadersNotSigned: se.HeadersNotSigned, cause: err}
	if _, known := errorTable[se.Code]; !known {
		e.status = se.Status
	}
	return e
}
