package s3api

import (
	"context"
	"encoding/xml"
	"net/http"
	"strings"
)

// Access beyond the owner is granted by bucket policies only, as on an AWS
// bucket with ACLs disabled (BucketOwnerEnforced). The ACL calls tools make
// routinely therefore work when they ask for what already holds; the one
// grant with a policy equivalent, a bucket's canned public-read, is
// applied as that policy; anything else that would grant access to others
// is refused with AccessControlListNotSupported, never silently ignored.

// accessControlPolicy is the ACL document: the owner's FULL_CONTROL.
type accessControlPolicy struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ AccessControlPolicy"`
	Owner   owner    `xml:"Owner"`
	Grants  []grant  `xml:"AccessControlList>Grant"`
}

// grant is one <Grant>.
type grant struct {
	Grantee    grantee `xml:"Grantee"`
	Permission string  `xml:"Permission"`
}

// grantee is a <Grantee>; the xsi:type attribute is written literally,
// as encoding/xml cannot declare a second namespace prefix.
type grantee struct {
	XMLNSXSI    string `xml:"xmlns:xsi,attr,omitempty"`
	Type        string `xml:"xsi:type,attr,omitempty"`
	ID          string `xml:"ID,omitempty"`
	DisplayName string `xml:"DisplayName,omitempty"`
	URI         string `xml:"URI,omitempty"`
}

// ownerPolicy is the only ACL there is.
func ownerPolicy() accessControlPolicy {
	return accessControlPolicy{Owner: storeOwner, Grants: []grant{{
		Grantee: grantee{XMLNSXSI: "http://www.w3.org/2001/XMLSchema-instance", Type: "CanonicalUser",
			ID: storeOwner.ID, DisplayName: storeOwner.DisplayName},
		Permission: "FULL_CONTROL",
	}}}
}

// checkCannedACL accepts an x-amz-acl that grants nothing beyond the
// owner, and refuses every other canned ACL and every x-amz-grant-*.
// publicRead also accepts "public-read": a bucket's, when the handler has
// bucket policies to apply it as (applyBucketCannedACL).
func checkCannedACL(hdr http.Header, publicRead bool) error {
	switch acl := hdr.Get("X-Amz-Acl"); {
	case acl == "", acl == "private", acl == "bucket-owner-full-control", acl == "bucket-owner-read":
	case acl == "public-read" && publicRead:
	default:
		return errorf(codeACLNotSupported, "The canned ACL %q would grant access beyond the owner; objects are private, and read access is granted per bucket or prefix by a bucket policy (a bucket's public-read ACL is one)", acl)
	}
	for name := range hdr {
		if strings.HasPrefix(strings.ToLower(name), "x-amz-grant-") {
			return errorf(codeACLNotSupported, "%s would grant access beyond the owner; sixfold keeps every bucket and object private", name)
		}
	}
	return nil
}

// getBucketACL answers GET /b?acl: the owner's FULL_CONTROL, and AllUsers
// READ when the bucket's policy lets everyone read every object.
func (h *handler) getBucketACL(q *request) (*response, error) {
	b, err := h.backend.HeadBucket(q.r.Context(), q.target.bucket)
	if err != nil {
		return nil, err
	}
	acl := ownerPolicy()
	if b.Policy != "" && h.policies != nil && h.policies.Allows([]byte(b.Policy), b.Name, "s3:GetObject", arn(b.Name, "*")) {
		acl.Grants = append(acl.Grants, grant{Permission: "READ", Grantee: grantee{
			XMLNSXSI: "http://www.w3.org/2001/XMLSchema-instance", Type: "Group", URI: allUsers}})
	}
	return xmlResponse(acl), nil
}

// allUsers is the grantee group S3 names for everyone.
const allUsers = "http://acs.amazonaws.com/groups/global/AllUsers"

// publicReadPolicy is the bucket policy a bucket's canned public-read ACL
// stands for: everyone may read every object.
func publicReadPolicy(bucket string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"CannedPublicRead","Effect":"Allow","Principal":"*",` +
		`"Action":["s3:GetObject"],"Resource":["` + arn(bucket, "*") + `"]}]}`
}

// applyBucketCannedACL makes a bucket's policy say what its canned ACL
// asks: public-read installs publicReadPolicy; private removes it, and
// leaves any other policy alone. A bucket whose policy was written by hand
// is not overwritten by an ACL: that policy is edited with PutBucketPolicy.
// The caller must also be allowed s3:PutBucketPolicy, since that is what
// public-read does.
func (h *handler) applyBucketCannedACL(q *request, acl string) error {
	if acl != "public-read" && acl != "private" {
		return nil
	}
	b, err := h.backend.HeadBucket(q.r.Context(), q.target.bucket)
	if err != nil {
		return err
	}
	canned := publicReadPolicy(b.Name)
	switch {
	case acl == "private" && b.Policy == canned:
		return h.backend.PutBucketPolicy(q.r.Context(), b.Name, "")
	case acl == "private" || b.Policy == canned:
		return nil
	case b.Policy != "":
		return errorf(codeACLNotSupported, "The bucket has a policy of its own; grant public read in it with PutBucketPolicy")
	case h.authorizeFn != nil && !h.authorizeFn(q.who.accessKey, "s3:PutBucketPolicy", arn(b.Name, "")):
		return s3Error(codeAccessDenied)
	}
	return h.backend.PutBucketPolicy(q.r.Context(), b.Name, canned)
}

// getObjectACL answers GET /b/k?acl.
func (h *handler) getObjectACL(q *request) (*response, error) {
	info, err := h.headVersion(q)
	if err != nil {
		return nil, err
	}
	resp := xmlResponse(ownerPolicy())
	setVersionHeader(resp.header, info.VersionID)
	return resp, nil
}

// putBucketACL answers PUT /b?acl. A canned public-read becomes the
// bucket's public-read policy, and private takes that policy away again.
func (h *handler) putBucketACL(q *request) (*response, error) {
	if err := checkACLRequest(q, h.policies != nil); err != nil {
		return nil, err
	}
	if _, err := h.backend.HeadBucket(q.r.Context(), q.target.bucket); err != nil {
		return nil, err
	}
	if err := h.applyBucketCannedACL(q, q.r.Header.Get("X-Amz-Acl")); err != nil {
		return nil, err
	}
	return newResponse(http.StatusOK), nil
}

// putObjectACL answers PUT /b/k?acl.
func (h *handler) putObjectACL(q *request) (*response, error) {
	if err := checkACLRequest(q, false); err != nil {
		return nil, err
	}
	info, err := h.headVersion(q)
	if err != nil {
		return nil, err
	}
	resp := newResponse(http.StatusOK)
	setVersionHeader(resp.header, info.VersionID)
	return resp, nil
}

// checkACLRequest accepts a Put*Acl whose header or document grants only
// the owner's FULL_CONTROL.
// publicRead is checkCannedACL's.
func checkACLRequest(q *request, publicRead bool) error {
	if err := checkCannedACL(q.r.Header, publicRead); err != nil {
		return err
	}
	body, err := readAllLimited(q.openBody, maxBucketConfigXML)
	if err != nil || len(body) == 0 {
		return err
	}
	var doc struct {
		Grants []grant `xml:"AccessControlList>Grant"`
	} // any namespace
	if err := unmarshalXML(body, &doc); err != nil {
		return err
	}
	for _, g := range doc.Grants {
		if g.Permission != "FULL_CONTROL" || g.Grantee.ID != storeOwner.ID {
			return errorf(codeACLNotSupported, "Only the owner's FULL_CONTROL grant is supported; sixfold keeps every bucket and object private")
		}
	}
	return nil
}

// headVersion looks up the object (version) a subresource call names,
// with a delete marker's headers on its error.
func (h *handler) headVersion(q *request) (ObjectInfo, error) {
	return h.lookupVersion(q, h.backend.HeadObject)
}

// readVersion is headVersion for a GET or a HEAD, which asks for span of
// the version's bytes: through the backend's ReadLookup when it has one.
func (h *handler) readVersion(q *request, span ReadSpan) (ObjectInfo, error) {
	if rl, ok := h.backend.(ReadLookup); ok {
		return h.lookupVersion(q, func(ctx context.Context, bucket, key, versionID string) (ObjectInfo, error) {
			return rl.HeadObjectForRead(ctx, bucket, key, versionID, span)
		})
	}
	return h.headVersion(q)
}

// lookupVersion asks lookup for the version q names.
func (h *handler) lookupVersion(q *request, lookup func(ctx context.Context, bucket, key, versionID string) (ObjectInfo, error)) (ObjectInfo, error) {
	v, err := versionID(q)
	if err != nil {
		return ObjectInfo{}, err
	}
	info, err := lookup(q.r.Context(), q.target.bucket, q.target.key, v)
	if err != nil {
		return info, markerError(info, err)
	}
	return info, nil
}
