package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"sixfold/gateway/auth"
)

// UserStore is the users and access keys the admin API manages;
// *auth.Users is the PostgreSQL one. Errors wrap auth's sentinels.
type UserStore interface {
	CreateUser(ctx context.Context, name, policy string) (auth.User, error)
	Users(ctx context.Context) ([]auth.User, error)
	User(ctx context.Context, name string) (auth.User, error)
	SetPolicy(ctx context.Context, name, policy string) (auth.User, error)
	SetUserDisabled(ctx context.Context, name string, disabled bool) (auth.User, error)
	DeleteUser(ctx context.Context, name string) error
	CreateKey(ctx context.Context, user string) (auth.AccessKey, error)
	SetKeyDisabled(ctx context.Context, accessKey string, disabled bool) (auth.AccessKey, error)
	RotateKey(ctx context.Context, accessKey string) (auth.AccessKey, error)
	DeleteKey(ctx context.Context, accessKey string) error
}

var _ UserStore = (*auth.Users)(nil)

// WithUsers adds the user and key routes, served from users.
func (h *Handler) WithUsers(users UserStore) *Handler {
	h.users = users
	return h
}

// maxUserBody bounds a user request: a policy document is the largest
// part (AWS caps managed policies at 6 KiB).
const maxUserBody = 16 << 10

func (h *Handler) registerUsers(g *echo.Group) {
	g.GET("/users", h.listUsers)
	g.POST("/users", h.createUser)
	g.GET("/users/:name", h.getUser)
	g.PUT("/users/:name", h.updateUser)
	g.DELETE("/users/:name", h.deleteUser)
	g.POST("/users/:name/keys", h.createKey)
	g.PUT("/keys/:key", h.updateKey)
	g.POST("/keys/:key/rotate", h.rotateKey)
	g.DELETE("/keys/:key", h.deleteKey)
}

// userRequest is the body of POST /admin/users and PUT /admin/users/:name.
// Policy is a built-in's name, "" for none, or a policy document given
// either as an object or as a string of JSON.
type userRequest struct {
	Name     string          `json:"name"`
	Policy   json.RawMessage `json:"policy"`
	Disabled *bool           `json:"disabled"`
}

// readJSON decodes the body into into: one object of known fields.
func readJSON(c echo.Context, into any) bool {
	dec := json.NewDecoder(io.LimitReader(c.Request().Body, maxUserBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(into)
	return err == nil && !dec.More()
}

// badBody answers a body readJSON refused.
func badBody(c echo.Context) error {
	return problem(c, http.StatusBadRequest, "InvalidRequest", "the body must be one JSON object of the documented fields")
}

// policyText turns the policy field into what a user record holds.
func policyText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var compact bytes.Buffer
	err := json.Compact(&compact, raw)
	return compact.String(), err
}

func (h *Handler) listUsers(c echo.Context) error {
	users, err := h.users.Users(c.Request().Context())
	if err != nil {
		return userFailure(c, err)
	}
	return c.JSON(http.StatusOK, map[string][]auth.User{"users": users})
}

func (h *Handler) createUser(c echo.Context) error {
	var req userRequest
	if !readJSON(c, &req) {
		return badBody(c)
	}
	policy, err := policyText(req.Policy)
	if err != nil || req.Disabled != nil {
		return problem(c, http.StatusBadRequest, "InvalidRequest", `the body must be {"name": ..., "policy": ...}`)
	}
	u, err := h.users.CreateUser(c.Request().Context(), req.Name, policy)
	if err != nil {
		return userFailure(c, err)
	}
	audit(c, "user created").Str("user", u.Name).Str("policy", policyLabel(u.Policy)).Send()
	return c.JSON(http.StatusCreated, u)
}

func (h *Handler) getUser(c echo.Context) error {
	u, err := h.users.User(c.Request().Context(), c.Param("name"))
	if err != nil {
		return userFailure(c, err)
	}
	return c.JSON(http.StatusOK, u)
}

// updateUser sets the policy, disabled, or both.
func (h *Handler) updateUser(c echo.Context) error {
	var req userRequest
	if !readJSON(c, &req) {
		return badBody(c)
	}
	name, ctx := c.Param("name"), c.Request().Context()
	if req.Name != "" || (req.Policy == nil && req.Disabled == nil) {
		return problem(c, http.StatusBadRequest, "InvalidRequest", `the body must be {"policy": ...}, {"disabled": true|false} or both`)
	}
	var u auth.User
	var err error
	if req.Policy != nil {
		policy, perr := policyText(req.Policy)
		if perr != nil {
			return problem(c, http.StatusBadRequest, "InvalidRequest", "policy must be a string or a JSON object")
		}
		if u, err = h.users.SetPolicy(ctx, name, policy); err != nil {
			return userFailure(c, err)
		}
		audit(c, "user policy set").Str("user", name).Str("policy", policyLabel(policy)).Send()
	}
	if req.Disabled != nil {
		if u, err = h.users.SetUserDisabled(ctx, name, *req.Disabled); err != nil {
			return userFailure(c, err)
		}
		audit(c, "user disabled set").Str("user", name).Bool("disabled", *req.Disabled).Send()
	}
	return c.JSON(http.StatusOK, u)
}

func (h *Handler) deleteUser(c echo.Context) error {
	name := c.Param("name")
	if err := h.users.DeleteUser(c.Request().Context(), name); err != nil {
		return userFailure(c, err)
	}
	audit(c, "user deleted").Str("user", name).Send()
	return c.JSON(http.StatusOK, map[string]string{"deleted": name})
}

// createKey answers with the secret: the only time it is ever shown, so
// the answer must not be cached anywhere.
func (h *Handler) createKey(c echo.Context) error {
	k, err := h.users.CreateKey(c.Request().Context(), c.Param("name"))
	if err != nil {
		return userFailure(c, err)
	}
	audit(c, "access key created").Str("user", k.User).Str("access_key", k.AccessKey).Send()
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, k)
}

func (h *Handler) updateKey(c echo.Context) error {
	var req struct {
		Disabled *bool `json:"disabled"`
	}
	if !readJSON(c, &req) {
		return badBody(c)
	}
	if req.Disabled == nil {
		return problem(c, http.StatusBadRequest, "InvalidRequest", `the body must be {"disabled": true|false}`)
	}
	k, err := h.users.SetKeyDisabled(c.Request().Context(), c.Param("key"), *req.Disabled)
	if err != nil {
		return userFailure(c, err)
	}
	audit(c, "access key disabled set").Str("access_key", k.AccessKey).Bool("disabled", k.Disabled).Send()
	return c.JSON(http.StatusOK, k)
}

func (h *Handler) rotateKey(c echo.Context) error {
	k, err := h.users.RotateKey(c.Request().Context(), c.Param("key"))
	if err != nil {
		return userFailure(c, err)
	}
	audit(c, "access key rotated").Str("access_key", k.AccessKey).Send()
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, k)
}

func (h *Handler) deleteKey(c echo.Context) error {
	ak := c.Param("key")
	if err := h.users.DeleteKey(c.Request().Context(), ak); err != nil {
		return userFailure(c, err)
	}
	audit(c, "access key deleted").Str("access_key", ak).Send()
	return c.JSON(http.StatusOK, map[string]string{"deleted": ak})
}

// audit starts the log line of a change: who made it (the Basic user,
// already verified) and what.
func audit(c echo.Context, what string) *zerolog.Event {
	by, _, _ := c.Request().BasicAuth()
	return zerolog.Ctx(c.Request().Context()).Info().Str("by", by).Str("event", what)
}

// policyLabel keeps a custom document out of the log line (it is not
// secret, but can be long): built-in names as they are.
func policyLabel(p string) string {
	if p != "" && p[0] == '{' {
		return "(document)"
	}
	return p
}

// userFailure maps a UserStore error to its status.
func userFailure(c echo.Context, err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, auth.ErrNoSuchUser):
		return problem(c, http.StatusNotFound, "NoSuchUser", msg)
	case errors.Is(err, auth.ErrNoSuchKey):
		return problem(c, http.StatusNotFound, "NoSuchKey", msg)
	case errors.Is(err, auth.ErrExists):
		return problem(c, http.StatusConflict, "AlreadyExists", msg)
	case errors.Is(err, auth.ErrInvalid):
		return problem(c, http.StatusBadRequest, "InvalidRequest", msg)
	case errors.Is(err, auth.ErrNoMasterKey):
		return problem(c, http.StatusServiceUnavailable, "NoMasterKey", msg)
	case errors.Is(err, auth.ErrUnavailable):
		zerolog.Ctx(c.Request().Context()).Warn().Err(err).Msg("admin request failed")
		return problem(c, http.StatusServiceUnavailable, "MetadataUnavailable", "the metadata store is unavailable; retry later")
	}
	return err
}
