// Package s3api is sixfold's S3 door: routing, authentication (through
// package sigv4), S3 error codes, XML bodies, ranges and conditional
// requests. It knows HTTP, XML and SigV4 and nothing of gRPC or PostgreSQL:
// storage is reached through the small Backend interface declared in
// backend.go, which the gateway implements.
//
// # Addressing
//
// Path style (/bucket/key, and minio-go's /bucket/) always works. Virtual-host
// style is used when Options.Domain is set and the Host header is
// <bucket>.<Domain>.
//
// # Keys
//
// A key is the raw request path after the bucket, percent-decoded exactly
// once. It must be valid UTF-8, at most 1024 bytes and free of NUL. Keys
// never touch a filesystem, so "a/b/../c", "./x" and "//y" are ordinary,
// distinct keys and are never cleaned.
//
// # Errors
//
// Every operation returns (*response, error) to one writer. Errors become
// the S3 XML document <Error><Code/><Message/><Resource/><RequestId/></Error>
// (with <HeadersNotSigned/> when an x-amz-* header was sent unsigned, as
// S3 does) with the status from one table (errors.go); Backend sentinels and
// *sigv4.Error values are mapped in one function, anything else is an
// InternalError and is logged with its cause.
//
// # Choices where S3 leaves room or sixfold differs
//
//   - A query that parsers could read differently is refused with 400
//     rather than guessed at: a ';' separator, invalid percent-encoding, or
//     a presigning parameter (X-Amz-Signature, …) repeated or spelled in
//     another case. Operations read the query as it was verified, never
//     r.URL again.
//   - A single PUT may be up to Options.MaxObjectSize (10 GiB, sixfold's
//     limit) rather than S3's 5 GiB; a part up to 5 GiB.
//   - An upload body must be framed by Content-Length, chunked transfer
//     coding or HTTP/2; a size that is still unknown (-1) is passed on and
//     the body is cut off at the limit.
//   - CreateBucketConfiguration is parsed but its LocationConstraint is not
//     enforced, and any signing region is accepted: one store, one region.
//   - DeleteObjects accepts Content-MD5, an x-amz-checksum-* value or
//     neither (S3 demands one of the first two); what is sent is verified.
//   - Conditional writes: only If-None-Match: * (PutObject,
//     CompleteMultipartUpload); If-Match on a write is NotImplemented.
//   - Multipart checksums are COMPOSITE only; x-amz-checksum-type:
//     FULL_OBJECT on CreateMultipartUpload is NotImplemented.
//   - Not built, answered NotImplemented: versions, ACLs, policies,
//     tagging and every other subresource, UploadPartCopy.
//     ListMultipartUploads ignores a delimiter.
package s3api
