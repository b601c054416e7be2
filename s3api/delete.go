package s3api

import (
	"net/http"
)

// maxDeleteObjects is S3's limit on keys in one DeleteObjects.
const maxDeleteObjects = 1000

// deleteObject answers DELETE /b/k[?versionId=V]: 204 whether or not the
// key existed, naming the delete marker it made or the version it removed.
func (h *handler) deleteObject(q *request) (*response, error) {
	v, err := versionID(q)
	if err != nil {
		return nil, err
	}
	del, err := h.backend.DeleteObject(q.r.Context(), q.target.bucket, q.target.key, v)
	if err != nil {
		return nil, err
	}
	resp := newResponse(http.StatusNoContent)
	setVersionHeader(resp.header, del.VersionID)
	if del.DeleteMarker {
		resp.header.Set("x-amz-delete-marker", "true")
	}
	return resp, nil
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
	var del Deleted
	if err == nil {
		del, err = h.backend.DeleteObject(q.r.Context(), q.target.bucket, obj.Key, obj.VersionID)
	}
	if err != nil {
		e := toError(err)
		h.logInternal(q, e)
		doc.Errors = append(doc.Errors, deleteError{Key: obj.Key, VersionID: obj.VersionID, Code: e.Code, Message: e.Message})
		return
	}
	if quiet {
		return
	}
	entry := deletedEntry{Key: obj.Key, VersionID: obj.VersionID}
	if del.DeleteMarker {
		entry.DeleteMarker, entry.DeleteMarkerVersionID = true, del.VersionID
	}
	doc.Deleted = append(doc.Deleted, entry)
}

// checkObjectKey validates a key that must be present.
func checkObjectKey(key string) error {
	if key == "" {
		return errorf(codeInvalidArgument, "Object key must not be empty")
	}
	return checkKey(key)
}
