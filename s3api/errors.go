package s3api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// S3 error codes this door answers with.
const (
	codeAccessDenied            = "AccessDenied"
	codeACLNotSupported         = "AccessControlListNotSupported"
	codeAuthQueryParams         = "AuthorizationQueryParametersError"
	codeIllegalVersioning       = "IllegalVersioningConfigurationException"
	codeInvalidTag              = "InvalidTag"
	codeMethodNotAllowed        = "MethodNotAllowed"
	codeNoSuchTagSet            = "NoSuchTagSet"
	codeNoSuchLifecycle         = "NoSuchLifecycleConfiguration"
	codeNoSuchVersion           = "NoSuchVersion"
	codeBadDigest               = "BadDigest"
	codeBucketAlreadyOwnedByYou = "BucketAlreadyOwnedByYou"
	codeBucketAlreadyExists     = "BucketAlreadyExists"
	codeNoSuchBucketPolicy      = "NoSuchBucketPolicy"
	codeMalformedPolicy         = "MalformedPolicy"
	codeBucketNotEmpty          = "BucketNotEmpty"
	codeEntityTooLarge          = "EntityTooLarge"
	codeEntityTooSmall          = "EntityTooSmall"
	codeIncompleteBody          = "IncompleteBody"
	codeInternalError           = "InternalError"
	codeInvalidAccessKeyID      = "InvalidAccessKeyId"
	codeInvalidArgument         = "InvalidArgument"
	codeInvalidBucketName       = "InvalidBucketName"
	codeInvalidDigest           = "InvalidDigest"
	codeInvalidPart             = "InvalidPart"
	codeInvalidPartNumber       = "InvalidPartNumber"
	codeInvalidPartOrder        = "InvalidPartOrder"
	codeInvalidRange            = "InvalidRange"
	codeInvalidRequest          = "InvalidRequest"
	codeInvalidURI              = "InvalidURI"
	codeKeyTooLong              = "KeyTooLongError"
	codeMalformedXML            = "MalformedXML"
	codeMaxMessageLength        = "MaxMessageLengthExceeded"
	codeMetadataTooLarge        = "MetadataTooLarge"
	codeMissingContentLength    = "MissingContentLength"
	codeHeadersTooLarge         = "RequestHeaderSectionTooLarge"
	codeNoSuchBucket            = "NoSuchBucket"
	codeNoSuchKey               = "NoSuchKey"
	codeNoSuchUpload            = "NoSuchUpload"
	codeNotImplemented          = "NotImplemented"
	codePreconditionFailed      = "PreconditionFailed"
	codeRequestTimeTooSkewed    = "RequestTimeTooSkewed"
	codeServiceUnavailable      = "ServiceUnavailable"
	codeSignatureDoesNotMatch   = "SignatureDoesNotMatch"
	codeSlowDown                = "SlowDown"
	codeXAmzContentSHA256       = "XAmzContentSHA256Mismatch"
)

// errorSpec is a code's HTTP status and default message.
type errorSpec struct {
	status  int
	message string
}

// errorTable gives every code its status and default message.
var errorTable = map[string]errorSpec{
	codeAccessDenied:    {http.StatusForbidden, "Access Denied"},
	codeACLNotSupported: {http.StatusBadRequest, "The bucket does not allow ACLs: every bucket and object is private to the store's owner."},
	// S3 answers a presigned URL's bad X-Amz-* parameters with 403.
	codeAuthQueryParams:         {http.StatusForbidden, "Error parsing the X-Amz-Credential parameter."},
	codeIllegalVersioning:       {http.StatusBadRequest, "The versioning configuration specified in the request is invalid."},
	codeInvalidTag:              {http.StatusBadRequest, "The tag provided was not a valid tag."},
	codeMethodNotAllowed:        {http.StatusMethodNotAllowed, "The specified method is not allowed against this resource."},
	codeNoSuchTagSet:            {http.StatusNotFound, "The TagSet does not exist"},
	codeNoSuchLifecycle:         {http.StatusNotFound, "The lifecycle configuration does not exist"},
	codeNoSuchVersion:           {http.StatusNotFound, "The specified version does not exist."},
	codeBadDigest:               {http.StatusBadRequest, "The Content-MD5 or checksum you specified did not match what we received."},
	codeBucketAlreadyOwnedByYou: {http.StatusConflict, "Your previous request to create the named bucket succeeded and you already own it."},
	codeBucketNotEmpty:          {http.StatusConflict, "The bucket you tried to delete is not empty."},
	codeBucketAlreadyExists:     {http.StatusConflict, "The requested bucket name is not available. Please select a different name and try again."},
	codeNoSuchBucketPolicy:      {http.StatusNotFound, "The bucket policy does not exist"},
	codeMalformedPolicy:         {http.StatusBadRequest, "Policies must be valid JSON and the first byte must be '{'"},
	codeEntityTooLarge:          {http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed object size."},
	codeEntityTooSmall:          {http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed object size."},
	codeIncompleteBody:          {http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header."},
	codeInternalError:           {http.StatusInternalServerError, "We encountered an internal error. Please try again."},
	codeInvalidAccessKeyID:      {http.StatusForbidden, "The AWS access key Id you provided does not exist in our records."},
	codeInvalidArgument:         {http.StatusBadRequest, "Invalid Argument"},
	codeInvalidBucketName:       {http.StatusBadRequest, "The specified bucket is not valid."},
	codeInvalidDigest:           {http.StatusBadRequest, "The Content-MD5 or checksum you specified is not valid."},
	codeInvalidPart:             {http.StatusBadRequest, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."},
	codeInvalidPartNumber:       {http.StatusRequestedRangeNotSatisfiable, "The requested partnumber is not satisfiable"},
	codeInvalidPartOrder:        {http.StatusBadRequest, "The list of parts was not in ascending order. The parts list must be specified in order by part number."},
	codeInvalidRange:            {http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable"},
	codeInvalidRequest:          {http.StatusBadRequest, "Invalid Request"},
	codeInvalidURI:              {http.StatusBadRequest, "Couldn't parse the specified URI."},
	codeKeyTooLong:              {http.StatusBadRequest, "Your key is too long"},
	codeMalformedXML:            {http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema."},
	codeMaxMessageLength:        {http.StatusBadRequest, "Your request was too big."},
	codeMetadataTooLarge:        {http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size."},
	codeMissingContentLength:    {http.StatusLengthRequired, "You must provide the Content-Length HTTP header."},
	codeHeadersTooLarge:         {http.StatusBadRequest, "Your request header section exceeds the maximum allowed size (8 KiB)."},
	codeNoSuchBucket:            {http.StatusNotFound, "The specified bucket does not exist"},
	codeNoSuchKey:               {http.StatusNotFound, "The specified key does not exist."},
	codeNoSuchUpload:            {http.StatusNotFound, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."},
	codeNotImplemented:          {http.StatusNotImplemented, "A header or query you provided requested a function that is not implemented."},
	codePreconditionFailed:      {http.StatusPreconditionFailed, "At least one of the pre-conditions you specified did not hold"},
	codeRequestTimeTooSkewed:    {http.StatusForbidden, "The difference between the request time and the server's time is too large."},
	codeServiceUnavailable:      {http.StatusServiceUnavailable, "Service is unable to handle request."},
	codeSignatureDoesNotMatch:   {http.StatusForbidden, "The request signature we calculated does not match the signature you provided."},
	codeSlowDown:                {http.StatusServiceUnavailable, "Please reduce your request rate."},
	codeXAmzContentSHA256:       {http.StatusBadRequest, "The provided 'x-amz-content-sha256' header does not match what was computed."},
}

// apiError is an S3 error answer: a code from errorTable and the message sent
// to the client. cause, when set, is what is logged for an InternalError.
type apiError struct {
	Code    string
	Message string
	// HeadersNotSigned names the unsigned x-amz-* headers of an
	// AccessDenied, as S3 does; empty otherwise.
	HeadersNotSigned string
	// header holds response headers the error carries (a delete marker's
	// x-amz-delete-marker and x-amz-version-id).
	header http.Header
	status int // overrides the table, for codes it does not hold
	cause  error
}

// Error implements error.
func (e *apiError) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.cause)
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *apiError) Unwrap() error { return e.cause }

// Status is the HTTP status of the error.
func (e *apiError) Status() int {
	if e.status != 0 {
		return e.status
	}
	if spec, ok := errorTable[e.Code]; ok {
		return spec.status
	}
	return http.StatusInternalServerError
}

// errorf builds an Error with a formatted message.
func errorf(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// s3Error builds an Error with the table's default message.
func s3Error(code string) *apiError {
	return &apiError{Code: code, Message: errorTable[code].message}
}

// internalError wraps an unexpected cause; it is logged when written.
func internalError(cause error) *apiError {
	return codeWithCause(codeInternalError, cause)
}

// codeWithCause is code with its default message, keeping what caused it.
func codeWithCause(code string, cause error) *apiError {
	e := s3Error(code)
	e.cause = cause
	return e
}

// sentinelCodes maps Backend sentinels, and a body cut short, to S3 codes.
var sentinelCodes = []struct {
	err  error
	code string
}{
	{ErrNoSuchBucket, codeNoSuchBucket},
	{ErrBucketAlreadyOwnedByYou, codeBucketAlreadyOwnedByYou},
	{ErrBucketNotEmpty, codeBucketNotEmpty},
	{ErrNoSuchKey, codeNoSuchKey},
	{ErrNoSuchVersion, codeNoSuchVersion},
	{ErrMethodNotAllowed, codeMethodNotAllowed},
	{ErrNoSuchUpload, codeNoSuchUpload},
	{ErrInvalidPart, codeInvalidPart},
	{ErrEntityTooSmall, codeEntityTooSmall},
	{ErrEntityTooLarge, codeEntityTooLarge},
	{ErrPreconditionFailed, codePreconditionFailed},
	{ErrIncompleteBody, codeIncompleteBody},
	{ErrServiceUnavailable, codeServiceUnavailable},
	{ErrSlowDown, codeSlowDown},
	{io.ErrUnexpectedEOF, codeIncompleteBody},
}

// toError turns any error into the S3 error to answer with: an *apiError as
// is, an authentication failure or a Backend sentinel by its code, a
// cancelled request as a retryable ServiceUnavailable, anything else as an
// InternalError that keeps its cause for the log.
func toError(err error) *apiError {
	var e *apiError
	if errors.As(err, &e) {
		return e
	}
	if e := authError(err); e != nil {
		return e
	}
	for _, s := range sentinelCodes {
		if errors.Is(err, s.err) {
			return codeWithCause(s.code, err)
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		e := codeWithCause(codeServiceUnavailable, err)
		e.Message = "The request was cancelled or timed out."
		return e
	}
	return internalError(err)
}
