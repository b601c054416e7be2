package filesapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"sixfold/db"
	"sixfold/gateway/search"
	"sixfold/gateway/server"
)

// searchHandler answers GET /files?q=… (the /files door's uploads) and
// GET /files/search?bucket=…&q=… (an S3 bucket's objects).
type searchHandler struct {
	svc *search.Service
	// scope lists a key's resource patterns for an action; nil: every
	// key sees everything it may list.
	scope func(accessKey, action string) (allow, deny []string)
	// authorize is the policy's own answer for one hit; nil allows all.
	authorize func(accessKey, action, resource string) bool
	// identity is the owner an access key's uploads are recorded under.
	identity func(accessKey string) string
}

// bucketName is the shape of every bucket name S3 can create; anything
// else cannot name a bucket, nor be spliced into the ARN policies see.
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// searchTimeout bounds one search page: a query a person types must not
// hold a database connection for long.
const searchTimeout = 30 * time.Second

// isSearch tells a search from the plain list on GET /files.
func isSearch(c echo.Context) bool {
	q := c.QueryParams()
	return q.Has("q") || q.Has("sort") || q.Has("order") || q.Has("total")
}

// hitJSON is one search hit. For /files it has the plain list's fields
// plus the metadata; for S3 it names the key, ETag, metadata and tags.
type hitJSON struct {
	FileID      string            `json:"file_id"`
	Filename    string            `json:"filename,omitempty"`
	Key         string            `json:"key,omitempty"`
	Size        int64             `json:"size"`
	Checksum    string            `json:"checksum,omitempty"`
	ETag        string            `json:"etag,omitempty"`
	ContentType string            `json:"content_type"`
	CreatedAt   time.Time         `json:"created_at"`
	VersionID   string            `json:"version_id,omitempty"`
	Metadata    json.RawMessage   `json:"metadata,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

type searchPage struct {
	Files      []hitJSON `json:"files"`
	NextCursor string    `json:"next_cursor,omitempty"`
	Total      *int64    `json:"total,omitempty"`
}

func (h *searchHandler) files(c echo.Context) error {
	return h.run(c, search.Request{Door: search.Files}, filesARN+"/")
}

func (h *searchHandler) objects(c echo.Context) error {
	bucket := c.QueryParam("bucket")
	if !bucketName.MatchString(bucket) {
		return server.NewError(http.StatusBadRequest, "InvalidArgument", "name the bucket to search: /files/search?bucket=NAME&q=…")
	}
	return h.run(c, search.Request{Door: search.Objects, Bucket: bucket}, "arn:aws:s3:::"+bucket+"/")
}

func (h *searchHandler) run(c echo.Context, r search.Request, arnPrefix string) error {
	q := c.QueryParams()
	r.Query, r.Sort, r.Order, r.Cursor = q.Get("q"), q.Get("sort"), q.Get("order"), q.Get("cursor")
	r.Limit = defaultPageSize
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return server.NewError(http.StatusBadRequest, "InvalidArgument", "limit must be between 1 and 1000")
		}
		r.Limit = n
	}
	switch q.Get("total") {
	case "", "false", "0":
	case "true", "1":
		r.Total = true
	default:
		return server.NewError(http.StatusBadRequest, "InvalidArgument", "total must be true or false")
	}
	h.restrict(c, &r, arnPrefix)
	ctx, cancel := context.WithTimeout(c.Request().Context(), searchTimeout)
	defer cancel()
	res, err := h.svc.Search(ctx, r)
	if err != nil {
		return searchError(err)
	}
	return c.JSON(http.StatusOK, pageOf(r.Door, res))
}

// restrict limits r to what the caller may read: objects its policy lets
// it s3:GetObject and, on /files, uploads it owns unless it may read any
// owner's (readAnyOwner, the rule the plain list and downloads follow). The conditions go into the SQL, so that pages and totals count
// only those; every hit is checked with the policy as well.
func (h *searchHandler) restrict(c echo.Context, r *search.Request, arnPrefix string) {
	user, _, _ := c.Request().BasicAuth()
	identity := user
	if h.identity != nil {
		identity = h.identity(user)
	}
	if h.scope != nil {
		r.Scope = h.scoped(user, "s3:GetObject", arnPrefix, r.Door == search.Objects)
		if r.Door == search.Files {
			owned := db.Cond(db.Or{}) // an unknown identity owns nothing
			if identity != "" {
				owned = db.ColumnCmp{Field: db.FieldOwner, Op: db.OpEq, Value: identity}
			}
			r.Scope = db.And{r.Scope, db.Or{owned, h.scoped(user, readAnyOwner, arnPrefix, false)}}
		}
	}
	if h.authorize == nil {
		return
	}
	r.Visible = func(hit db.SearchHit) bool {
		arn := r.ARN(hit)
		if !h.authorize(user, "s3:GetObject", arn) {
			return false
		}
		return r.Door == search.Objects || identity != "" && hit.Owner == identity || h.authorize(user, readAnyOwner, arn)
	}
}

// scoped is the condition under which the key may perform action on a
// searched object; a condition that matches nothing when it may on none.
func (h *searchHandler) scoped(user, action, arnPrefix string, keyed bool) db.Cond {
	allow, deny := h.scope(user, action)
	scope, some := search.Scope(allow, deny, arnPrefix, keyed)
	if !some {
		return db.Or{}
	}
	if scope == nil {
		return db.And{}
	}
	return scope
}

func pageOf(door search.Door, res search.Result) searchPage {
	page := searchPage{Files: make([]hitJSON, len(res.Hits)), NextCursor: res.Next}
	if res.Total >= 0 {
		page.Total = &res.Total
	}
	for i, hit := range res.Hits {
		page.Files[i] = hitOf(door, hit)
	}
	return page
}

func hitOf(door search.Door, h db.SearchHit) hitJSON {
	out := hitJSON{FileID: h.ID.String(), Size: h.Size, ContentType: h.ContentType, CreatedAt: h.CreatedAt.UTC()}
	if door == search.Files {
		out.Filename, out.Checksum = h.Key, h.Checksum
		if string(h.Meta) != "{}" {
			out.Metadata = h.Meta
		}
		return out
	}
	out.Key, out.ETag = h.Key, h.Checksum
	if h.VersionID != "null" {
		out.VersionID = h.VersionID
	}
	// The stored s3api.ObjectMeta: only what a search shows of it.
	var meta struct {
		UserMetadata map[string]string
		Tags         map[string]string
	}
	if json.Unmarshal(h.Meta, &meta) == nil {
		if len(meta.UserMetadata) > 0 {
			out.Metadata, _ = json.Marshal(meta.UserMetadata)
		}
		out.Tags = meta.Tags
	}
	return out
}

func searchError(err error) error {
	var qe *search.Error
	var ae *search.ArgError
	switch {
	case errors.As(err, &qe):
		e := server.NewError(http.StatusBadRequest, "InvalidQuery", qe.Error())
		e.Position, e.Expected = qe.Column(), qe.Expected
		return e
	case errors.As(err, &ae):
		return server.NewError(http.StatusBadRequest, "InvalidArgument", ae.Msg)
	case errors.Is(err, db.ErrNotFound):
		return server.NewError(http.StatusNotFound, "NoSuchBucket", "no such bucket")
	case errors.Is(err, db.ErrUnavailable):
		return server.NewError(http.StatusServiceUnavailable, "MetadataUnavailable", "the metadata store is unavailable; retry later")
	}
	return err
}
