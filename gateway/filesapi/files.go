package filesapi

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"sixfold/gateway/objects"
	"sixfold/gateway/server"
	"sixfold/gateway/spool"
	"sixfold/s3api/byterange"
)

type filesHandler struct {
	objects *objects.Service
	maxSize int64
	spool   *spool.Spool
	// authorize and identity decide ownership (owners.go); nil authorize
	// allows everything.
	authorize func(accessKey, action, resource string) bool
	identity  func(accessKey string) string
	// search answers GET /files with a query (q, sort, order or total);
	// nil: there is only the plain list.
	search echo.HandlerFunc
}

// fileJSON is a file as /files shows it.
type fileJSON struct {
	FileID      string          `json:"file_id"`
	Filename    string          `json:"filename"`
	Size        int64           `json:"size"`
	Checksum    string          `json:"checksum"`
	ContentType string          `json:"content_type"`
	CreatedAt   time.Time       `json:"created_at"`
	Status      string          `json:"status,omitempty"`
	Metadata    json.RawMessage `json:"metadata,omitempty"`
	Chunks      []chunkJSON     `json:"chunks,omitempty"`
}

// chunkJSON is one shard (one chunk, for a blob written before parity)
// as /files/{id}/info shows it.
type chunkJSON struct {
	Number int `json:"number"`
	// Role is "data" or "parity".
	Role string `json:"role"`
	// Offset is the chunk's place in the blob before parity; a shard
	// interleaves blocks from all over the blob, so its offset is 0.
	Offset        int64  `json:"offset"`
	Size          int64  `json:"size"`
	Hash          string `json:"hash"`
	Status        string `json:"status"`
	ServerID      string `json:"server_id"`
	ServerAddress string `json:"server_address"`
}

// layoutJSON is how a blob is cut into shards. A blob written before
// parity has block_size 0 and parity_shards 0: six contiguous chunks.
type layoutJSON struct {
	DataShards   int   `json:"data_shards"`
	ParityShards int   `json:"parity_shards"`
	BlockSize    int64 `json:"block_size"`
}

// infoJSON is the body of GET /files/{id}/info: the file, its layout and
// its shards, or, for an S3 multipart object, its parts.
type infoJSON struct {
	fileJSON
	// The layout's fields sit beside the file's; nil for a multipart
	// object, whose parts each have their own.
	*layoutJSON
	Parts []partJSON `json:"parts,omitempty"`
}

// partJSON is one blob of an S3 multipart object.
type partJSON struct {
	FileID string `json:"file_id"`
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
	layoutJSON
	Chunks []chunkJSON `json:"chunks"`
}

func toJSON(b objects.Blob) fileJSON {
	return fileJSON{FileID: b.ID.String(), Filename: b.Filename, Size: b.Size, Checksum: b.Checksum,
		ContentType: b.ContentType, CreatedAt: b.CreatedAt.UTC()}
}

func parseID(c echo.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil || len(c.Param("id")) != 36 {
		return uuid.UUID{}, server.NewError(http.StatusBadRequest, "InvalidID", "file id must be a UUID")
	}
	return id, nil
}

// completed looks up a file that can be read; one still uploading (or
// failed) does not exist as far as readers are concerned.
func (h *filesHandler) completed(c echo.Context) (objects.Blob, error) {
	id, err := parseID(c)
	if err != nil {
		return objects.Blob{}, err
	}
	b, err := h.objects.Stat(c.Request().Context(), id)
	if err != nil {
		return objects.Blob{}, err
	}
	if b.Status != objects.BlobCompleted {
		return objects.Blob{}, objects.ErrNotFound
	}
	return b, h.mayAct(c, b, readAnyOwner)
}

func (h *filesHandler) download(c echo.Context) error {
	b, err := h.completed(c)
	if err != nil {
		return err
	}
	status, rng, err := rangeOf(c.Request(), b.Size)
	if err != nil {
		c.Response().Header().Set("Content-Range", "bytes */"+strconv.FormatInt(b.Size, 10))
		return server.NewError(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "the range selects no byte of the file")
	}
	if c.Request().Method == http.MethodHead {
		setFileHeaders(c.Response().Header(), b, status, rng)
		c.Response().WriteHeader(status)
		return nil
	}
	// Open first: an unreachable node must turn into a clean 503, not a
	// body cut short under headers that promised the file.
	body, err := h.objects.Open(c.Request().Context(), b, rng.Start, rng.Length)
	if err != nil {
		return err
	}
	defer body.Close()
	setFileHeaders(c.Response().Header(), b, status, rng)
	c.Response().WriteHeader(status)
	_, err = io.Copy(c.Response(), body)
	return err
}

func setFileHeaders(hdr http.Header, b objects.Blob, status int, rng byterange.Range) {
	hdr.Set(echo.HeaderContentType, b.ContentType)
	hdr.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": b.Filename}))
	if b.Checksum != "" {
		hdr.Set("ETag", `"`+b.Checksum+`"`)
	}
	hdr.Set("Accept-Ranges", "bytes")
	hdr.Set(echo.HeaderLastModified, b.CreatedAt.UTC().Format(http.TimeFormat))
	if status == http.StatusPartialContent {
		hdr.Set("Content-Range", rng.ContentRange(b.Size))
	}
	hdr.Set(echo.HeaderContentLength, strconv.FormatInt(rng.Length, 10))
}

// rangeOf picks 200 with the whole file or 206 with one range.
func rangeOf(r *http.Request, size int64) (int, byterange.Range, error) {
	whole := byterange.Range{Start: 0, Length: size}
	rng, ok, err := byterange.Parse(r.Header.Get("Range"), size)
	if err != nil {
		return 0, byterange.Range{}, err
	}
	if !ok {
		return http.StatusOK, whole, nil
	}
	return http.StatusPartialContent, rng, nil
}

func (h *filesHandler) info(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	b, err := h.objects.Stat(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if err := h.mayAct(c, b, readAnyOwner); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, infoOf(b))
}

func infoOf(b objects.Blob) infoJSON {
	out := infoJSON{fileJSON: toJSON(b)}
	out.Status, out.Metadata = string(b.Status), b.Metadata
	if len(b.Parts) > 0 {
		for _, p := range b.Parts {
			out.Parts = append(out.Parts, partJSON{FileID: p.Blob.ID.String(), Offset: p.Offset, Size: p.Blob.Size,
				layoutJSON: layoutOf(p.Blob), Chunks: chunksOf(p.Blob)})
		}
		return out
	}
	layout := layoutOf(b)
	out.layoutJSON = &layout
	out.Chunks = chunksOf(b)
	return out
}

func layoutOf(b objects.Blob) layoutJSON {
	return layoutJSON{DataShards: b.DataShards, ParityShards: b.ParityShards, BlockSize: b.BlockSize}
}

func chunksOf(b objects.Blob) []chunkJSON {
	var out []chunkJSON
	for _, ch := range b.Chunks {
		out = append(out, chunkJSON{Number: ch.Number, Role: b.Role(ch), Offset: ch.Offset, Size: ch.Size, Hash: ch.Hash,
			Status: string(ch.Status), ServerID: ch.ServerID.String(), ServerAddress: ch.ServerAddress})
	}
	return out
}

func (h *filesHandler) delete(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	b, err := h.objects.Stat(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if err := h.mayAct(c, b, deleteAnyOwner); err != nil {
		return err
	}
	if err := h.objects.Delete(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

func (h *filesHandler) list(c echo.Context) error {
	if h.search != nil && isSearch(c) {
		return h.search(c)
	}
	limit := defaultPageSize
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return server.NewError(http.StatusBadRequest, "InvalidArgument", "limit must be between 1 and 1000")
		}
		limit = n
	}
	after, err := decodeCursor(c.QueryParam("cursor"))
	if err != nil {
		return err
	}
	var blobs []objects.Blob
	var next *objects.Cursor
	if h.seesAll(c) {
		blobs, next, err = h.objects.List(c.Request().Context(), limit, after)
	} else {
		_, identity := h.caller(c)
		blobs, next, err = h.objects.ListOwned(c.Request().Context(), identity, limit, after)
	}
	if err != nil {
		return err
	}
	page := struct {
		Files      []fileJSON `json:"files"`
		NextCursor string     `json:"next_cursor,omitempty"`
	}{Files: make([]fileJSON, len(blobs))}
	for i, b := range blobs {
		page.Files[i] = toJSON(b)
	}
	if next != nil {
		page.NextCursor = encodeCursor(*next)
	}
	return c.JSON(http.StatusOK, page)
}

// Cursors are opaque to clients: base64 of "<unix nanos>.<uuid>".
func encodeCursor(cur objects.Cursor) string {
	raw := strconv.FormatInt(cur.CreatedAt.UnixNano(), 10) + "." + cur.ID.String()
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(s string) (*objects.Cursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := server.NewError(http.StatusBadRequest, "InvalidArgument", "cursor is not one this server issued")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) > 80 {
		return nil, bad
	}
	nanos, id, ok := strings.Cut(string(raw), ".")
	n, err1 := strconv.ParseInt(nanos, 10, 64)
	u, err2 := uuid.Parse(id)
	if !ok || err1 != nil || err2 != nil {
		return nil, bad
	}
	return &objects.Cursor{CreatedAt: time.Unix(0, n), ID: u}, nil
}
