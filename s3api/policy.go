package s3api

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// anonymousOps are the operations an unsigned request may run, when the
// bucket's policy grants everyone their action: reads only, so an
// anonymous request never carries a body the store would keep.
var anonymousOps = map[string]bool{
	"GetObject": true, "HeadObject": true, "ListObjects": true, "ListObjectsV2": true,
	"HeadBucket": true, "GetBucketLocation": true,
}

// bucketPolicyAllows reports whether the target bucket's policy lets
// everyone perform action on resource. Asked only when the caller's own
// policy says no (or there is no caller), so ordinary requests pay no
// extra lookup.
func (h *handler) bucketPolicyAllows(q *request, action, resource string) bool {
	if h.policies == nil || q.target.bucket == "" {
		return false
	}
	b, err := h.backend.HeadBucket(q.r.Context(), q.target.bucket)
	if err != nil || b.Policy == "" {
		return false
	}
	return h.policies.Allows([]byte(b.Policy), q.target.bucket, action, resource)
}

// maxPolicyBytes is S3's limit on a bucket policy.
const maxPolicyBytes = 20 << 10

// getBucketPolicy answers GET /b?policy with the document as stored.
func (h *handler) getBucketPolicy(q *request) (*response, error) {
	if h.policies == nil {
		return nil, s3Error(codeNotImplemented)
	}
	b, err := h.backend.HeadBucket(q.r.Context(), q.target.bucket)
	if err != nil {
		return nil, err
	}
	if b.Policy == "" {
		return nil, s3Error(codeNoSuchBucketPolicy)
	}
	resp := newResponse(http.StatusOK)
	resp.header.Set("Content-Type", "application/json")
	resp.header.Set("Content-Length", strconv.Itoa(len(b.Policy)))
	resp.body = io.NopCloser(strings.NewReader(b.Policy))
	return resp, nil
}

// putBucketPolicy answers PUT /b?policy: the document must be one the
// gateway can enforce in full (BucketPolicies.Validate), or nothing
// changes.
func (h *handler) putBucketPolicy(q *request) (*response, error) {
	if h.policies == nil {
		return nil, s3Error(codeNotImplemented)
	}
	doc, err := readAllLimited(q.openBody, maxPolicyBytes)
	if err != nil {
		return nil, err
	}
	if len(doc) == 0 || doc[0] != '{' {
		return nil, s3Error(codeMalformedPolicy)
	}
	if err := h.policies.Validate(doc, q.target.bucket); err != nil {
		return nil, errorf(codeMalformedPolicy, "%s", err.Error())
	}
	if err := h.backend.PutBucketPolicy(q.r.Context(), q.target.bucket, string(doc)); err != nil {
		return nil, err
	}
	return newResponse(http.StatusNoContent), nil
}

// deleteBucketPolicy answers DELETE /b?policy.
func (h *handler) deleteBucketPolicy(q *request) (*response, error) {
	if h.policies == nil {
		return nil, s3Error(codeNotImplemented)
	}
	if err := h.backend.PutBucketPolicy(q.r.Context(), q.target.bucket, ""); err != nil {
		return nil, err
	}
	return newResponse(http.StatusNoContent), nil
}

type identityKey struct{}

// withIdentity records who a request acts as, for the backend.
func withIdentity(ctx context.Context, identity string) context.Context {
	return context.WithValue(ctx, identityKey{}, identity)
}

// IdentityFrom returns who the request behind ctx acts as (Options.
// Identity of its access key), or "" for an anonymous one. Backends record
// it as the owner of what they create.
func IdentityFrom(ctx context.Context) string {
	id, _ := ctx.Value(identityKey{}).(string)
	return id
}

func (h *handler) identityOf(who authenticated) string {
	if who.anonymous {
		return ""
	}
	if h.identity == nil {
		return who.accessKey
	}
	return h.identity(who.accessKey)
}

// visible reports whether the caller sees bucket b in ListBuckets: it owns
// it, or its policy lets it list it.
func (h *handler) visible(q *request, b Bucket) bool {
	if h.authorizeFn == nil {
		return true
	}
	if b.Owner != "" && b.Owner == h.identityOf(q.who) {
		return true
	}
	return h.authorizeFn(q.who.accessKey, "s3:ListBucket", arn(b.Name, ""))
}

// claimedByOther reports whether bucket exists and belongs to someone
// other than the caller, for CreateBucket's BucketAlreadyExists.
func (h *handler) claimedByOther(q *request) bool {
	b, err := h.backend.HeadBucket(q.r.Context(), q.target.bucket)
	if err != nil {
		return false
	}
	return b.Owner != "" && b.Owner != h.identityOf(q.who)
}
