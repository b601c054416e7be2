package server

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"sixfold/gateway/admission"
	"sixfold/s3api"
)

// allowNetworks refuses clients outside list by the connection's own
// remote address (a proxy's X-Forwarded-For is not trusted). The JSON
// door's paths (/files, /admin, /health…, /metrics) get its JSON error;
// every other path, S3's when s3 is mounted, gets S3's AccessDenied
// document, so S3 clients report it properly.
func allowNetworks(list *admission.Allowlist, s3 bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if list.Allows(c.Request().RemoteAddr) {
				return next(c)
			}
			if s3 && !jsonPath(c.Request().URL.Path) {
				s3api.WriteError(c.Response(), c.Request(), "AccessDenied")
				return nil
			}
			return NewError(http.StatusForbidden, "AccessDenied", "this gateway does not serve your network address")
		}
	}
}

// jsonPath reports whether path belongs to the JSON door: its first
// segment is one of ReservedNames.
func jsonPath(path string) bool {
	first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return slices.Contains(ReservedNames, first)
}

// rateLimited takes a token for the request from accessKey's bucket, or
// from its client address's when accessKey is "" (credentials missing or
// wrong, so guessing secrets is limited too). Over the limit it answers
// 429 SlowDown with Retry-After in whole seconds.
func rateLimited(c echo.Context, limiter *admission.Limiter, accessKey string) error {
	ok, wait := limiter.AllowCaller(accessKey, c.Request().RemoteAddr)
	if ok {
		return nil
	}
	return slowDown(c, wait, "request rate over the limit")
}

// slowDown answers 429 SlowDown asking the client to wait wait.
func slowDown(c echo.Context, wait time.Duration, why string) error {
	seconds := max(1, int(math.Ceil(wait.Seconds())))
	c.Response().Header().Set("Retry-After", strconv.Itoa(seconds))
	return NewError(http.StatusTooManyRequests, "SlowDown", why+"; retry after "+strconv.Itoa(seconds)+" s")
}
