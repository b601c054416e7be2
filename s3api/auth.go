package s3api

import (
	"errors"
	"io"
	"net/http"
	"net/url"

	"sixfold/s3api/sigv4"
)

// payload is a request body as package sigv4 verifies it: the decoded
// bytes, io.EOF only once every declared digest matched.
type payload interface {
	io.Reader
	// Size is the decoded length, or -1 when unknown.
	Size() int64
	// Digests are valid after io.EOF.
	Digests() (md5 []byte, checksums map[string]string)
}

// bodyOpener opens the verified body of an authenticated request.
type bodyOpener func() (payload, error)

// authenticated is what a verified request carries on to its operation.
type authenticated struct {
	// anonymous is set for a request with no signature at all, served
	// only where a bucket policy grants everyone; accessKey is then "".
	anonymous bool
	accessKey string
	// query is the request's query as the signature was checked against
	// it: operations read this, never r.URL, so they act on what was
	// signed.
	query url.Values
	open  bodyOpener
}

// authenticator verifies a request's signature without reading its body.
// On failure the result is empty. It is a seam for unit tests; New always
// uses SigV4.
type authenticator func(r *http.Request) (authenticated, error)

// newSigV4Authenticator verifies header and presigned SigV4 against creds.
// With anonymous, a request without any signature passes as anonymous,
// with no body: authorize then decides by the bucket's policy.
func newSigV4Authenticator(creds sigv4.Credentials, anonymous bool) authenticator {
	v := &sigv4.Verifier{Credentials: creds}
	return func(r *http.Request) (authenticated, error) {
		if anonymous {
			if q, unsigned, err := sigv4.Unsigned(r); err != nil {
				return authenticated{}, err
			} else if unsigned {
				return authenticated{anonymous: true, query: q, open: noBody}, nil
			}
		}
		auth, err := v.Verify(r)
		if err != nil {
			return authenticated{}, err
		}
		return authenticated{accessKey: auth.AccessKey, query: auth.Query, open: func() (payload, error) {
			p, err := sigv4.NewPayload(r, auth)
			if err != nil {
				return nil, err
			}
			return p, nil
		}}, nil
	}
}

// noBody is the body of an anonymous request: anonymous operations read
// none, and one that tried would be refused.
func noBody() (payload, error) { return nil, s3Error(codeAccessDenied) }

// authError maps a *sigv4.Error to the S3 error it names; nil when err is
// not one. Codes outside errorTable keep sigv4's status.
func authError(err error) *apiError {
	var se *sigv4.Error
	if !errors.As(err, &se) {
		return nil
	}
	e := &apiError{Code: se.Code, Message: se.Message, HeadersNotSigned: se.HeadersNotSigned, cause: err}
	if _, known := errorTable[se.Code]; !known {
		e.status = se.Status
	}
	return e
}

// opActions names the IAM action each dispatched operation needs, as AWS's
// S3 authorization reference names it.
var opActions = map[string]string{
	"ListBuckets":                     "s3:ListAllMyBuckets",
	"CreateBucket":                    "s3:CreateBucket",
	"HeadBucket":                      "s3:ListBucket",
	"DeleteBucket":                    "s3:DeleteBucket",
	"GetBucketLocation":               "s3:GetBucketLocation",
	"ListMultipartUploads":            "s3:ListBucketMultipartUploads",
	"ListObjectsV2":                   "s3:ListBucket",
	"ListObjects":                     "s3:ListBucket",
	"DeleteObjects":                   "s3:DeleteObject",
	"GetBucketVersioning":             "s3:GetBucketVersioning",
	"PutBucketVersioning":             "s3:PutBucketVersioning",
	"ListObjectVersions":              "s3:ListBucketVersions",
	"GetBucketAcl":                    "s3:GetBucketAcl",
	"PutBucketAcl":                    "s3:PutBucketAcl",
	"GetBucketTagging":                "s3:GetBucketTagging",
	"PutBucketTagging":                "s3:PutBucketTagging",
	"DeleteBucketTagging":             "s3:PutBucketTagging",
	"GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
	"PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
	"DeleteBucketLifecycle":           "s3:PutLifecycleConfiguration",
	"GetBucketPolicy":                 "s3:GetBucketPolicy",
	"PutBucketPolicy":                 "s3:PutBucketPolicy",
	"DeleteBucketPolicy":              "s3:DeleteBucketPolicy",
	"UploadPartCopy":                  "s3:PutObject",
	"UploadPart":                      "s3:PutObject",
	"CopyObject":                      "s3:PutObject",
	"PutObject":                       "s3:PutObject",
	"ListParts":                       "s3:ListMultipartUploadParts",
	"GetObjectAcl":                    "s3:GetObjectAcl",
	"PutObjectAcl":                    "s3:PutObjectAcl",
	"GetObjectTagging":                "s3:GetObjectTagging",
	"PutObjectTagging":                "s3:PutObjectTagging",
	"DeleteObjectTagging":             "s3:DeleteObjectTagging",
	"GetObject":                       "s3:GetObject",
	"HeadObject":                      "s3:GetObject",
	"AbortMultipartUpload":            "s3:AbortMultipartUpload",
	"DeleteObject":                    "s3:DeleteObject",
	"CreateMultipartUpload":           "s3:PutObject",
	"CompleteMultipartUpload":         "s3:PutObject",
}

// arn names an S3 resource as policies do.
func arn(bucket, key string) string {
	if bucket == "" {
		return "arn:aws:s3:::*"
	}
	if key == "" {
		return "arn:aws:s3:::" + bucket
	}
	return "arn:aws:s3:::" + bucket + "/" + key
}

// authorize asks Options.Authorize whether the caller may run op on the
// request's target, before anything is read or stored. A copy also needs
// s3:GetObject on its source. An op missing from opActions is denied, so a
// new operation cannot ship unguarded.
func (h *handler) authorize(q *request, who authenticated, op string) error {
	if who.anonymous && !anonymousOps[op] {
		return s3Error(codeAccessDenied)
	}
	if h.authorizeFn == nil && !who.anonymous {
		return nil
	}
	action, ok := opActions[op]
	resource := arn(q.target.bucket, q.target.key)
	if !ok {
		return s3Error(codeAccessDenied)
	}
	if who.anonymous || !h.authorizeFn(who.accessKey, action, resource) {
		if !h.bucketPolicyAllows(q, action, resource) {
			return s3Error(codeAccessDenied)
		}
	}
	if op == "CopyObject" || op == "UploadPartCopy" {
		bucket, key, _, err := parseCopySource(q.r.Header.Get("X-Amz-Copy-Source"))
		if err != nil {
			return err
		}
		if h.authorizeFn != nil && !h.authorizeFn(who.accessKey, "s3:GetObject", arn(bucket, key)) {
			return s3Error(codeAccessDenied)
		}
	}
	return nil
}
