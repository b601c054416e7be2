package server

import (
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// BodyPace bounds how slowly a client may send a request body: at least
// MinBytes every Window, or the connection's read deadline passes and the
// request fails. Without it, a client trickling a byte a second would hold
// an upload slot, a node stream and a PostgreSQL session forever, while a
// plain whole-request timeout would cut off honest 10 GiB uploads.
type BodyPace struct {
	Window   time.Duration
	MinBytes int64
}

func paceBodies(p BodyPace) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if p.Window > 0 && req.Body != nil && req.Body != http.NoBody {
				rc := http.NewResponseController(c.Response().Writer)
				req.Body = &pacedBody{ReadCloser: req.Body, rc: rc, pace: p}
				req.Body.(*pacedBody).extend()
			}
			return next(c)
		}
	}
}

// pacedBody pushes the read deadline one Window ahead each time another
// MinBytes have arrived.
type pacedBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	pace  BodyPace
	since int64 // bytes read since the deadline was last extended
}

func (b *pacedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.since += int64(n)
	switch {
	case err == io.EOF:
		// The body is done. Clear the deadline: net/http's background
		// read after the body would otherwise hit it while a slow
		// handler (a large CompleteMultipartUpload) is still working,
		// and cancel the request. After any other error the deadline
		// stays, so net/http cannot wait on the client while draining
		// the unread body: it closes the connection instead.
		_ = b.rc.SetReadDeadline(time.Time{})
	case b.since >= b.pace.MinBytes:
		b.extend()
	}
	return n, err
}

func (b *pacedBody) extend() {
	b.since = 0
	// Not every connection supports deadlines (HTTP/2 streams may not);
	// then the server's idle and header timeouts are what bound it.
	_ = b.rc.SetReadDeadline(time.Now().Add(b.pace.Window))
}

// maxHeaderBytes bounds a /files request's header fields (the S3 door has
// the same limit with its own error).
const maxHeaderBytes = 8 << 10

func limitHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		n := 0
		for name, values := range c.Request().Header {
			for _, v := range values {
				n += len(name) + len(v) + 4 // ": " and CRLF
			}
		}
		if n > maxHeaderBytes {
			return NewError(http.StatusRequestHeaderFieldsTooLarge, "HeadersTooLarge", "the request's header fields exceed 8 KiB")
		}
		return next(c)
	}
}
