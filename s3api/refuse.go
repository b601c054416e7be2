package s3api

import "net/http"

// WriteError answers r with an S3 error document of code, one of S3's
// codes such as AccessDenied or SlowDown, with its usual status and
// message. It is for layers in front of the handler (a network
// allowlist, say) whose refusals S3 clients must still understand. The
// request id is the X-Request-Id already on the response or the request,
// else a random one. A code S3 does not define answers 500.
func WriteError(w http.ResponseWriter, r *http.Request, code string) {
	h := &handler{}
	q := &request{r: r, id: h.newRequestID(w, r)}
	w.Header().Set("x-amz-request-id", q.id)
	h.writeError(w, q, s3Error(code))
}
