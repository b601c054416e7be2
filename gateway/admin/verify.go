package admin

import (
	"context"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// Verification page sizes: blobs per GET /admin/verify.
const (
	defaultVerifyLimit = 1000
	maxVerifyLimit     = 10000
)

// Verifier asks the nodes whether the shards that metadata records as
// stored are really there, a page of blobs at a time, changing nothing.
// Errors wrap ErrUnavailable when the metadata store is unreachable.
type Verifier interface {
	VerifyStored(ctx context.Context, after uuid.UUID, limit int) (Verification, error)
}

// MissingShard is a shard recorded as stored that its node does not have.
type MissingShard struct {
	BlobID  uuid.UUID `json:"blob_id"`
	Number  int       `json:"chunk_number"`
	ChunkID uuid.UUID `json:"chunk_id"`
	Server  string    `json:"server"`
	Address string    `json:"address"`
}

// Verification is one page of GET /admin/verify: after a database restore,
// what the restored metadata references that the nodes no longer have.
type Verification struct {
	Blobs   int            `json:"blobs_checked"`
	Shards  int            `json:"shards_checked"`
	Missing []MissingShard `json:"missing"`
	// Unreadable blobs have fewer shards left than a read needs.
	Unreadable []uuid.UUID `json:"unreadable"`
	// Unanswered counts shards whose node did not answer.
	Unanswered int `json:"unanswered"`
	// Next is the after= of the next page; empty after the last.
	Next string `json:"next,omitempty"`
}

// WithVerifier adds GET /admin/verify, served by v.
func (h *Handler) WithVerifier(v Verifier) *Handler {
	h.verifier = v
	return h
}

// verify answers GET /admin/verify?after=<blob id>&limit=<blobs>.
func (h *Handler) verify(c echo.Context) error {
	after := uuid.Nil
	if s := c.QueryParam("after"); s != "" {
		id, err := uuid.Parse(s)
		if err != nil {
			return problem(c, http.StatusBadRequest, "InvalidArgument", "after must be a blob id (a UUID)")
		}
		after = id
	}
	limit := defaultVerifyLimit
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxVerifyLimit {
			return problem(c, http.StatusBadRequest, "InvalidArgument", "limit must be 1 to "+strconv.Itoa(maxVerifyLimit))
		}
		limit = n
	}
	page, err := h.verifier.VerifyStored(c.Request().Context(), after, limit)
	if err != nil {
		return storeFailure(c, err)
	}
	if page.Missing == nil {
		page.Missing = []MissingShard{}
	}
	if page.Unreadable == nil {
		page.Unreadable = []uuid.UUID{}
	}
	return c.JSON(http.StatusOK, page)
}
