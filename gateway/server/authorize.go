package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Need refuses a request whose key may not perform action on the resource
// resource returns, with 403 JSON, before the handler touches data. It runs
// after basicAuth, so the Basic user is the verified access key. A nil
// authorize allows everything (tests of other concerns).
func Need(authorize func(accessKey, action, resource string) bool, action string, resource func(c echo.Context) string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if authorize == nil {
				return next(c)
			}
			user, _, _ := c.Request().BasicAuth()
			if !authorize(user, action, resource(c)) {
				return NewError(http.StatusForbidden, "AccessDenied", "this key's policy does not allow "+action)
			}
			return next(c)
		}
	}
}

func wholeCluster(echo.Context) string { return "*" }
