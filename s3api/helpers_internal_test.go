package s3api

import (
	"bytes"
	"crypto/md5"
	"hash"
	"io"
	"net/http"
)

// plainPayload is an unverified body with an MD5, standing in for
// sigv4.Payload in unit tests.
type plainPayload struct {
	r    io.Reader
	size int64
	md5  hash.Hash
}

func (p *plainPayload) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.md5.Write(b[:n])
	return n, err
}

func (p *plainPayload) Size() int64 { return p.size }

func (p *plainPayload) Digests() ([]byte, map[string]string) { return p.md5.Sum(nil), nil }

// bytesBody opens b as a request body.
func bytesBody(b []byte) bodyOpener {
	return func() (payload, error) {
		return &plainPayload{r: bytes.NewReader(b), size: int64(len(b)), md5: md5.New()}, nil
	}
}

// trustingAuth accepts every request as signed by trustedKey and opens
// its body unverified.
func trustingAuth(r *http.Request) (authenticated, error) {
	return authenticated{accessKey: trustedKey, query: r.URL.Query(), open: func() (payload, error) {
		return &plainPayload{r: r.Body, size: r.ContentLength, md5: md5.New()}, nil
	}}, nil
}

// trustedKey is the access key trustingAuth reports.
const trustedKey = "trusted-key"
