package s3api

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// response is what an operation answers with. Exactly one of xml and body
// is used: xml is marshalled as the document, body is streamed (and
// closed) with its length already in header. Neither means an empty body.
type response struct {
	status int
	header http.Header
	xml    any
	body   io.ReadCloser
}

// newResponse returns an empty response with status.
func newResponse(status int) *response {
	return &response{status: status, header: http.Header{}}
}

// xmlResponse returns a 200 carrying doc.
func xmlResponse(doc any) *response {
	resp := newResponse(http.StatusOK)
	resp.xml = doc
	return resp
}

// write sends resp or, when err is set, the S3 error. It is the only place
// that writes to w.
func (h *handler) write(w http.ResponseWriter, q *request, resp *response, err error) {
	if err != nil {
		h.writeError(w, q, toError(err))
		return
	}
	for name, values := range resp.header {
		w.Header()[name] = values
	}
	switch {
	case resp.body != nil:
		h.writeBody(w, q, resp)
	case resp.xml != nil:
		h.writeXML(w, q, resp.status, resp.xml)
	default:
		w.WriteHeader(resp.status)
	}
}

// writeXML marshals doc with the XML declaration. A HEAD gets the headers
// only.
func (h *handler) writeXML(w http.ResponseWriter, q *request, status int, doc any) {
	body, err := marshalXML(doc)
	if err != nil {
		h.writeError(w, q, internalError(err))
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if q.r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// marshalXML renders doc after the XML declaration.
func marshalXML(doc any) ([]byte, error) {
	if a, ok := doc.(xmlAppender); ok {
		return a.appendXML([]byte(xml.Header)), nil
	}
	body, err := xml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), body...), nil
}

// writeBody streams an object body. Once the status is out an error can
// only be logged and the connection aborted, so the client sees a short
// body rather than a complete-looking wrong one.
func (h *handler) writeBody(w http.ResponseWriter, q *request, resp *response) {
	defer resp.body.Close()
	w.WriteHeader(resp.status)
	want, _ := strconv.ParseInt(resp.header.Get("Content-Length"), 10, 64)
	n, err := io.Copy(w, resp.body)
	if err == nil && n != want {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		h.log.Error().Err(err).Str("request_id", q.id).Int64("sent", n).Int64("want", want).
			Msg("s3api: object body failed after the response started")
		panic(http.ErrAbortHandler)
	}
}

// errorDoc is the S3 <Error> document.
type errorDoc struct {
	XMLName          xml.Name `xml:"Error"`
	Code             string   `xml:"Code"`
	Message          string   `xml:"Message"`
	HeadersNotSigned string   `xml:"HeadersNotSigned,omitempty"`
	Resource         string   `xml:"Resource"`
	RequestID        string   `xml:"RequestId"`
}

// writeError renders e, logging the cause of an InternalError. HEAD
// answers carry no body.
func (h *handler) writeError(w http.ResponseWriter, q *request, e *apiError) {
	h.logInternal(q, e)
	for name, values := range e.header {
		w.Header()[name] = values
	}
	status := e.Status()
	if q.r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	doc := errorDoc{Code: e.Code, Message: e.Message, HeadersNotSigned: e.HeadersNotSigned, Resource: q.r.URL.Path, RequestID: q.id}
	h.writeXML(w, q, status, doc)
}

// logInternal logs an InternalError with its cause.
func (h *handler) logInternal(q *request, e *apiError) {
	if e.Code == codeInternalError {
		h.log.Error().Err(errors.Unwrap(e)).Str("request_id", q.id).
			Str("method", q.r.Method).Str("path", q.r.URL.Path).Msg("s3api: internal error")
	}
}
