package server

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"sixfold/gateway/health"
)

func healthHandler(h *health.Checker) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
		defer cancel()
		report, healthy := h.Check(ctx)
		status := http.StatusOK
		if !healthy {
			status = http.StatusServiceUnavailable
		}
		return c.JSON(status, report)
	}
}

// liveHandler answers whether the process is up at all; it checks nothing
// else, so an orchestrator restarts the gateway only when it is wedged.
func liveHandler(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "alive"})
}

// readyHandler answers whether the gateway should receive traffic: the
// database reachable and a full placement of six distinct nodes possible.
func readyHandler(h *health.Checker) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
		defer cancel()
		report, _ := h.Check(ctx)
		status := http.StatusOK
		if !health.Ready(report) {
			status = http.StatusServiceUnavailable
		}
		return c.JSON(status, report)
	}
}
