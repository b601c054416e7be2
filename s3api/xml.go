package s3api

import (
	"encoding/xml"
	"io"
	"time"
	"unicode/utf8"
)

// s3NS is the namespace of every S3 document.
const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// Limits on XML request bodies; a longer body is refused unparsed.
const (
	maxBucketConfigXML = 64 << 10 // CreateBucketConfiguration
	maxRequestXML      = 1 << 20  // CompleteMultipartUpload, Delete
)

// xmlTime formats a time as S3 does in documents.
func xmlTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// readXML reads a request document through the verified body, refusing
// more than limit bytes, and decodes it into v. Errors of the body itself
// (signature, digest) pass through unchanged; a document that does not
// parse is MalformedXML.
func readXML(open bodyOpener, limit int64, v any) error {
	body, err := readAllLimited(open, limit)
	if err != nil {
		return err
	}
	return unmarshalXML(body, v)
}

// unmarshalXML decodes a request document; failure is MalformedXML.
func unmarshalXML(body []byte, v any) error {
	if err := xml.Unmarshal(body, v); err != nil {
		return s3Error(codeMalformedXML)
	}
	return nil
}

// readAllLimited reads the whole verified body, at most limit bytes.
func readAllLimited(open bodyOpener, limit int64) ([]byte, error) {
	p, err := open()
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(p, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, s3Error(codeMaxMessageLength)
	}
	return body, nil
}

// owner is the single owner of everything in the store.
type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

// storeOwner is reported wherever S3 names an owner or initiator.
var storeOwner = owner{ID: "sixfold", DisplayName: "sixfold"}

// listAllMyBucketsResult answers ListBuckets.
type listAllMyBucketsResult struct {
	XMLName           xml.Name      `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListAllMyBucketsResult"`
	Owner             owner         `xml:"Owner"`
	Buckets           []bucketEntry `xml:"Buckets>Bucket"`
	ContinuationToken string        `xml:"ContinuationToken,omitempty"`
	Prefix            string        `xml:"Prefix,omitempty"`
}

// bucketEntry is one bucket of ListBuckets.
type bucketEntry struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
}

// locationConstraint answers GetBucketLocation; empty means us-east-1.
type locationConstraint struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LocationConstraint"`
	Region  string   `xml:",chardata"`
}

// createBucketConfiguration is CreateBucket's optional body.
type createBucketConfiguration struct {
	LocationConstraint string `xml:"LocationConstraint"`
}

// objectEntry is one object of a listing.
type objectEntry struct {
	Key          keyText `xml:"Key"`
	LastModified string  `xml:"LastModified"`
	ETag         string  `xml:"ETag"`
	Size         int64   `xml:"Size"`
	Owner        *owner  `xml:"Owner,omitempty"`
	StorageClass string  `xml:"StorageClass"`
}

// commonPrefix is one rolled-up prefix of a delimited listing.
type commonPrefix struct {
	Prefix keyText `xml:"Prefix"`
}

// listBucketResultV2 answers ListObjectsV2.
type listBucketResultV2 struct {
	XMLName               xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string         `xml:"Name"`
	Prefix                keyText        `xml:"Prefix"`
	Delimiter             keyText        `xml:"Delimiter,omitempty"`
	MaxKeys               int            `xml:"MaxKeys"`
	KeyCount              int            `xml:"KeyCount"`
	IsTruncated           bool           `xml:"IsTruncated"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	ContinuationToken     *string        `xml:"ContinuationToken"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	StartAfter            keyText        `xml:"StartAfter,omitempty"`
	Contents              []objectEntry  `xml:"Contents"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
}

// listBucketResultV1 answers ListObjects (version 1).
type listBucketResultV1 struct {
	XMLName        xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name           string         `xml:"Name"`
	Prefix         keyText        `xml:"Prefix"`
	Marker         keyText        `xml:"Marker"`
	NextMarker     keyText        `xml:"NextMarker,omitempty"`
	Delimiter      keyText        `xml:"Delimiter,omitempty"`
	MaxKeys        int            `xml:"MaxKeys"`
	IsTruncated    bool           `xml:"IsTruncated"`
	EncodingType   string         `xml:"EncodingType,omitempty"`
	Contents       []objectEntry  `xml:"Contents"`
	CommonPrefixes []commonPrefix `xml:"CommonPrefixes"`
}

// copyObjectResult answers CopyObject.
type copyObjectResult struct {
	XMLName      xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyObjectResult"`
	ETag         string   `xml:"ETag"`
	LastModified string   `xml:"LastModified"`
}

// copyPartResult answers UploadPartCopy.
type copyPartResult struct {
	XMLName      xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyPartResult"`
	ETag         string   `xml:"ETag"`
	LastModified string   `xml:"LastModified"`
}

// deleteRequest is DeleteObjects' body.
type deleteRequest struct {
	Quiet   bool           `xml:"Quiet"`
	Objects []deleteObject `xml:"Object"`
}

// deleteObject is one <Object> to delete.
type deleteObject struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId"`
}

// deleteResult answers DeleteObjects.
type deleteResult struct {
	XMLName xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ DeleteResult"`
	Deleted []deletedEntry `xml:"Deleted"`
	Errors  []deleteError  `xml:"Error"`
}

// deletedEntry is one key DeleteObjects removed, or marked deleted.
type deletedEntry struct {
	Key                   string `xml:"Key"`
	VersionID             string `xml:"VersionId,omitempty"`
	DeleteMarker          bool   `xml:"DeleteMarker,omitempty"`
	DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId,omitempty"`
}

// deleteError is one key DeleteObjects could not remove.
type deleteError struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
}

// initiateMultipartUploadResult answers CreateMultipartUpload.
type initiateMultipartUploadResult struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ InitiateMultipartUploadResult"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

// completeRequest is CompleteMultipartUpload's body. Part checksums are
// accepted and ignored: each part's checksum was verified on upload.
type completeRequest struct {
	Parts []completeRequestPart `xml:"Part"`
}

// completeRequestPart is one <Part>; ETag may arrive quoted, entity-quoted
// or bare.
type completeRequestPart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
}

// completeMultipartUploadResult answers CompleteMultipartUpload; minio-go
// needs Bucket.
type completeMultipartUploadResult struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CompleteMultipartUploadResult"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// listPartsResult answers ListParts.
type listPartsResult struct {
	XMLName              xml.Name    `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListPartsResult"`
	Bucket               string      `xml:"Bucket"`
	Key                  string      `xml:"Key"`
	UploadID             string      `xml:"UploadId"`
	Initiator            owner       `xml:"Initiator"`
	Owner                owner       `xml:"Owner"`
	StorageClass         string      `xml:"StorageClass"`
	PartNumberMarker     int         `xml:"PartNumberMarker"`
	NextPartNumberMarker int         `xml:"NextPartNumberMarker"`
	MaxParts             int         `xml:"MaxParts"`
	IsTruncated          bool        `xml:"IsTruncated"`
	Parts                []partEntry `xml:"Part"`
}

// partEntry is one part of ListParts, with the checksums it was uploaded
// with.
type partEntry struct {
	PartNumber        int    `xml:"PartNumber"`
	LastModified      string `xml:"LastModified"`
	ETag              string `xml:"ETag"`
	Size              int64  `xml:"Size"`
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
}

// listMultipartUploadsResult answers ListMultipartUploads.
type listMultipartUploadsResult struct {
	XMLName            xml.Name      `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListMultipartUploadsResult"`
	Bucket             string        `xml:"Bucket"`
	KeyMarker          keyText       `xml:"KeyMarker"`
	UploadIDMarker     string        `xml:"UploadIdMarker"`
	NextKeyMarker      keyText       `xml:"NextKeyMarker"`
	NextUploadIDMarker string        `xml:"NextUploadIdMarker"`
	Prefix             keyText       `xml:"Prefix"`
	MaxUploads         int           `xml:"MaxUploads"`
	IsTruncated        bool          `xml:"IsTruncated"`
	EncodingType       string        `xml:"EncodingType,omitempty"`
	Uploads            []uploadEntry `xml:"Upload"`
}

// uploadEntry is one upload of ListMultipartUploads.
type uploadEntry struct {
	Key          keyText `xml:"Key"`
	UploadID     string  `xml:"UploadId"`
	Initiator    owner   `xml:"Initiator"`
	Owner        owner   `xml:"Owner"`
	StorageClass string  `xml:"StorageClass"`
	Initiated    string  `xml:"Initiated"`
}

// keyText is a key (or prefix, marker) in a listing document. Keys may hold
// characters XML 1.0 cannot carry as text (C0 controls): S3 writes them as
// character references (&#x1;) rather than altering the key, which is what
// encoding/xml would do (it substitutes U+FFFD). Clients that cannot parse
// those ask for encoding-type=url, as S3 advises.
type keyText string

// MarshalXML writes the text escaped, control characters as references.
func (k keyText) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		Text string `xml:",innerxml"`
	}{string(appendKeyText(nil, string(k)))}, start)
}

const upperHex = "0123456789ABCDEF"

// appendKeyText escapes XML's specials, and writes every control
// character (tab, LF and CR included, which parsers would otherwise
// normalise) as a character reference.
func appendKeyText(b []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r == '&':
			b = append(b, "&amp;"...)
		case r == '<':
			b = append(b, "&lt;"...)
		case r == '>':
			b = append(b, "&gt;"...)
		case r == '"':
			b = append(b, "&#34;"...)
		case r == '\'':
			b = append(b, "&#39;"...)
		case r < 0x20 || r == 0x7f:
			b = append(b, "&#x"...)
			if r >= 0x10 {
				b = append(b, upperHex[r>>4])
			}
			b = append(b, upperHex[r&0xf], ';')
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}
