package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// filesARN is the resource /files objects answer to in policies: they sit
// in a bucket of their own name, which S3 cannot create (ReservedNames).
const filesARN = "arn:aws:s3:::files"

// need refuses a request whose key may not perform action on the resource
// resource returns, with 403 JSON, before the handler touches data. It runs
// after basicAuth, so the Basic user is the verified access key. A nil
// authorize allows everything (tests of other concerns).
func need(authorize func(accessKey, action, resource string) bool, action string, resource func(c echo.Context) string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if authorize == nil {
				return next(c)
			}
			user, _, _ := c.Request().BasicAuth()
			if !authorize(user, action, resource(c)) {
				return newError(http.StatusForbidden, "AccessDenied", "this key's policy does not allow "+action)
			}
			return next(c)
		}
	}
}

func filesBucket(echo.Context) string { return filesARN }
func filesAll(echo.Context) string    { return filesARN + "/*" }
func fileObject(c echo.Context) string {
	return filesARN + "/" + c.Param("id")
}
func wholeCluster(echo.Context) string { return "*" }

// searchedBucket is the bucket GET /files/search names; listing it is what
// a search of it needs first.
func searchedBucket(c echo.Context) string { return "arn:aws:s3:::" + c.QueryParam("bucket") }
