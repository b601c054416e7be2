package s3api

import (
	"encoding/xml"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"unicode/utf8"
)

// S3's tag limits.
const (
	maxObjectTags  = 10
	maxBucketTags  = 50
	maxTagKeyLen   = 128 // characters
	maxTagValueLen = 256 // characters
)

// tagging is the Tagging document of the tagging calls.
type tagging struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ Tagging"`
	TagSet  []tag    `xml:"TagSet>Tag"`
}

// tag is one <Tag>.
type tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// taggingDoc renders a tag set.
func taggingDoc(tags map[string]string) tagging {
	doc := tagging{TagSet: []tag{}}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		doc.TagSet = append(doc.TagSet, tag{Key: k, Value: tags[k]})
	}
	return doc
}

// checkTag applies S3's rules to one tag: a key of 1..128 characters, a
// value of at most 256, both valid UTF-8, the key not in the reserved aws:
// namespace, no duplicate keys.
func checkTag(tags map[string]string, k, v string) error {
	switch {
	case !utf8.ValidString(k) || !utf8.ValidString(v):
		return errorf(codeInvalidTag, "Tags must be valid UTF-8")
	case k == "" || utf8.RuneCountInString(k) > maxTagKeyLen:
		return errorf(codeInvalidTag, "The TagKey you have provided is invalid")
	case utf8.RuneCountInString(v) > maxTagValueLen:
		return errorf(codeInvalidTag, "The TagValue you have provided is invalid")
	case len(k) >= 4 && k[:4] == "aws:":
		return errorf(codeInvalidTag, "System tags cannot be added or updated by requester")
	}
	if _, dup := tags[k]; dup {
		return errorf(codeInvalidTag, "Cannot provide multiple Tags with the same key")
	}
	return nil
}

// readTagging reads a Tagging document of at most limit tags.
func readTagging(q *request, limit int) (map[string]string, error) {
	var doc struct {
		TagSet []tag `xml:"TagSet>Tag"`
	} // any namespace
	if err := readXML(q.openBody, maxBucketConfigXML, &doc); err != nil {
		return nil, err
	}
	if len(doc.TagSet) > limit {
		return nil, errorf(codeInvalidTag, "Object tags cannot be greater than %d", limit)
	}
	tags := map[string]string{}
	for _, t := range doc.TagSet {
		if err := checkTag(tags, t.Key, t.Value); err != nil {
			return nil, err
		}
		tags[t.Key] = t.Value
	}
	return tags, nil
}

// parseTaggingHeader reads x-amz-tagging, a URL query string of tags;
// nil when absent.
func parseTaggingHeader(hdr http.Header) (map[string]string, error) {
	raw := hdr.Get("X-Amz-Tagging")
	if raw == "" {
		return nil, nil
	}
	values, err := url.ParseQuery(raw)
	if err != nil {
		return nil, errorf(codeInvalidArgument, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	}
	if len(values) > maxObjectTags {
		return nil, errorf(codeInvalidTag, "Object tags cannot be greater than %d", maxObjectTags)
	}
	tags := map[string]string{}
	for k, vs := range values {
		if len(vs) > 1 {
			return nil, errorf(codeInvalidTag, "Cannot provide multiple Tags with the same key")
		}
		if err := checkTag(tags, k, vs[0]); err != nil {
			return nil, err
		}
		tags[k] = vs[0]
	}
	return tags, nil
}

// setTaggingCount sends x-amz-tagging-count when the object has tags.
func setTaggingCount(hdr http.Header, tags map[string]string) {
	if len(tags) > 0 {
		hdr.Set("x-amz-tagging-count", strconv.Itoa(len(tags)))
	}
}

// getObjectTagging answers GET /b/k?tagging.
func (h *handler) getObjectTagging(q *request) (*response, error) {
	info, err := h.headVersion(q)
	if err != nil {
		return nil, err
	}
	resp := xmlResponse(taggingDoc(info.Meta.Tags))
	setVersionHeader(resp.header, info.VersionID)
	return resp, nil
}

// putObjectTagging answers PUT /b/k?tagging.
func (h *handler) putObjectTagging(q *request) (*response, error) {
	tags, err := readTagging(q, maxObjectTags)
	if err != nil {
		return nil, err
	}
	return h.setObjectTags(q, tags, http.StatusOK)
}

// deleteObjectTagging answers DELETE /b/k?tagging.
func (h *handler) deleteObjectTagging(q *request) (*response, error) {
	return h.setObjectTags(q, nil, http.StatusNoContent)
}

// setObjectTags replaces the tags of the version the request names.
func (h *handler) setObjectTags(q *request, tags map[string]string, status int) (*response, error) {
	v, err := versionID(q)
	if err != nil {
		return nil, err
	}
	info, err := h.backend.PutObjectTagging(q.r.Context(), q.target.bucket, q.target.key, v, tags)
	if err != nil {
		return nil, markerError(info, err)
	}
	resp := newResponse(status)
	setVersionHeader(resp.header, info.VersionID)
	return resp, nil
}

// getBucketTagging answers GET /b?tagging: NoSuchTagSet when there is none.
func (h *handler) getBucketTagging(q *request) (*response, error) {
	b, err := h.backend.HeadBucket(q.r.Context(), q.target.bucket)
	if err != nil {
		return nil, err
	}
	if b.Tags == nil {
		return nil, s3Error(codeNoSuchTagSet)
	}
	return xmlResponse(taggingDoc(b.Tags)), nil
}

// putBucketTagging answers PUT /b?tagging.
func (h *handler) putBucketTagging(q *request) (*response, error) {
	tags, err := readTagging(q, maxBucketTags)
	if err != nil {
		return nil, err
	}
	if err := h.backend.PutBucketTagging(q.r.Context(), q.target.bucket, tags); err != nil {
		return nil, err
	}
	return newResponse(http.StatusNoContent), nil
}

// deleteBucketTagging answers DELETE /b?tagging.
func (h *handler) deleteBucketTagging(q *request) (*response, error) {
	if err := h.backend.PutBucketTagging(q.r.Context(), q.target.bucket, nil); err != nil {
		return nil, err
	}
	return newResponse(http.StatusNoContent), nil
}
