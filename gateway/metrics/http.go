package metrics

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// Doors, as the door label names them.
const (
	DoorFiles = "files"
	DoorS3    = "s3"
	DoorOther = "other" // /health, /metrics, unmatched paths
)

// HTTP instruments the Echo instance both doors share. It is safe for
// concurrent use.
type HTTP struct {
	requests *prometheus.CounterVec   // route, method, status
	duration *prometheus.HistogramVec // route, status
	bytesIn  *prometheus.CounterVec   // door
	bytesOut *prometheus.CounterVec   // door
	errors   *prometheus.CounterVec   // door, code
}

// NewHTTP registers the HTTP metrics on reg.
func NewHTTP(reg prometheus.Registerer) *HTTP {
	m := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts(opts("http_requests_total",
			"HTTP requests answered, by route, method and status code.")), []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(histogramOpts("http_request_duration_seconds",
			"Time from routing a request to its handler's return, by route and status code."), []string{"route", "status"}),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts(opts("bytes_in_total",
			"Request body bytes read, by door (files|s3), counted as they arrive.")), []string{"door"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts(opts("bytes_out_total",
			"Response body bytes written, by door (files|s3), counted as they leave.")), []string{"door"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts(opts("errors_total",
			"Error responses by door and code: the JSON error code for /files, the HTTP status for S3.")), []string{"door", "code"}),
	}
	reg.MustRegister(m.requests, m.duration, m.bytesIn, m.bytesOut, m.errors)
	return m
}

// Middleware observes every request. It renders a handler's error itself
// (c.Error) so that the status it records is the one the client got, and
// records in a defer so that a transfer aborted by panic is counted too.
func (m *HTTP) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			route := routeLabel(c.Path())
			door := doorOf(route)
			m.countBodies(c, door)
			defer m.observe(c, route, door, start)
			if err := next(c); err != nil {
				c.Error(err)
			}
			return nil
		}
	}
}

// CountError counts one error the JSON door rendered, by its code. The
// S3 door renders its own errors; Middleware counts those by status.
func (m *HTTP) CountError(c echo.Context, code string) {
	m.errors.WithLabelValues(doorOf(routeLabel(c.Path())), code).Inc()
}

func (m *HTTP) observe(c echo.Context, route, door string, start time.Time) {
	res := c.Response()
	status := strconv.Itoa(res.Status)
	m.requests.WithLabelValues(route, methodLabel(c.Request().Method), status).Inc()
	m.duration.WithLabelValues(route, status).Observe(time.Since(start).Seconds())
	if door == DoorS3 && res.Status >= 400 {
		m.errors.WithLabelValues(door, status).Inc()
	}
}

// countBodies counts body bytes as they pass rather than once at the end,
// so a 10 GiB transfer shows as a steady rate, not one spike.
func (m *HTTP) countBodies(c echo.Context, door string) {
	if door == DoorOther {
		return
	}
	if req := c.Request(); req.Body != nil && req.Body != http.NoBody {
		req.Body = &countingBody{ReadCloser: req.Body, n: m.bytesIn.WithLabelValues(door)}
	}
	res := c.Response()
	res.Writer = &countingWriter{ResponseWriter: res.Writer, n: m.bytesOut.WithLabelValues(door)}
}

// routeS3 is the route label of every S3 request.
const routeS3 = "s3"

// routeLabel is Echo's route template (bounded, unlike the URL). The S3
// door is mounted on the catch-all routes (server.New), which say nothing
// about the operation, so they are all routeS3.
func routeLabel(path string) string {
	switch path {
	case "/", "/*":
		return routeS3
	case "":
		return "unmatched"
	}
	return path
}

func doorOf(route string) string {
	switch {
	case route == routeS3:
		return DoorS3
	case route == "/files" || strings.HasPrefix(route, "/files/"):
		return DoorFiles
	}
	return DoorOther
}

// knownMethods bounds the method label: a client may send any token.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodDelete: true, http.MethodOptions: true, http.MethodPatch: true,
}

func methodLabel(method string) string {
	if knownMethods[method] {
		return method
	}
	return "OTHER"
}

type countingBody struct {
	io.ReadCloser
	n prometheus.Counter
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.n.Add(float64(n))
	}
	return n, err
}

// countingWriter keeps the writer underneath reachable through Unwrap, so
// http.ResponseController (Echo's Flush, read deadlines) still works.
type countingWriter struct {
	http.ResponseWriter
	n prometheus.Counter
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	if n > 0 {
		w.n.Add(float64(n))
	}
	return n, err
}

func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
