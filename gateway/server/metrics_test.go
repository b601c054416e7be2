package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"sixfold/gateway/auth"

	"sixfold/gateway/filesapi"
	"sixfold/gateway/server"
)

// fakeMetrics records what New's instrumentation reports.
type fakeMetrics struct {
	seen   []string // route and status of each request, as the middleware saw them
	errors []string // codes passed to CountError
}

func (f *fakeMetrics) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := next(c); err != nil {
				c.Error(err)
			}
			f.seen = append(f.seen, c.Path()+" "+http.StatusText(c.Response().Status))
			return nil
		}
	}
}

func (f *fakeMetrics) CountError(_ echo.Context, code string) { f.errors = append(f.errors, code) }

func TestNewWiresMetrics(t *testing.T) {
	m := &fakeMetrics{}
	e := server.New(server.Deps{Files: filesapi.New(filesapi.Config{}), Keys: auth.NewKeyStore(map[string]string{"ak": "sk"}), Log: zerolog.Nop(), Metrics: m})
	unauthenticated := httptest.NewRequest(http.MethodGet, "/files/x", nil)
	badID := httptest.NewRequest(http.MethodGet, "/files/not-a-uuid", nil)
	badID.SetBasicAuth("ak", "sk")
	for _, req := range []*http.Request{unauthenticated, badID} {
		e.ServeHTTP(httptest.NewRecorder(), req)
	}
	if got, want := strings.Join(m.errors, ","), "Unauthorized,InvalidID"; got != want {
		t.Errorf("counted error codes %q; want %q", got, want)
	}
	if got, want := strings.Join(m.seen, ","), "/files/:id Unauthorized,/files/:id Bad Request"; got != want {
		t.Errorf("middleware saw %q; want %q", got, want)
	}
}
