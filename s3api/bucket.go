package s3api

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// maxListBuckets is S3's cap of max-buckets.
const maxListBuckets = 10000

// listBuckets answers GET /, with S3's optional paging: prefix,
// max-buckets and continuation-token (the last name of the previous page,
// opaque to the client). bucket-region is accepted: there is one region.
func (h *handler) listBuckets(q *request) (*response, error) {
	limit, after, err := bucketPaging(q)
	if err != nil {
		return nil, err
	}
	buckets, err := h.backend.ListBuckets(q.r.Context())
	if err != nil {
		return nil, err
	}
	prefix := q.query.Get("prefix")
	doc := listAllMyBucketsResult{Owner: storeOwner, Buckets: []bucketEntry{}, Prefix: prefix}
	for _, b := range buckets {
		if b.Name <= after || !strings.HasPrefix(b.Name, prefix) || !h.visible(q, b) {
			continue
		}
		if len(doc.Buckets) == limit {
			doc.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(doc.Buckets[limit-1].Name))
			break
		}
		doc.Buckets = append(doc.Buckets, bucketEntry{Name: b.Name, CreationDate: xmlTime(b.CreatedAt)})
	}
	return xmlResponse(doc), nil
}

// bucketPaging reads max-buckets (1..10000) and continuation-token.
func bucketPaging(q *request) (limit int, after string, err error) {
	limit = maxListBuckets
	if v := q.query.Get("max-buckets"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxListBuckets {
			return 0, "", errorf(codeInvalidArgument, "max-buckets must be an integer between 1 and %d", maxListBuckets)
		}
	}
	if token := q.query.Get("continuation-token"); token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || !validBucketName(string(raw)) {
			return 0, "", errorf(codeInvalidArgument, "The continuation token provided is incorrect")
		}
		after = string(raw)
	}
	return limit, after, nil
}

// createBucket answers PUT /b. The optional CreateBucketConfiguration is
// parsed (bounded) but its LocationConstraint is not enforced: sixfold is a
// single region, and GetBucketLocation always reports Options.Region.
func (h *handler) createBucket(q *request) (*response, error) {
	if h.reserved[q.target.bucket] {
		return nil, errorf(codeInvalidBucketName, "The bucket name %q is reserved", q.target.bucket)
	}
	if err := checkCannedACL(q.r.Header, h.policies != nil); err != nil {
		return nil, err
	}
	if err := h.readBucketConfig(q); err != nil {
		return nil, err
	}
	err := h.backend.CreateBucket(q.r.Context(), q.target.bucket)
	created := err == nil
	if errors.Is(err, ErrBucketAlreadyOwnedByYou) && h.claimedByOther(q) {
		return nil, s3Error(codeBucketAlreadyExists)
	}
	if errors.Is(err, ErrBucketAlreadyOwnedByYou) && h.region == "us-east-1" {
		// us-east-1 answers a repeated CreateBucket by its owner with 200
		// (and resets nothing); every other region says
		// BucketAlreadyOwnedByYou.
		err = nil
	}
	if err != nil {
		return nil, err
	}
	if created {
		if err := h.applyBucketCannedACL(q, q.r.Header.Get("X-Amz-Acl")); err != nil {
			return nil, err
		}
	}
	resp := newResponse(http.StatusOK)
	resp.header.Set("Location", "/"+q.target.bucket)
	return resp, nil
}

// readBucketConfig reads CreateBucket's body, which may be empty.
func (h *handler) readBucketConfig(q *request) error {
	body, err := readAllLimited(q.openBody, maxBucketConfigXML)
	if err != nil || len(body) == 0 {
		return err
	}
	var cfg createBucketConfiguration
	return unmarshalXML(body, &cfg)
}

// headBucket answers HEAD /b.
func (h *handler) headBucket(q *request) (*response, error) {
	if _, err := h.backend.HeadBucket(q.r.Context(), q.target.bucket); err != nil {
		return nil, err
	}
	resp := newResponse(http.StatusOK)
	resp.header.Set("x-amz-bucket-region", h.region)
	return resp, nil
}

// deleteBucket answers DELETE /b.
func (h *handler) deleteBucket(q *request) (*response, error) {
	if err := h.backend.DeleteBucket(q.r.Context(), q.target.bucket); err != nil {
		return nil, err
	}
	return newResponse(http.StatusNoContent), nil
}

// getBucketLocation answers GET /b?location, which minio-go sends before
// anything else on a bucket. us-east-1 is the empty constraint.
func (h *handler) getBucketLocation(q *request) (*response, error) {
	if _, err := h.backend.HeadBucket(q.r.Context(), q.target.bucket); err != nil {
		return nil, err
	}
	region := h.region
	if region == "us-east-1" {
		region = ""
	}
	return xmlResponse(locationConstraint{Region: region}), nil
}
