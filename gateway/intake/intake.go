// Package intake holds the rules both doors (/files and S3) apply to an
// upload's body, so that a client sees the same behaviour through either.
package intake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"sixfold/gateway/objects"
	"sixfold/gateway/spool"
	"sixfold/s3api"
)

// CheckDeclared refuses a body declared larger than limit before a byte of
// it is read. The error wraps objects.ErrTooLarge, which each door already
// answers in its own shape (413 TooLarge, S3's EntityTooLarge).
func CheckDeclared(declared, limit int64) error {
	if declared > limit {
		return fmt.Errorf("%w: %d bytes declared, the limit is %d", objects.ErrTooLarge, declared, limit)
	}
	return nil
}

// Stage measures a body of unknown length (chunked, aws-chunked without a
// decoded length) on disk, never in memory, and returns it rewound with its
// size, so that it can be stored with an exact layout. A body that runs past
// limit fails as CheckDeclared does, as soon as it does; one that breaks
// off fails as objects.BodyError classifies it (a verifying reader's own
// error stays in the chain); a full staging area wraps spool.ErrFull.
// Nothing is left on disk after an error.
func Stage(ctx context.Context, sp *spool.Spool, body io.Reader, limit int64) (*spool.File, int64, error) {
	f, n, err := sp.Stage(body, limit)
	switch {
	case errors.Is(err, spool.ErrFull):
		return nil, 0, err
	case err != nil:
		return nil, 0, objects.BodyError(ctx, err)
	case n > limit:
		f.Close()
		return nil, 0, fmt.Errorf("%w: more than %d bytes sent", objects.ErrTooLarge, limit)
	}
	return f, n, nil
}

// ContentType is the type an upload is stored with: the one its client
// declared, else s3api.DefaultContentType, which the S3 front end also
// serves for objects stored without one.
func ContentType(declared string) string {
	if declared == "" {
		return s3api.DefaultContentType
	}
	return declared
}

// Detach returns r with a context that only a failing body cancels, and
// the function that releases it (call it when the request is done).
//
// net/http cancels a request's context when its connection reads EOF,
// which a client that half-closes after sending its whole body causes too.
// Such a client still waits for the answer (HTTP/1.1 lets it: RFC 9112
// §9.6), so its upload goes on; only a body that fails (reset, or shorter
// than declared) means the client really is gone.
func Detach(r *http.Request) (*http.Request, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	r = r.WithContext(ctx)
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &cancelOnError{ReadCloser: r.Body, cancel: cancel}
	}
	return r, cancel
}

// HasBody reports whether r carries a body a half-close could follow.
func HasBody(r *http.Request) bool {
	return r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody
}

// cancelOnError cancels the upload's context when the body fails.
type cancelOnError struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnError) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.cancel()
	}
	return n, err
}
