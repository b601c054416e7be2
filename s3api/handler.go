package s3api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"sixfold/s3api/sigv4"
)

// Options configures the S3 handler. Only Backend and Credentials are
// required.
type Options struct {
	// Backend stores buckets and objects. Required.
	Backend Backend
	// Credentials resolves access keys to secrets for SigV4. Required.
	Credentials sigv4.Credentials
	// Region is the region GetBucketLocation and HeadBucket report.
	// Default "us-east-1". Signatures are accepted whatever region their
	// credential scope names (a client configured for eu-west-1 signs with
	// it), since sixfold is one region under any name.
	Region string
	// Domain, when set, enables virtual-host style: a request whose Host is
	// <bucket>.<Domain> (any port) names that bucket. Path style always
	// works.
	Domain string
	// ReservedBuckets are names served by other doors on the same port
	// ("files", "health", "metrics", "admin"); CreateBucket refuses them
	// with InvalidBucketName.
	ReservedBuckets []string
	// Logger receives every InternalError with its cause, and aborted
	// downloads. The zero value discards.
	Logger zerolog.Logger
	// RequestID names a request; the value is sent as x-amz-request-id and
	// in error documents. Default: the X-Request-Id header already set on
	// the response (by a middleware) or sent by the client, else a random
	// id.
	RequestID func(r *http.Request) string
	// MaxObjectSize bounds a single PUT (and the declared size of a part).
	// Default 10 GiB, sixfold's object limit.
	MaxObjectSize int64
	// Allow, when set, is asked right after authentication whether the
	// request may go on: accessKey is the verified access key, or "" when
	// authentication failed. false answers SlowDown (503) instead of the
	// operation or the authentication error, so a caller over its rate
	// cannot keep guessing secrets either. A rate limiter, typically.
	Allow func(r *http.Request, accessKey string) bool
	// Authorize, when set, decides whether accessKey may perform action
	// (an IAM action such as s3:GetObject) on resource (an S3 ARN); false
	// answers AccessDenied before the operation runs. nil allows every
	// authenticated request.
	Authorize func(accessKey, action, resource string) bool
	// Identity names who accessKey acts as (a user): CreateBucket records
	// it as the bucket's owner, ListBuckets shows a caller the buckets it
	// owns. Backends read it with IdentityFrom. nil: the access key itself.
	Identity func(accessKey string) string
	// BucketPolicies, when set, enables Put/Get/DeleteBucketPolicy and
	// grants what a bucket's policy gives everyone, to signed and
	// unsigned (anonymous) requests alike. Without it, every unsigned
	// request is refused.
	BucketPolicies BucketPolicies
	// AuthFailures, when set, throttles credential guessing: a request
	// from an address, or claiming an access key, that failed too often
	// gets SlowDown with Retry-After before its signature is checked, and
	// every InvalidAccessKeyId or SignatureDoesNotMatch is reported.
	AuthFailures AuthFailures
}

// AuthFailures is what Options.AuthFailures needs (admission.AuthFailures
// is one).
type AuthFailures interface {
	Blocked(remoteAddr, accessKey string) (bool, time.Duration)
	Failed(remoteAddr, accessKey string)
}

// BucketPolicies reads bucket policy documents (the IAM subset with
// Principal "*").
type BucketPolicies interface {
	// Validate refuses a document that is not a policy bucket may hold.
	Validate(doc []byte, bucket string) error
	// Allows reports whether doc, bucket's stored policy, lets everyone
	// perform action on resource.
	Allows(doc []byte, bucket, action, resource string) bool
}

// defaultMaxObjectSize is sixfold's object size limit.
const defaultMaxObjectSize = 10 << 30

// handler serves the S3 API. It holds no mutable state.
type handler struct {
	backend       Backend
	auth          authenticator
	region        string
	domain        string
	reserved      map[string]bool
	log           zerolog.Logger
	requestID     func(r *http.Request) string
	maxObjectSize int64
	allow         func(r *http.Request, accessKey string) bool
	authorizeFn   func(accessKey, action, resource string) bool
	identity      func(accessKey string) string
	policies      BucketPolicies
	failures      AuthFailures
}

// New returns the S3 API as an http.Handler. Every request is
// authenticated with SigV4 (header or presigned) before it is routed. It
// panics when Backend or Credentials is missing, a wiring mistake that
// would otherwise surface on the first request.
func New(opts Options) http.Handler {
	if opts.Backend == nil || opts.Credentials == nil {
		panic("s3api.New: Options.Backend and Options.Credentials are required")
	}
	return newHandler(opts)
}

// newHandler applies the defaults of opts.
func newHandler(opts Options) *handler {
	h := &handler{
		backend:       opts.Backend,
		region:        opts.Region,
		domain:        opts.Domain,
		reserved:      map[string]bool{},
		log:           opts.Logger,
		requestID:     opts.RequestID,
		maxObjectSize: opts.MaxObjectSize,
		allow:         opts.Allow,
		authorizeFn:   opts.Authorize,
		identity:      opts.Identity,
		policies:      opts.BucketPolicies,
		failures:      opts.AuthFailures,
	}
	if h.region == "" {
		h.region = "us-east-1"
	}
	if h.maxObjectSize <= 0 {
		h.maxObjectSize = defaultMaxObjectSize
	}
	for _, name := range opts.ReservedBuckets {
		h.reserved[name] = true
	}
	h.auth = newSigV4Authenticator(opts.Credentials, opts.BucketPolicies != nil)
	return h
}

// request is one S3 request as the operations see it.
type request struct {
	r      *http.Request
	id     string
	target target
	// query and openBody are set once authenticated: the query as it was
	// verified, and the verified body.
	query    url.Values
	openBody bodyOpener
	who      authenticated
}

// opFunc is one S3 operation.
type opFunc func(h *handler, q *request) (*response, error)

// operations holds the operations the table in router.go can name.
var operations = map[string]opFunc{
	"ListBuckets":                     (*handler).listBuckets,
	"CreateBucket":                    (*handler).createBucket,
	"HeadBucket":                      (*handler).headBucket,
	"DeleteBucket":                    (*handler).deleteBucket,
	"GetBucketLocation":               (*handler).getBucketLocation,
	"ListObjectsV2":                   (*handler).listObjectsV2,
	"ListObjects":                     (*handler).listObjectsV1,
	"DeleteObjects":                   (*handler).deleteObjects,
	"PutObject":                       (*handler).putObject,
	"CopyObject":                      (*handler).copyObject,
	"GetObject":                       (*handler).getObject,
	"HeadObject":                      (*handler).headObject,
	"DeleteObject":                    (*handler).deleteObject,
	"CreateMultipartUpload":           (*handler).createMultipartUpload,
	"UploadPart":                      (*handler).uploadPart,
	"CompleteMultipartUpload":         (*handler).completeMultipartUpload,
	"AbortMultipartUpload":            (*handler).abortMultipartUpload,
	"ListParts":                       (*handler).listParts,
	"ListMultipartUploads":            (*handler).listMultipartUploads,
	"UploadPartCopy":                  (*handler).uploadPartCopy,
	"GetBucketVersioning":             (*handler).getBucketVersioning,
	"PutBucketVersioning":             (*handler).putBucketVersioning,
	"ListObjectVersions":              (*handler).listObjectVersions,
	"GetBucketAcl":                    (*handler).getBucketACL,
	"PutBucketAcl":                    (*handler).putBucketACL,
	"GetObjectAcl":                    (*handler).getObjectACL,
	"PutObjectAcl":                    (*handler).putObjectACL,
	"GetBucketTagging":                (*handler).getBucketTagging,
	"PutBucketTagging":                (*handler).putBucketTagging,
	"DeleteBucketTagging":             (*handler).deleteBucketTagging,
	"GetObjectTagging":                (*handler).getObjectTagging,
	"PutObjectTagging":                (*handler).putObjectTagging,
	"DeleteObjectTagging":             (*handler).deleteObjectTagging,
	"GetBucketLifecycleConfiguration": (*handler).getBucketLifecycle,
	"PutBucketLifecycleConfiguration": (*handler).putBucketLifecycle,
	"DeleteBucketLifecycle":           (*handler).deleteBucketLifecycle,
	"GetBucketPolicy":                 (*handler).getBucketPolicy,
	"PutBucketPolicy":                 (*handler).putBucketPolicy,
	"DeleteBucketPolicy":              (*handler).deleteBucketPolicy,
}

// ServeHTTP authenticates, routes and runs one request, then writes its
// answer.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := &request{r: r, id: h.newRequestID(w, r)}
	w.Header().Set("x-amz-request-id", q.id)
	resp, err := h.serve(q)
	h.write(w, q, resp, err)
}

// serve runs the steps that can fail before an operation answers.
func (h *handler) serve(q *request) (*response, error) {
	if headerBytes(q.r.Header) > maxHeaderBytes {
		return nil, s3Error(codeHeadersTooLarge)
	}
	claimed := ""
	if h.failures != nil {
		claimed = sigv4.ClaimedAccessKey(q.r)
		if blocked, wait := h.failures.Blocked(q.r.RemoteAddr, claimed); blocked {
			return nil, slowDown(wait)
		}
	}
	who, err := h.auth(q.r)
	if err != nil && h.failures != nil && guessed(err) {
		h.failures.Failed(q.r.RemoteAddr, claimed)
	}
	if h.allow != nil && !h.allow(q.r, who.accessKey) {
		return nil, s3Error(codeSlowDown)
	}
	if err != nil {
		return nil, err
	}
	q.query, q.openBody = who.query, who.open
	q.who = who
	q.r = q.r.WithContext(withIdentity(q.r.Context(), h.identityOf(who)))
	if q.target, err = resolveTarget(q.r, h.domain); err != nil {
		return nil, err
	}
	name := dispatch(q.r.Method, q.target.level(), q.query, q.r.Header)
	op := operations[name]
	if op == nil && who.anonymous {
		// Anonymous callers learn nothing of what is implemented.
		return nil, s3Error(codeAccessDenied)
	}
	if op == nil {
		return nil, s3Error(codeNotImplemented)
	}
	if err := h.authorize(q, who, name); err != nil {
		return nil, err
	}
	return op(h, q)
}

// maxHeaderBytes bounds a request's header fields (names and values, not
// the request line, which carries keys of up to 1024 bytes): S3's own
// limit, and plenty for SigV4 plus 2 KiB of user metadata.
const maxHeaderBytes = 8 << 10

func headerBytes(h http.Header) int {
	n := 0
	for name, values := range h {
		for _, v := range values {
			n += len(name) + len(v) + 4 // ": " and CRLF
		}
	}
	return n
}

// newRequestID applies Options.RequestID or its default.
func (h *handler) newRequestID(w http.ResponseWriter, r *http.Request) string {
	if h.requestID != nil {
		return h.requestID(r)
	}
	if id := w.Header().Get("X-Request-Id"); id != "" {
		return id
	}
	if id := r.Header.Get("X-Request-Id"); id != "" {
		return id
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// guessed reports whether an authentication error is what guessing a key
// or a secret produces.
func guessed(err error) bool {
	var se *sigv4.Error
	return errors.As(err, &se) && (se.Code == sigv4.CodeInvalidAccessKeyID || se.Code == sigv4.CodeSignatureDoesNotMatch)
}

// slowDown is SlowDown asking the client to wait wait.
func slowDown(wait time.Duration) *apiError {
	e := errorf(codeSlowDown, "Too many failed authentications from this address or for this access key; retry later.")
	e.header = http.Header{"Retry-After": {strconv.Itoa(max(1, int(math.Ceil(wait.Seconds()))))}}
	return e
}
