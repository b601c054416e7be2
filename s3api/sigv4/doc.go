// Package sigv4 authenticates S3 requests signed with AWS Signature Version 4
// and decodes their bodies.
//
// It covers what real S3 clients send (see shared/S3-CLIENTS.md): the
// Authorization header, presigned query authentication, and the payload modes
// selected by X-Amz-Content-Sha256 — a hex SHA-256 of the body,
// UNSIGNED-PAYLOAD, and the aws-chunked streaming forms with signed chunks,
// signed trailers or unsigned trailers. It also verifies Content-MD5 and the
// x-amz-checksum-* values a request declares, in headers or trailers.
//
// Every x-amz-* header a request carries must be among its signed headers,
// presigned or not: S3 acts on them (X-Amz-Copy-Source turns a PUT into a
// copy), so an unsigned one is refused with AccessDenied, as S3 does. The
// query is parsed once, strictly, and handed back as Auth.Query for the
// handler to route on. RedactURI cuts presigned credentials out of a
// request target before it is logged.
//
// The package knows HTTP and SigV4 only: it never writes responses. Every
// failure is an *Error carrying the S3 error code and HTTP status, for the
// handler layer to render.
//
// Use:
//
//	auth, err := verifier.Verify(r) // never reads the body
//	body, err := sigv4.NewPayload(r, auth)
//	// read body until io.EOF; any other error means: store nothing.
//	md5sum, checksums := body.Digests()
//
// Bodies are streamed in bounded buffers: at most one signed chunk (16 MiB
// cap) is held back, so that a tampered chunk is rejected before any of its
// bytes are handed out.
package sigv4
