package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestRetryAfterOn503(t *testing.T) {
	e := echo.New()
	e.Use(retryAfterOn503)
	e.GET("/down", func(c echo.Context) error { return c.String(http.StatusServiceUnavailable, "down") })
	e.GET("/own", func(c echo.Context) error {
		c.Response().Header().Set("Retry-After", "7")
		return c.NoContent(http.StatusServiceUnavailable)
	})
	e.GET("/ok", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	for path, want := range map[string]string{"/down": "1", "/own": "7", "/ok": ""} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if got := rec.Header().Get("Retry-After"); got != want {
			t.Errorf("%s: Retry-After %q; want %q", path, got, want)
		}
	}
}
