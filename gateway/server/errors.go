package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"sixfold/gateway/objects"
	"sixfold/gateway/spool"
)

// Error is the one error shape of the JSON routes (/files, /admin):
// {"error": {"code": "...", "message": "..."}}.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Position and Expected point into a search query the server refused:
	// the character (from 1) and what it wanted there.
	Position int    `json:"position,omitempty"`
	Expected string `json:"expected,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// NewError is an error the JSON routes answer with status.
func NewError(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// classify maps service errors to statuses in one place; anything it does
// not know is a 500 and is logged with its cause.
func classify(err error) *Error {
	var ae *Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &he):
		return NewError(he.Code, http.StatusText(he.Code), http.StatusText(he.Code))
	case errors.Is(err, objects.ErrNotFound):
		return NewError(http.StatusNotFound, "NotFound", "no such file")
	case errors.Is(err, objects.ErrIncompleteBody):
		return NewError(http.StatusBadRequest, "IncompleteBody", "the request body ended before its declared size; nothing was stored")
	case errors.Is(err, objects.ErrBodyTimeout):
		return NewError(http.StatusRequestTimeout, "RequestTimeout", "the request body arrived too slowly; nothing was stored")
	case errors.Is(err, objects.ErrTooLarge):
		return NewError(http.StatusRequestEntityTooLarge, "TooLarge", "the file exceeds the maximum size")
	case errors.Is(err, spool.ErrFull):
		return NewError(http.StatusServiceUnavailable, "SpoolFull", "the gateway's staging area for uploads of unknown length is full; retry later, or send Content-Length")
	case errors.Is(err, objects.ErrNoNodes), errors.Is(err, objects.ErrNodeUnavailable):
		return NewError(http.StatusServiceUnavailable, "StorageUnavailable", "a storage node is unavailable; retry later")
	case errors.Is(err, objects.ErrUnavailable):
		return NewError(http.StatusServiceUnavailable, "MetadataUnavailable", "the metadata store is unavailable; retry later")
	case errors.Is(err, objects.ErrCorruptChunk):
		return NewError(http.StatusInternalServerError, "CorruptData", "stored data failed verification")
	case errors.Is(err, context.DeadlineExceeded):
		return NewError(http.StatusServiceUnavailable, "Timeout", "the request timed out; retry later")
	case errors.Is(err, context.Canceled):
		return NewError(499, "ClientClosedRequest", "the client went away")
	}
	return NewError(http.StatusInternalServerError, "InternalError", "internal error")
}

// ErrorHandler renders errors as JSON. Once a response has started, the
// status is already sent: the connection is aborted instead, so the client
// sees a failed transfer rather than a short body that looks whole.
func ErrorHandler(err error, c echo.Context) {
	log := zerolog.Ctx(c.Request().Context())
	ae := classify(err)
	if ae.Status >= 500 || ae.Status == 499 {
		log.Error().Err(err).Int("status", ae.Status).Msg("request failed")
	}
	if c.Response().Committed {
		panic(http.ErrAbortHandler)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(ae.Status)
		return
	}
	_ = c.JSON(ae.Status, map[string]*Error{"error": ae})
}
