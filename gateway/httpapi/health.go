package httpapi

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
