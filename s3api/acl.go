package s3api

import (
	"encoding/xml"
	"net/http"
	"strings"
)

// sixfold has one owner and no public access: every bucket and object is
// private, as on an AWS bucket with ACLs disabled (BucketOwnerEnforced).
// The ACL calls tools make routinely therefore work when they ask for
// what already holds, and anything that would grant access to others is
// refused with AccessControlListNotSupported, never silently ignored.

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
func checkCannedACL(hdr http.Header) error {
	switch acl := hdr.Get("X-Amz-Acl"); acl {
	case "", "private", "bucket-owner-full-control", "bucket-owner-read":
	default:
		return errorf(codeACLNotSupported, "The canned ACL %q would grant access beyond the owner; sixfold keeps every bucket and object private", acl)
	}
	for name := range hdr {
		if strings.HasPrefix(strings.ToLower(name), "x-amz-grant-") {
			return errorf(codeACLNotSupported, "%s would grant access beyond the owner; sixfold keeps every bucket and object private", name)
		}
	}
	return nil
}

// getBucketACL answers GET /b?acl.
func (h *handler) getBucketACL(q *request) (*response, error) {
	if _, err := h.backend.HeadBucket(q.r.Context(), q.target.bucket); err != nil {
		return nil, err
	}
	return xmlResponse(ownerPolicy()), nil
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

// putBucketACL answers PUT /b?acl.
func (h *handler) putBucketACL(q *request) (*response, error) {
	if err := checkACLRequest(q); err != nil {
		return nil, err
	}
	if _, err := h.backend.HeadBucket(q.r.Context(), q.target.bucket); err != nil {
		return nil, err
	}
	return newResponse(http.StatusOK), nil
}

// putObjectACL answers PUT /b/k?acl.
func (h *handler) putObjectACL(q *request) (*response, error) {
	if err := checkACLRequest(q); err != nil {
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
func checkACLRequest(q *request) error {
	if err := checkCannedACL(q.r.Header); err != nil {
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
	v, err := versionID(q)
	if err != nil {
		return ObjectInfo{}, err
	}
	info, err := h.backend.HeadObject(q.r.Context(), q.target.bucket, q.target.key, v)
	if err != nil {
		return info, markerError(info, err)
	}
	return info, nil
}
