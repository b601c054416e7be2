package admin

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
)

// maxBody bounds the PUT body: {"status":"maintenance"} is 24 bytes.
const maxBody = 1 << 10

// Handler serves the /admin routes. It is safe for concurrent use.
type Handler struct {
	store    Store
	ring     Refresher
	users    UserStore
	verifier Verifier
}

// New returns a Handler over store; ring (optional) is this gateway's ring
// cache, rebuilt after every status change.
func New(store Store, ring Refresher) *Handler {
	return &Handler{store: store, ring: ring}
}

// Register adds the routes to g, a group mounted at /admin that has
// already authenticated the caller.
func (h *Handler) Register(g *echo.Group) {
	g.GET("/cluster", h.cluster)
	g.PUT("/nodes/:id/status", h.setStatus)
	if h.users != nil {
		h.registerUsers(g)
	}
	if h.verifier != nil {
		g.GET("/verify", h.verify)
	}
}

// cluster answers GET /admin/cluster.
func (h *Handler) cluster(c echo.Context) error {
	view, err := h.store.Cluster(c.Request().Context())
	if err != nil {
		return storeFailure(c, err)
	}
	return c.JSON(http.StatusOK, view)
}

// statusRequest is the body of PUT /admin/nodes/:id/status.
type statusRequest struct {
	Status Status `json:"status"`
}

// setStatus answers PUT /admin/nodes/:id/status with the node's resulting
// status: 400 for a bad id, body or status, 404 for an unknown node.
func (h *Handler) setStatus(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return problem(c, http.StatusBadRequest, "InvalidID", "node id must be a UUID")
	}
	status, err := readStatus(c.Request().Body)
	if err != nil {
		return problem(c, http.StatusBadRequest, "InvalidStatus", err.Error())
	}
	ctx := c.Request().Context()
	st, err := h.store.SetStatus(ctx, id, status)
	if err != nil {
		return storeFailure(c, err)
	}
	zerolog.Ctx(ctx).Info().Str("node_id", id.String()).Str("address", st.Address).
		Str("requested", string(status)).Str("status", string(st.Status)).Msg("storage node status set by an operator")
	if h.ring != nil {
		if err := h.ring.Refresh(ctx); err != nil {
			// The trigger's notification and the periodic refresh follow.
			zerolog.Ctx(ctx).Warn().Err(err).Msg("ring refresh after a status change failed")
		}
	}
	return c.JSON(http.StatusOK, st)
}

// settableStatuses is what the 400 answer lists.
const settableStatuses = `"maintenance", "draining" or "active"`

// readStatus decodes {"status": "maintenance"|"draining"|"active"}.
func readStatus(body io.Reader) (Status, error) {
	dec := json.NewDecoder(io.LimitReader(body, maxBody))
	dec.DisallowUnknownFields()
	var req statusRequest
	if err := dec.Decode(&req); err != nil || dec.More() {
		return "", errors.New(`the body must be {"status": s}, s being ` + settableStatuses)
	}
	if !req.Status.Settable() {
		// removed is the healer's word that a drain finished; inactive
		// is the heartbeats'.
		return "", errors.New("status must be " + settableStatuses)
	}
	return req.Status, nil
}

// storeFailure answers a Store error: 404, 503, or (through Echo's error
// handler, which logs it) 500.
func storeFailure(c echo.Context, err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return problem(c, http.StatusNotFound, "NotFound", "no such storage node")
	case errors.Is(err, ErrUnavailable):
		zerolog.Ctx(c.Request().Context()).Warn().Err(err).Msg("admin request failed")
		return problem(c, http.StatusServiceUnavailable, "MetadataUnavailable", "the metadata store is unavailable; retry later")
	}
	return err
}

// problem writes the gateway's JSON error shape,
// {"error": {"code": "...", "message": "..."}}.
func problem(c echo.Context, status int, code, message string) error {
	return c.JSON(status, map[string]map[string]string{"error": {"code": code, "message": message}})
}
