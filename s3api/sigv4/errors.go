package sigv4

import "net/http"

// Error is an S3-shaped failure: Code is the S3 error code (for example
// SignatureDoesNotMatch), Status the HTTP status to answer with, Message a
// human-readable detail that is safe to show to the client.
type Error struct {
	Code, Message string
	Status        int
	// HeadersNotSigned lists, comma-separated, the x-amz-* headers that
	// were sent but not signed; S3 returns it as an element of the same
	// name. Empty for every other failure.
	HeadersNotSigned string
}

// Error returns "Code: Message".
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// S3 error codes this package returns.
const (
	CodeAccessDenied                  = "AccessDenied"
	CodeInvalidAccessKeyID            = "InvalidAccessKeyId"
	CodeSignatureDoesNotMatch         = "SignatureDoesNotMatch"
	CodeRequestTimeTooSkewed          = "RequestTimeTooSkewed"
	CodeAuthorizationHeaderMalformed  = "AuthorizationHeaderMalformed"
	CodeAuthorizationQueryParamsError = "AuthorizationQueryParametersError"
	CodeInvalidRequest                = "InvalidRequest"
	CodeInvalidArgument               = "InvalidArgument"
	CodeXAmzContentSHA256Mismatch     = "XAmzContentSHA256Mismatch"
	CodeIncompleteBody                = "IncompleteBody"
	CodeInvalidDigest                 = "InvalidDigest"
	CodeBadDigest                     = "BadDigest"
	CodeMalformedTrailerError         = "MalformedTrailerError"
)

// statusOf maps each code above to its HTTP status; the 403s are the ones
// that say "who you are or what you signed is wrong", the rest are 400.
var statusOf = map[string]int{
	CodeAccessDenied:          http.StatusForbidden,
	CodeInvalidAccessKeyID:    http.StatusForbidden,
	CodeSignatureDoesNotMatch: http.StatusForbidden,
	CodeRequestTimeTooSkewed:  http.StatusForbidden,
}

// newError builds an *Error, taking the status from statusOf (400 when absent).
func newError(code, msg string) *Error {
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusBadRequest
	}
	return &Error{Code: code, Message: msg, Status: status}
}
