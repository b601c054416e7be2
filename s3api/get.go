package s3api

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"sixfold/s3api/byterange"
)

// objectView is the part of an object a GET or HEAD serves.
type objectView struct {
	status        int // 200 or 206
	start, length int64
	contentRange  string    // set with 206
	part          *PartInfo // set for ?partNumber on a multipart object
	partsCount    int       // set with part
}

// headObject answers HEAD /b/k: the headers GET would send, with an
// explicit Content-Length (net/http adds none to HEAD answers).
func (h *handler) headObject(q *request) (*response, error) {
	info, view, resp, err := h.prepareRead(q, false)
	if resp != nil || err != nil {
		return resp, err
	}
	return objectHeaders(q, info, view), nil
}

// getObject answers GET /b/k, streaming the selected bytes.
func (h *handler) getObject(q *request) (*response, error) {
	info, view, resp, err := h.prepareRead(q, true)
	if resp != nil || err != nil {
		return resp, err
	}
	resp = objectHeaders(q, info, view)
	if view.length == 0 {
		return resp, nil
	}
	resp.body, err = h.backend.GetObject(q.r.Context(), info, view.start, view.length)
	return resp, err
}

// prepareRead looks the object up (for a GET, with where its bytes are),
// evaluates the conditional headers and selects the bytes to serve. A
// non-nil response (304) is the answer.
func (h *handler) prepareRead(q *request, forBody bool) (ObjectInfo, objectView, *response, error) {
	span := headSpan(q)
	if forBody {
		span = readSpan(q)
	}
	info, err := h.readVersion(q, span)
	if err != nil {
		return info, objectView{}, nil, err
	}
	switch readPreconditions(q.r.Header, "").evaluate(info.ETag, info.LastModified) {
	case http.StatusPreconditionFailed:
		return info, objectView{}, nil, s3Error(codePreconditionFailed)
	case http.StatusNotModified:
		return info, objectView{}, notModified(info), nil
	}
	view, err := selectView(q, info)
	return info, view, nil, err
}

// notModified is the 304 answer, which carries the validators.
func notModified(info ObjectInfo) *response {
	resp := newResponse(http.StatusNotModified)
	resp.header.Set("ETag", quoteETag(info.ETag))
	resp.header.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	setVersionHeader(resp.header, info.VersionID)
	return resp
}

// selectView applies ?partNumber or the Range header; they exclude each
// other.
func selectView(q *request, info ObjectInfo) (objectView, error) {
	whole := objectView{status: http.StatusOK, length: info.Size}
	rangeHeader := q.r.Header.Get("Range")
	if q.query.Has("partNumber") {
		if rangeHeader != "" {
			return whole, errorf(codeInvalidRequest, "Cannot specify both Range header and partNumber query parameter")
		}
		return partView(q.query.Get("partNumber"), info)
	}
	rng, ok, err := parseRange(rangeHeader, info.Size)
	if !ok || err != nil {
		return whole, err
	}
	return objectView{status: http.StatusPartialContent, start: rng.Start, length: rng.Length,
		contentRange: rng.ContentRange(info.Size)}, nil
}

// partView selects part n of an object. An object stored by a single PUT
// is its own part 1 (served whole with 200); any other number does not
// exist.
func partView(number string, info ObjectInfo) (objectView, error) {
	n, err := parsePartNumber(number)
	if err != nil {
		return objectView{}, err
	}
	if len(info.Parts) == 0 && n == 1 {
		return objectView{status: http.StatusOK, length: info.Size}, nil
	}
	if n > len(info.Parts) {
		return objectView{}, s3Error(codeInvalidPartNumber)
	}
	view := objectView{status: http.StatusPartialContent, part: &info.Parts[n-1], partsCount: len(info.Parts)}
	for _, p := range info.Parts[:n-1] {
		view.start += p.Size
	}
	view.length = view.part.Size
	if view.length > 0 {
		view.contentRange = byterange.Range{Start: view.start, Length: view.length}.ContentRange(info.Size)
	}
	return view, nil
}

// parsePartNumber reads a part number, 1..10000.
func parsePartNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxPartNumber {
		return 0, errorf(codeInvalidArgument, "Part number must be an integer between 1 and %d, inclusive", maxPartNumber)
	}
	return n, nil
}

// objectHeaders builds the answer's headers for the selected view.
func objectHeaders(q *request, info ObjectInfo, view objectView) *response {
	resp := newResponse(view.status)
	hdr := resp.header
	writeMeta(hdr, info.Meta)
	hdr.Set("Content-Length", strconv.FormatInt(view.length, 10))
	hdr.Set("ETag", quoteETag(info.ETag))
	hdr.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	hdr.Set("Accept-Ranges", "bytes")
	setIf(hdr, HeaderObjectID, info.ID)
	setVersionHeader(hdr, info.VersionID)
	setTaggingCount(hdr, info.Meta.Tags)
	setIf(hdr, "Content-Range", view.contentRange)
	if view.part != nil {
		hdr.Set("x-amz-mp-parts-count", strconv.Itoa(view.partsCount))
	}
	if checksumMode(q.r) {
		setReadChecksums(hdr, viewChecksums(info, view))
	}
	applyOverrides(hdr, q)
	return resp
}

// viewChecksums are the checksums that describe exactly the bytes served:
// the object's for a whole object, the part's for a part, none for a range.
func viewChecksums(info ObjectInfo, view objectView) map[string]string {
	switch {
	case view.part != nil:
		return view.part.Checksums
	case view.status == http.StatusOK:
		return info.Checksums
	default:
		return nil
	}
}

// readSpan is what a GET selects before the version's size and parts are
// known: a ?partNumber's part, or a plain first-last or first- range; the
// whole version for no range, a suffix range, or anything the GET refuses
// or ignores.
func readSpan(q *request) ReadSpan {
	header := q.r.Header.Get("Range")
	if q.query.Has("partNumber") {
		n, err := parsePartNumber(q.query.Get("partNumber"))
		if err != nil || header != "" {
			return WholeVersion
		}
		span := WholeVersion
		span.Part = int32(n)
		return span
	}
	if header == "" || strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(header, "bytes=")), "-") {
		return WholeVersion
	}
	r, ok, err := byterange.Parse(header, math.MaxInt64)
	if !ok || err != nil {
		return WholeVersion
	}
	return ReadSpan{From: r.Start, To: r.Start + r.Length}
}

// headSpan is what of a version a HEAD asks for: no bytes, unless it names
// a part (?partNumber), whose size and place the answer states. A HEAD of
// a multipart object then costs a backend the one lookup a GET does,
// without the part list.
func headSpan(q *request) ReadSpan {
	if span := readSpan(q); span.Part > 0 {
		return span
	}
	return NoBytes
}
