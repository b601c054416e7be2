package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// newEcho mounts routes shaped like the gateway's: /files behind the
// middleware, /health, and an S3 stand-in on the catch-all routes.
func newEcho(m *HTTP) *echo.Echo {
	e := echo.New()
	e.Use(m.Middleware())
	e.POST("/files", func(c echo.Context) error {
		n, _ := io.Copy(io.Discard, c.Request().Body)
		return c.String(http.StatusCreated, strings.Repeat("x", int(n)))
	})
	e.GET("/files/:id", func(c echo.Context) error {
		m.CountError(c, "NotFound")
		return echo.NewHTTPError(http.StatusNotFound)
	})
	e.GET("/files/:id/stream", func(c echo.Context) error {
		c.Response().WriteHeader(http.StatusOK)
		_, _ = c.Response().Write([]byte("part"))
		c.Response().Flush() // through the counting writer's Unwrap
		panic(http.ErrAbortHandler)
	})
	e.GET("/health", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	s3 := echo.WrapHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("<Error/>"))
	}))
	e.Any("/", s3)
	e.Any("/*", s3)
	return e
}

func serve(e *echo.Echo, method, target, body string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(method, target, rd))
	return rec
}

func TestMiddlewareCountsByRouteMethodAndStatus(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEcho(NewHTTP(reg))
	for range 2 {
		serve(e, http.MethodPost, "/files", "hello")
	}
	serve(e, http.MethodGet, "/files/3f1c", "")
	serve(e, http.MethodPut, "/bucket/key", "data")
	serve(e, http.MethodGet, "/", "")
	serve(e, "BREW", "/bucket", "")
	serve(e, http.MethodGet, "/health", "")

	const total = "sixfold_gateway_http_requests_total"
	expect(t, reg, 2, total, "route=/files", "method=POST", "status=201")
	expect(t, reg, 1, total, "route=/files/:id", "method=GET", "status=404")
	expect(t, reg, 1, total, "route=s3", "method=PUT", "status=403")
	expect(t, reg, 1, total, "route=s3", "method=GET", "status=403")
	expect(t, reg, 1, total, "route=/health", "method=GET", "status=200")
	// A client may send any method token; the label stays bounded.
	expect(t, reg, 1, total, "method=OTHER")

	const latency = "sixfold_gateway_http_request_duration_seconds"
	expect(t, reg, 2, latency, "route=/files", "status=201")
	expect(t, reg, 1, latency, "route=/files/:id", "status=404")
}

func TestMiddlewareCountsBodyBytesByDoor(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEcho(NewHTTP(reg))
	created := serve(e, http.MethodPost, "/files", "hello")
	missing := serve(e, http.MethodGet, "/files/3f1c", "")
	denied := serve(e, http.MethodPut, "/bucket/key", "data!")
	serve(e, http.MethodGet, "/health", "")

	expect(t, reg, 5, "sixfold_gateway_bytes_in_total", "door=files")
	expect(t, reg, 5, "sixfold_gateway_bytes_in_total", "door=s3")
	// Out counts what the client received, error bodies included.
	expect(t, reg, float64(created.Body.Len()+missing.Body.Len()), "sixfold_gateway_bytes_out_total", "door=files")
	expect(t, reg, float64(denied.Body.Len()), "sixfold_gateway_bytes_out_total", "door=s3")
	// Only the two doors move objects; /health and /metrics are not counted.
	expect(t, reg, 0, "sixfold_gateway_bytes_out_total", "door=other")
}

func TestMiddlewareCountsErrors(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEcho(NewHTTP(reg))
	serve(e, http.MethodGet, "/files/3f1c", "")
	serve(e, http.MethodPut, "/bucket/key", "")
	serve(e, http.MethodPut, "/bucket/key", "")

	expect(t, reg, 1, "sixfold_gateway_errors_total", "door=files", "code=NotFound")
	expect(t, reg, 2, "sixfold_gateway_errors_total", "door=s3", "code=403")
}

// A download that fails after its status was sent aborts the connection by
// panic; it must still be counted, with the status the client saw.
func TestMiddlewareCountsAbortedResponses(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEcho(NewHTTP(reg))
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v; want http.ErrAbortHandler", p)
			}
		}()
		serve(e, http.MethodGet, "/files/3f1c/stream", "")
	}()
	expect(t, reg, 1, "sixfold_gateway_http_requests_total", "route=/files/:id/stream", "status=200")
	expect(t, reg, 4, "sixfold_gateway_bytes_out_total", "door=files")
}

func TestRouteAndDoorLabels(t *testing.T) {
	tests := []struct{ path, route, door string }{
		{"/files", "/files", DoorFiles},
		{"/files/:id/info", "/files/:id/info", DoorFiles},
		{"/filesystem", "/filesystem", DoorOther},
		{"/", "s3", DoorS3},
		{"/*", "s3", DoorS3},
		{"/health", "/health", DoorOther},
		{"", "unmatched", DoorOther},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			route := routeLabel(tt.path)
			if route != tt.route || doorOf(route) != tt.door {
				t.Errorf("route, door = %q, %q; want %q, %q", route, doorOf(route), tt.route, tt.door)
			}
		})
	}
}
