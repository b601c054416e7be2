package s3api

import (
	"net/http"
)

// listBuckets answers GET /.
func (h *handler) listBuckets(q *request) (*response, error) {
	buckets, err := h.backend.ListBuckets(q.r.Context())
	if err != nil {
		return nil, err
	}
	doc := listAllMyBucketsResult{Owner: storeOwner, Buckets: []bucketEntry{}}
	for _, b := range buckets {
		doc.Buckets = append(doc.Buckets, bucketEntry{Name: b.Name, CreationDate: xmlTime(b.CreatedAt)})
	}
	return xmlResponse(doc), nil
}

// createBucket answers PUT /b. The optional CreateBucketConfiguration is
// parsed (bounded) but its LocationConstraint is not enforced: sixfold is a
// single region, and GetBucketLocation always reports Options.Region.
func (h *handler) createBucket(q *request) (*response, error) {
	if h.reserved[q.target.bucket] {
		return nil, errorf(codeInvalidBucketName, "The bucket name %q is reserved", q.target.bucket)
	}
	if err := h.readBucketConfig(q); err != nil {
		return nil, err
	}
	if err := h.backend.CreateBucket(q.r.Context(), q.target.bucket); err != nil {
		return nil, err
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
