package server

import "github.com/labstack/echo/v4"

// RequestMetrics instruments the Echo instance (gateway/metrics.HTTP
// implements it). Both methods run on every request's goroutine and must
// be safe for concurrent use.
type RequestMetrics interface {
	// Middleware observes every request of both doors.
	Middleware() echo.MiddlewareFunc
	// CountError counts one error rendered by ErrorHandler, by its JSON
	// error code.
	CountError(c echo.Context, code string)
}

// countingErrors is ErrorHandler that first counts the error's code. It
// counts before rendering because ErrorHandler aborts (panics) when the
// response has already started, and such an error must be counted too.
func countingErrors(m RequestMetrics) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		m.CountError(c, classify(err).Code)
		ErrorHandler(err, c)
	}
}
