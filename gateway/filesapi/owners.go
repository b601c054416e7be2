package filesapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"sixfold/gateway/objects"
	"sixfold/gateway/server"
)

// Acting on a /files object someone else uploaded takes, besides the
// s3: action itself, one of these: admin's "*" has both, the storage
// built-ins neither, so a readwrite user sees and deletes only its own.
const (
	readAnyOwner   = "files:ReadAnyOwner"
	deleteAnyOwner = "files:DeleteAnyOwner"
)

// caller is the access key (verified by basicAuth) and the identity it
// acts as.
func (h *filesHandler) caller(c echo.Context) (accessKey, identity string) {
	accessKey, _, _ = c.Request().BasicAuth()
	if h.identity == nil {
		return accessKey, accessKey
	}
	return accessKey, h.identity(accessKey)
}

// mayAct refuses with 403 a caller who neither owns b nor is allowed
// anyOwner on it. Without an authorizer (tests of other concerns) it
// allows everything, as need does.
func (h *filesHandler) mayAct(c echo.Context, b objects.Blob, anyOwner string) error {
	if h.authorize == nil {
		return nil
	}
	ak, identity := h.caller(c)
	if b.Owner != "" && b.Owner == identity {
		return nil
	}
	if h.authorize(ak, anyOwner, filesARN+"/"+b.ID.String()) {
		return nil
	}
	return server.NewError(http.StatusForbidden, "AccessDenied", "this file belongs to another user, and this key's policy does not allow "+anyOwner)
}

// seesAll reports whether the caller's listing shows every owner's files.
func (h *filesHandler) seesAll(c echo.Context) bool {
	if h.authorize == nil {
		return true
	}
	ak, _ := h.caller(c)
	return h.authorize(ak, readAnyOwner, filesARN+"/*")
}
