package server

import "github.com/labstack/echo/v4"

// AdminRoutes is the operator's door (gateway/admin.Handler implements
// it). New mounts it at /admin behind the same HTTP Basic keys as /files.
type AdminRoutes interface {
	// Register adds the routes to g, whose callers are authenticated.
	Register(g *echo.Group)
}
