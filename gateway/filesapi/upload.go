package filesapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"sixfold/gateway/intake"
	"sixfold/gateway/objects"
	"sixfold/gateway/server"
)

const (
	// formOverhead is how much a multipart request may exceed the largest
	// file: boundaries, part headers and the metadata field.
	formOverhead = 1 << 20
	// maxMetadata bounds the metadata JSON field.
	maxMetadata = 64 << 10
	// maxFilename bounds stored file names (the schema's limit).
	maxFilename = 1024
)

// upload takes a multipart/form-data body (field "file", optional field
// "metadata") or, for any other content type, the raw body named by
// ?filename=. Sizes declared beyond the limit are refused before a byte of
// the body is read.
func (h *filesHandler) upload(c echo.Context) error {
	// A half-closing client is not a client gone (see intake.Detach).
	req, cancel := intake.Detach(c.Request())
	defer cancel()
	c.SetRequest(req)
	return h.receive(c)
}

func (h *filesHandler) receive(c echo.Context) error {
	req := c.Request()
	mediaType, params, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if mediaType == "multipart/form-data" {
		if err := intake.CheckDeclared(req.ContentLength, h.maxSize+formOverhead); err != nil {
			return err
		}
		if params["boundary"] == "" {
			return server.NewError(http.StatusBadRequest, "MalformedForm", "multipart/form-data needs a boundary")
		}
		return h.uploadForm(c, params["boundary"])
	}
	if err := intake.CheckDeclared(req.ContentLength, h.maxSize); err != nil {
		return err
	}
	name := c.QueryParam("filename")
	if name == "" {
		name = "upload"
	}
	contentType := req.Header.Get(echo.HeaderContentType)
	return h.store(c, objects.PutInput{Filename: name, ContentType: contentType}, req.Body, req.ContentLength)
}

// uploadForm walks the form's parts in order, storing the file part as it
// streams by. A metadata field may come before or after the file.
func (h *filesHandler) uploadForm(c echo.Context, boundary string) error {
	req := c.Request()
	counted := &countingReader{r: req.Body}
	form := multipart.NewReader(counted, boundary)
	var metadata json.RawMessage
	var stored *fileJSON
	for parts := 0; ; parts++ {
		part, err := form.NextPart()
		if errors.Is(err, io.EOF) && parts == 0 {
			return server.NewError(http.StatusBadRequest, "MalformedForm", "the body holds no multipart/form-data part")
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return malformedForm(err)
		}
		switch part.FormName() {
		case "metadata":
			if metadata, err = readMetadata(part); err != nil {
				return err
			}
			if stored != nil {
				if err := h.objects.SetMetadata(req.Context(), stored.FileID, metadata); err != nil {
					return err
				}
			}
		case "file":
			if stored != nil {
				return server.NewError(http.StatusBadRequest, "MalformedForm", "only one file field is allowed")
			}
			in := objects.PutInput{Filename: part.FileName(), ContentType: part.Header.Get(echo.HeaderContentType), Metadata: metadata}
			// The part's length is not in the request, but when the file
			// is the last part it is what remains of Content-Length minus
			// the closing boundary. The service treats it as a plan and
			// lets the last chunk absorb any difference.
			planned := req.ContentLength - counted.n - int64(len(boundary)+8)
			if stored, err = h.storePart(c, in, part, planned); err != nil {
				return err
			}
		default:
			if _, err := io.Copy(io.Discard, io.LimitReader(part, maxMetadata)); err != nil {
				return malformedForm(err)
			}
		}
	}
	if stored == nil {
		return server.NewError(http.StatusBadRequest, "MissingFile", `the form has no "file" field`)
	}
	stored.Metadata = metadata
	return c.JSON(http.StatusCreated, stored)
}

func (h *filesHandler) storePart(c echo.Context, in objects.PutInput, part io.Reader, planned int64) (*fileJSON, error) {
	if in.Filename == "" {
		in.Filename = "upload"
	}
	if c.Request().ContentLength < 0 {
		return h.storeSpooled(c, in, part)
	}
	in.Size, in.Exact, in.Body = max(0, min(planned, h.maxSize)), false, part
	return h.put(c, in)
}

// store saves a raw body of known length, or spools one of unknown length
// (Transfer-Encoding: chunked) to disk first to learn it.
func (h *filesHandler) store(c echo.Context, in objects.PutInput, body io.Reader, size int64) error {
	var stored *fileJSON
	var err error
	if size < 0 {
		stored, err = h.storeSpooled(c, in, body)
	} else {
		in.Size, in.Exact, in.Body = size, true, body
		stored, err = h.put(c, in)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, stored)
}

func (h *filesHandler) put(c echo.Context, in objects.PutInput) (*fileJSON, error) {
	if len(in.Filename) > maxFilename || strings.ContainsRune(in.Filename, 0) {
		return nil, server.NewError(http.StatusBadRequest, "InvalidFilename", "the filename is too long or contains NUL")
	}
	in.ContentType = intake.ContentType(in.ContentType)
	b, err := h.objects.Put(c.Request().Context(), in)
	if err != nil {
		return nil, err
	}
	// Recorded once whole: until then no one but an admin sees the file,
	// and no one has its id.
	if _, identity := h.caller(c); identity != "" {
		if err := h.objects.SetOwner(c.Request().Context(), b.ID, identity); err != nil {
			return nil, err
		}
	}
	c.Response().Header().Set(echo.HeaderLocation, "/files/"+b.ID.String())
	out := toJSON(b)
	return &out, nil
}

// storeSpooled measures a body of unknown length on disk, never in memory,
// then stores it with its exact size.
func (h *filesHandler) storeSpooled(c echo.Context, in objects.PutInput, body io.Reader) (*fileJSON, error) {
	staged, n, err := intake.Stage(c.Request().Context(), h.spool, body, h.maxSize)
	if err != nil {
		return nil, err
	}
	defer staged.Close()
	in.Size, in.Exact, in.Body = n, true, staged
	return h.put(c, in)
}

func readMetadata(part io.Reader) (json.RawMessage, error) {
	raw, err := io.ReadAll(io.LimitReader(part, maxMetadata+1))
	if err != nil {
		return nil, malformedForm(err)
	}
	var obj map[string]any
	if len(raw) > maxMetadata || json.Unmarshal(raw, &obj) != nil || obj == nil {
		return nil, server.NewError(http.StatusBadRequest, "InvalidMetadata", "metadata must be a JSON object of at most 64 KiB")
	}
	return raw, nil
}

func malformedForm(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return objects.ErrIncompleteBody
	}
	return server.NewError(http.StatusBadRequest, "MalformedForm", "the multipart form could not be parsed: "+err.Error())
}

type countingReader struct {
	r io.Reader
	n int64
}

func (cr *countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	cr.n += int64(n)
	return n, err
}
