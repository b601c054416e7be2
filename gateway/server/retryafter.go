package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// retryAfterSeconds is what a 503 asks clients to wait: about as long as a
// PostgreSQL failover or a node's return takes to be noticed.
const retryAfterSeconds = "1"

// retryAfterOn503 gives every 503 that names no Retry-After of its own one,
// whichever door or handler produced it: a 503 here always means "try
// again" (quorum lost, database unreachable or switching primaries), and
// clients back off better with the header than without.
func retryAfterOn503(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		resp := c.Response()
		resp.Before(func() {
			if resp.Status == http.StatusServiceUnavailable && resp.Header().Get("Retry-After") == "" {
				resp.Header().Set("Retry-After", retryAfterSeconds)
			}
		})
		return next(c)
	}
}
