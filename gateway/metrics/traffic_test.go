package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestReadTrafficSumsDoors reads back what requests through both doors
// added to the counters: bytes in and out summed over doors, every request
// counted, and the transfer gauges.
func TestReadTrafficSumsDoors(t *testing.T) {
	reg := NewRegistry()
	h := NewHTTP(reg)
	tr := NewTransfers(reg)
	e := echo.New()
	e.Use(h.Middleware())
	echoBody := func(c echo.Context) error {
		return c.Stream(http.StatusOK, "application/octet-stream", c.Request().Body)
	}
	e.PUT("/files", echoBody)
	e.PUT("/*", echoBody)
	for _, path := range []string{"/files", "/bucket/key"} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, path, strings.NewReader("0123456789")))
	}
	tr.UploadStarted("s3")
	tr.DownloadStarted()
	tr.DownloadStarted()

	got, err := ReadTraffic(reg)
	if err != nil {
		t.Fatal(err)
	}
	want := Traffic{BytesIn: 20, BytesOut: 20, Requests: 2, ActiveUploads: 1, ActiveDownloads: 2}
	if got != want {
		t.Fatalf("ReadTraffic = %+v; want %+v", got, want)
	}
}
