package s3api

import (
	"net/http"
)

// maxDeleteObjects is S3's limit on keys in one DeleteObjects.
const maxDeleteObjects = 1000

// deleteObject answers DELETE /b/k: 204 whether or not the key existed.
func (h *handler) deleteObject(q *request) (*response, error) {
	if err := h.backend.DeleteObject(q.r.Context(), q.target.bucket, q.target.key); err != nil {
		return nil, err
	}
	return newResponse(http.StatusNoContent), nil
}

// deleteObjects answers POST /b?delete. S3 demands Content-MD5 or an
// x-amz-checksum-* header on this request; sixfold accepts either, which
// the verified body checks, or neither (the SigV4 payload hash already
// protects a signed body). Each key's failure is reported in the document,
// which is 200 as long as the request itself was valid.
func (h *handler) deleteObjects(q *request) (*response, error) {
	req, err := parseDeleteRequest(q.openBody)
	if err != nil {
		return nil, err
	}
	if _, err := h.backend.HeadBucket(q.r.Context(), q.target.bucket); err != nil {
		return nil, err
	}
	doc := deleteResult{}
	for _, obj := range req.Objects {
		h.deleteOne(q, obj, req.Quiet, &doc)
	}
	return xmlResponse(doc), nil
}

// parseDeleteRequest reads and checks a Delete document: 1..1000 objects.
func parseDeleteRequest(open bodyOpener) (deleteRequest, error) {
	var req deleteRequest
	if err := readXML(open, maxRequestXML, &req); err != nil {
		return req, err
	}
	if len(req.Objects) == 0 || len(req.Objects) > maxDeleteObjects {
		return req, s3Error(codeMalformedXML)
	}
	return req, nil
}

// deleteOne deletes one key of a DeleteObjects and records the outcome;
// quiet mode reports failures only.
func (h *handler) deleteOne(q *request, obj deleteObject, quiet bool, doc *deleteResult) {
	err := checkObjectKey(obj.Key)
	if err == nil && obj.VersionID != "" && obj.VersionID != "null" {
		err = errorf(codeNotImplemented, "Versioning is not implemented")
	}
	if err == nil {
		err = h.backend.DeleteObject(q.r.Context(), q.target.bucket, obj.Key)
	}
	if err != nil {
		e := toError(err)
		h.logInternal(q, e)
		doc.Errors = append(doc.Errors, deleteError{Key: obj.Key, Code: e.Code, Message: e.Message})
		return
	}
	if !quiet {
		doc.Deleted = append(doc.Deleted, deletedEntry{Key: obj.Key})
	}
}

// checkObjectKey validates a key that must be present.
func checkObjectKey(key string) error {
	if key == "" {
		return errorf(codeInvalidArgument, "Object key must not be empty")
	}
	return checkKey(key)
}
