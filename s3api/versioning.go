package s3api

import (
	"encoding/xml"
	"net/http"
)

// versioningConfiguration is Get/PutBucketVersioning's document. MFA
// delete is not supported: Enabled is refused.
type versioningConfiguration struct {
	XMLName   xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ VersioningConfiguration"`
	Status    string   `xml:"Status,omitempty"`
	MfaDelete string   `xml:"MfaDelete,omitempty"`
}

// getBucketVersioning answers GET /b?versioning: no Status when the bucket
// never had versioning.
func (h *handler) getBucketVersioning(q *request) (*response, error) {
	b, err := h.backend.HeadBucket(q.r.Context(), q.target.bucket)
	if err != nil {
		return nil, err
	}
	return xmlResponse(versioningConfiguration{Status: b.Versioning}), nil
}

// putBucketVersioning answers PUT /b?versioning with Status Enabled or
// Suspended.
func (h *handler) putBucketVersioning(q *request) (*response, error) {
	var cfg struct{ Status, MfaDelete string } // any namespace
	if err := readXML(q.openBody, maxBucketConfigXML, &cfg); err != nil {
		return nil, err
	}
	if cfg.Status != VersioningEnabled && cfg.Status != VersioningSuspended {
		return nil, s3Error(codeIllegalVersioning)
	}
	if cfg.MfaDelete == "Enabled" {
		return nil, errorf(codeNotImplemented, "MFA delete is not implemented")
	}
	if err := h.backend.PutBucketVersioning(q.r.Context(), q.target.bucket, cfg.Status); err != nil {
		return nil, err
	}
	return newResponse(http.StatusOK), nil
}

// setVersionHeader sends x-amz-version-id for an object of a bucket that
// has (or had) versioning.
func setVersionHeader(hdr http.Header, versionID string) {
	setIf(hdr, "x-amz-version-id", versionID)
}

// markerError adds a delete marker's headers to the error a read of it
// gets (404 for the latest version, 405 for a named one), as S3 sends them.
func markerError(info ObjectInfo, err error) error {
	if !info.DeleteMarker {
		return err
	}
	e := toError(err)
	e.header = http.Header{}
	e.header.Set("x-amz-delete-marker", "true")
	setVersionHeader(e.header, info.VersionID)
	if e.Code == codeMethodNotAllowed {
		e.header.Set("Allow", "DELETE")
	}
	return e
}

// versionID reads ?versionId: "" (latest), "null" or a version id.
func versionID(q *request) (string, error) {
	if !q.query.Has("versionId") {
		return "", nil
	}
	v := q.query.Get("versionId")
	if v == "" || len(v) > 1024 {
		return "", errorf(codeInvalidArgument, "Invalid version id specified")
	}
	return v, nil
}

// listVersionsResult answers ListObjectVersions. Entries holds <Version>
// and <DeleteMarker> elements in listing order.
type listVersionsResult struct {
	XMLName             xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListVersionsResult"`
	Name                string         `xml:"Name"`
	Prefix              keyText        `xml:"Prefix"`
	KeyMarker           keyText        `xml:"KeyMarker"`
	VersionIDMarker     string         `xml:"VersionIdMarker"`
	NextKeyMarker       keyText        `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string         `xml:"NextVersionIdMarker,omitempty"`
	Delimiter           keyText        `xml:"Delimiter,omitempty"`
	MaxKeys             int            `xml:"MaxKeys"`
	IsTruncated         bool           `xml:"IsTruncated"`
	EncodingType        string         `xml:"EncodingType,omitempty"`
	Entries             []versionEntry `xml:""`
	CommonPrefixes      []commonPrefix `xml:"CommonPrefixes"`
}

// versionEntry is a <Version> or a <DeleteMarker> (XMLName says which).
type versionEntry struct {
	XMLName      xml.Name
	Key          keyText `xml:"Key"`
	VersionID    string  `xml:"VersionId"`
	IsLatest     bool    `xml:"IsLatest"`
	LastModified string  `xml:"LastModified"`
	ETag         string  `xml:"ETag,omitempty"`
	Size         *int64  `xml:"Size,omitempty"`
	Owner        owner   `xml:"Owner"`
	StorageClass string  `xml:"StorageClass,omitempty"`
}

// listObjectVersions answers GET /b?versions. A version-id-marker needs a
// key-marker; the next page's markers name the last entry of this one.
func (h *handler) listObjectVersions(q *request) (*response, error) {
	opts, err := parseListOptions(q)
	if err != nil {
		return nil, err
	}
	keyMarker, versionMarker := q.query.Get("key-marker"), q.query.Get("version-id-marker")
	if versionMarker != "" && keyMarker == "" {
		return nil, errorf(codeInvalidArgument, "A version-id marker cannot be specified without a key marker.")
	}
	if err := checkListStrings(keyMarker, versionMarker); err != nil {
		return nil, err
	}
	doc := listVersionsResult{Name: q.target.bucket, Prefix: opts.encode(opts.prefix), KeyMarker: opts.encode(keyMarker),
		VersionIDMarker: versionMarker, Delimiter: opts.encode(opts.delimiter), MaxKeys: opts.maxKeys,
		EncodingType: opts.encodingType()}
	if opts.maxKeys == 0 {
		if _, err := h.backend.HeadBucket(q.r.Context(), q.target.bucket); err != nil {
			return nil, err
		}
		return xmlResponse(doc), nil
	}
	page, err := h.backend.ListObjectVersions(q.r.Context(), q.target.bucket, VersionQuery{Prefix: opts.prefix,
		Delimiter: opts.delimiter, AfterKey: keyMarker, AfterVersion: versionMarker, Limit: opts.maxKeys})
	if err != nil {
		return nil, err
	}
	fillVersions(&doc, page, opts)
	return xmlResponse(doc), nil
}

// fillVersions puts a page into the document, with the next markers when
// it is truncated.
func fillVersions(doc *listVersionsResult, page VersionPage, opts listOptions) {
	doc.IsTruncated = page.Truncated
	doc.CommonPrefixes = prefixEntries(page.Prefixes, opts)
	lastKey, lastVersion := "", ""
	for _, v := range page.Versions {
		id := v.VersionID
		if id == "" {
			id = NullVersion
		}
		e := versionEntry{XMLName: xml.Name{Space: s3NS, Local: "Version"}, Key: opts.encode(v.Key), VersionID: id,
			IsLatest: v.IsLatest, LastModified: xmlTime(v.LastModified), Owner: storeOwner}
		if v.DeleteMarker {
			e.XMLName.Local = "DeleteMarker"
		} else {
			size := v.Size
			e.ETag, e.Size, e.StorageClass = quoteETag(v.ETag), &size, "STANDARD"
		}
		doc.Entries = append(doc.Entries, e)
		lastKey, lastVersion = v.Key, id
	}
	if !page.Truncated {
		return
	}
	if n := len(page.Prefixes); n > 0 && page.Prefixes[n-1] > lastKey {
		lastKey, lastVersion = page.Prefixes[n-1], ""
	}
	doc.NextKeyMarker, doc.NextVersionIDMarker = opts.encode(lastKey), lastVersion
}
