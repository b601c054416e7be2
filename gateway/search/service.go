package search

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"sixfold/db"
)

// ArgError is a search parameter other than the query that cannot be
// used: sort, order, limit or cursor.
type ArgError struct{ Msg string }

func (e *ArgError) Error() string { return e.Msg }

// Request is one page of a search.
type Request struct {
	Door   Door
	Bucket string // Objects only
	Query  string // "" matches every object
	Sort   string // key, size, created or modified; "" the door's default
	Order  string // asc or desc; "" the sort's default
	Cursor string // from the previous page's Next
	Limit  int
	Total  bool
	// Scope limits the search to what the caller may see (see Scope);
	// nil: everything.
	Scope db.Cond
	// Visible, when set, is asked about every hit and drops those it
	// refuses: the policy's own word over the SQL form of it.
	Visible func(h db.SearchHit) bool
}

// Result is a page: the hits, the cursor of the next page ("" at the
// end) and the number of all matches (-1 unless asked for).
type Result struct {
	Hits  []db.SearchHit
	Next  string
	Total int64
}

// Service runs searches on PostgreSQL.
type Service struct {
	db  *db.Store
	now func() time.Time
}

// NewService searches the objects in store's database.
func NewService(store *db.Store) *Service {
	return &Service{db: store, now: time.Now}
}

// Search runs one page of r. A bad query is *Error, a bad parameter
// *ArgError, a missing bucket db.ErrNotFound.
func (s *Service) Search(ctx context.Context, r Request) (Result, error) {
	req, bind, err := r.compile(s.now())
	if err != nil {
		return Result{}, err
	}
	var page db.SearchPage
	if r.Door == Objects {
		page, err = s.db.SearchObjects(ctx, r.Bucket, req)
	} else {
		page, err = s.db.SearchFiles(ctx, req)
	}
	if err != nil {
		return Result{}, err
	}
	out := Result{Hits: page.Hits[:0], Total: page.Total}
	for _, h := range page.Hits {
		if r.Visible == nil || r.Visible(h) {
			out.Hits = append(out.Hits, h)
		}
	}
	if page.Next != nil {
		out.Next = encodeCursor(*page.Next, bind)
	}
	return out, nil
}

// ARN is the resource a policy names hit by.
func (r Request) ARN(h db.SearchHit) string {
	if r.Door == Objects {
		return "arn:aws:s3:::" + r.Bucket + "/" + h.Key
	}
	return "arn:aws:s3:::files/" + h.ID.String()
}

// compile turns r into db's request; bind ties its cursors to it.
func (r Request) compile(now time.Time) (db.SearchRequest, string, error) {
	req := db.SearchRequest{Limit: r.Limit, Total: r.Total}
	if r.Limit < 1 || r.Limit > 1000 {
		return req, "", &ArgError{"limit must be between 1 and 1000"}
	}
	var err error
	if req.Sort, req.Desc, err = sortOf(r.Door, r.Sort, r.Order); err != nil {
		return req, "", err
	}
	if strings.TrimSpace(r.Query) != "" {
		if req.Where, err = Compile(r.Query, r.Door, now); err != nil {
			return req, "", err
		}
	}
	if r.Scope != nil {
		req.Where = db.And{r.Scope, orTrue(req.Where)}
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{string(rune('0' + r.Door)), r.Bucket, r.Query, r.Sort, r.Order}, "\x00")))
	bind := hex.EncodeToString(sum[:8])
	if r.Cursor != "" {
		if req.After, err = decodeCursor(r.Cursor, bind); err != nil {
			return req, "", err
		}
	}
	return req, bind, nil
}

func orTrue(c db.Cond) db.Cond {
	if c == nil {
		return db.And{}
	}
	return c
}

var sorts = map[string]db.SearchField{
	"key": db.FieldKey, "name": db.FieldKey, "filename": db.FieldKey,
	"size":    db.FieldSize,
	"created": db.FieldCreated, "date": db.FieldCreated,
	"modified": db.FieldModified,
}

// sortOf reads sort and order. Defaults: /files lists newest first, as its
// plain list does; S3 objects by key, as ListObjects does. A key sort is
// ascending unless asked otherwise, every other sort descending (largest,
// newest first).
func sortOf(door Door, sort, order string) (db.SearchField, bool, error) {
	if sort == "" {
		sort = "key"
		if door == Files {
			sort = "created"
		}
	}
	f, ok := sorts[strings.ToLower(sort)]
	if !ok {
		return 0, false, &ArgError{"sort must be key, size, created or modified"}
	}
	switch strings.ToLower(order) {
	case "":
		return f, f != db.FieldKey, nil
	case "asc":
		return f, false, nil
	case "desc":
		return f, true, nil
	}
	return 0, false, &ArgError{"order must be asc or desc"}
}

// cursorJSON is a cursor's content; clients see it base64url-encoded and
// opaque. B binds it to the search it came from, so a cursor of one query
// is not silently applied to another.
type cursorJSON struct {
	B string    `json:"b"`
	K string    `json:"k,omitempty"`
	N int64     `json:"n,omitempty"`
	T int64     `json:"t,omitempty"` // unix microseconds, PostgreSQL's precision
	I uuid.UUID `json:"i"`
}

func encodeCursor(c db.SearchCursor, bind string) string {
	cj := cursorJSON{B: bind, K: c.Key, N: c.Size, I: c.ID}
	if !c.At.IsZero() {
		cj.T = c.At.UnixMicro()
	}
	raw, _ := json.Marshal(cj)
	return base64.RawURLEncoding.EncodeToString(raw)
}

var errCursor = &ArgError{"cursor is not one this search issued (a cursor belongs to its query, bucket, sort and order)"}

func decodeCursor(s string, bind string) (*db.SearchCursor, error) {
	if len(s) > 4096 {
		return nil, errCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errCursor
	}
	var cj cursorJSON
	if err := json.Unmarshal(raw, &cj); err != nil || cj.B != bind {
		return nil, errCursor
	}
	c := &db.SearchCursor{Key: cj.K, Size: cj.N, ID: cj.I}
	if cj.T != 0 {
		c.At = time.UnixMicro(cj.T)
	}
	return c, nil
}

// IsQueryError reports whether err is the caller's bad input (*Error or
// *ArgError), which deserves a 400.
func IsQueryError(err error) bool {
	var qe *Error
	var ae *ArgError
	return errors.As(err, &qe) || errors.As(err, &ae)
}
