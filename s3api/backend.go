package s3api

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Backend is everything the S3 door needs from storage. It knows nothing of
// HTTP, XML or signatures; the gateway adapts its object service to it.
// Every method honours ctx cancellation. Names (bucket, key) arrive
// validated: bucket names follow the S3 naming rules, keys are valid UTF-8
// of at most 1024 bytes.
type Backend interface {
	BucketBackend
	ObjectBackend
	MultipartBackend
}

// BucketBackend manages buckets. There is a single owner (the cluster), so
// creating a bucket that exists returns ErrBucketAlreadyOwnedByYou.
type BucketBackend interface {
	CreateBucket(ctx context.Context, bucket string) error
	// HeadBucket returns ErrNoSuchBucket when absent.
	HeadBucket(ctx context.Context, bucket string) (Bucket, error)
	// DeleteBucket returns ErrNoSuchBucket, or ErrBucketNotEmpty while any
	// object version or delete marker is left. Multipart uploads in
	// progress do not keep a bucket: they are aborted with it.
	DeleteBucket(ctx context.Context, bucket string) error
	ListBuckets(ctx context.Context) ([]Bucket, error)
	// PutBucketVersioning sets VersioningEnabled or VersioningSuspended.
	PutBucketVersioning(ctx context.Context, bucket, status string) error
	// PutBucketTagging replaces the bucket's tag set; nil removes it.
	PutBucketTagging(ctx context.Context, bucket string, tags map[string]string) error
	// PutBucketLifecycle replaces the bucket's lifecycle rules; nil
	// removes them. The store applies them in the background.
	PutBucketLifecycle(ctx context.Context, bucket string, rules []LifecycleRule) error
	// PutBucketPolicy replaces the bucket's policy document; "" removes
	// it. ErrNoSuchBucket when absent.
	PutBucketPolicy(ctx context.Context, bucket, policy string) error
}

// LifecycleRule is one rule of a bucket's lifecycle configuration, as the
// store applies it: objects whose key starts with Prefix and that carry
// every tag in Tags.
type LifecycleRule struct {
	ID      string
	Enabled bool
	Prefix  string
	Tags    map[string]string `json:",omitempty"`
	// ExpirationDays expires (deletes, or hides behind a delete marker in
	// a versioned bucket) current versions that many days after they were
	// written; ExpirationDate expires them all from that day on.
	ExpirationDays int       `json:",omitempty"`
	ExpirationDate time.Time `json:",omitzero"`
	// ExpiredObjectDeleteMarker removes delete markers left with no
	// version behind them.
	ExpiredObjectDeleteMarker bool `json:",omitempty"`
	// NoncurrentDays deletes versions that many days after a newer one
	// replaced them.
	NoncurrentDays int `json:",omitempty"`
	// AbortUploadDays aborts multipart uploads that many days after they
	// were started.
	AbortUploadDays int `json:",omitempty"`
}

// Bucket versioning states; a bucket that never had versioning has "".
const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// NullVersion is the version id of the version a bucket writes while
// versioning is not enabled, as S3 names it.
const NullVersion = "null"

// ObjectBackend stores and serves whole objects.
type ObjectBackend interface {
	// PutObject stores in.Body as bucket/key, replacing any object there
	// atomically. Body yields the decoded payload; it returns a non-EOF
	// error when the payload fails verification (signature, Content-MD5,
	// checksum), and then nothing may be stored. After Body has returned
	// io.EOF, in.Digests() holds the payload's MD5 and checksums.
	// in.Size is the exact payload size, or -1 when unknown.
	// With in.IfNoneMatch it returns ErrPreconditionFailed if the key exists,
	// with in.IfMatch when the current object's ETag differs (or none).
	// In a versioning-enabled bucket every write adds a version; otherwise
	// it replaces the null version.
	PutObject(ctx context.Context, in PutObjectInput) (ObjectInfo, error)
	// HeadObject returns the latest version of bucket/key when versionID is
	// "", else that version. ErrNoSuchBucket, ErrNoSuchKey, or
	// ErrNoSuchVersion for an unknown versionID. When the version found is
	// a delete marker, it returns its info (DeleteMarker set) with
	// ErrNoSuchKey (latest) or ErrMethodNotAllowed (named version).
	HeadObject(ctx context.Context, bucket, key, versionID string) (ObjectInfo, error)
	// GetObject opens length bytes from offset of the object whose
	// metadata HeadObject returned (info.ID pins the version so a
	// concurrent overwrite cannot mix two objects). The caller closes it.
	GetObject(ctx context.Context, info ObjectInfo, offset, length int64) (io.ReadCloser, error)
	// DeleteObject deletes as S3 does: with versionID "" it removes the
	// null version (unversioned bucket) or adds a delete marker (versioned
	// bucket); with a versionID it removes that version for good, and the
	// newest remaining one becomes the latest. A missing key or version is
	// not an error.
	DeleteObject(ctx context.Context, bucket, key, versionID string) (Deleted, error)
	// CopyObject makes dstBucket/dstKey a new object (version) with src's
	// bytes and meta as its metadata (the caller resolves the metadata and
	// tagging directives). The copy shares src's blobs, copying no bytes;
	// either can be deleted without affecting the other.
	CopyObject(ctx context.Context, src ObjectInfo, dstBucket, dstKey string, meta ObjectMeta) (ObjectInfo, error)
	// PutObjectTagging replaces the tags (Meta.Tags) of a version of
	// bucket/key ("" = latest), changing nothing else; nil removes them.
	// Errors as HeadObject.
	PutObjectTagging(ctx context.Context, bucket, key, versionID string, tags map[string]string) (ObjectInfo, error)
	// ListObjectVersions returns the versions and delete markers of the
	// keys that start with q.Prefix, by key and newest first, after the
	// marker pair, with q.Delimiter rolling keys up as ListObjects does.
	ListObjectVersions(ctx context.Context, bucket string, q VersionQuery) (VersionPage, error)
	// ListObjects returns the first q.Limit entries that the keys > q.After
	// starting with q.Prefix make, in byte order of their UTF-8 keys. With a
	// delimiter, the keys under one common prefix (CommonPrefix) make a
	// single entry, placed where its first key would be; so a prefix at or
	// before q.After still appears when a key after q.After rolls up into
	// it. The backend must not read every key under a common prefix: the
	// delimiter is there so that a listing costs about one step per entry.
	ListObjects(ctx context.Context, bucket string, q ListQuery) (ListPage, error)
}

// ListQuery selects one page of a bucket's keys.
type ListQuery struct {
	Prefix    string // only keys that start with it
	Delimiter string // rolls keys up into common prefixes when not empty
	After     string // only keys > After, in byte order
	Limit     int    // at most this many entries (objects and prefixes), >= 1
}

// VersionQuery selects one page of ListObjectVersions.
type VersionQuery struct {
	Prefix, Delimiter string
	// AfterKey and AfterVersion are the markers: entries after version
	// AfterVersion of AfterKey, or after every version of AfterKey when
	// AfterVersion is "".
	AfterKey, AfterVersion string
	Limit                  int // >= 1
}

// VersionPage is one page of versions: Versions (with IsLatest and
// DeleteMarker set) in key order, newest first; Prefixes in byte order.
type VersionPage struct {
	Versions  []ObjectInfo
	Prefixes  []string
	Truncated bool
}

// Deleted is what a DeleteObject did: the version it removed or the delete
// marker it created.
type Deleted struct {
	VersionID    string
	DeleteMarker bool
}

// ListPage is one page of a listing. Objects and Prefixes are each in
// byte order; together they hold at most ListQuery.Limit entries.
type ListPage struct {
	Objects   []ObjectInfo
	Prefixes  []string
	Truncated bool // more entries follow the last one of the page
}

// CommonPrefix returns the common prefix key rolls up into when listed
// under prefix with delimiter: prefix up to and including the first
// delimiter after it. It returns "" when key is listed as itself (no
// delimiter, key outside prefix, or no delimiter after prefix).
func CommonPrefix(key, prefix, delimiter string) string {
	if delimiter == "" || !strings.HasPrefix(key, prefix) {
		return ""
	}
	i := strings.Index(key[len(prefix):], delimiter)
	if i < 0 {
		return ""
	}
	return key[:len(prefix)+i+len(delimiter)]
}

// MultipartBackend stores each part as its own blob; completing an upload
// makes the object the ordered list of its parts without copying bytes.
type MultipartBackend interface {
	CreateMultipartUpload(ctx context.Context, bucket, key string, meta ObjectMeta) (uploadID string, err error)
	// UploadPartCopy makes part in.PartNumber the bytes [in.Offset,
	// in.Offset+in.Length) of src, sharing its blobs. The part's ETag is
	// derived from the source's ETag and the range (the bytes are not read).
	UploadPartCopy(ctx context.Context, in UploadPartCopyInput) (PartInfo, error)
	// UploadPart stores a part (1..10000), replacing an earlier part with the
	// same number. Body semantics as PutObject. ErrNoSuchUpload when the
	// upload is unknown (or belongs to another bucket/key).
	UploadPart(ctx context.Context, in UploadPartInput) (PartInfo, error)
	// CompleteMultipartUpload assembles the listed parts, which the caller
	// has already checked for ascending order. It returns ErrInvalidPart
	// when a part is missing or its ETag differs, ErrEntityTooSmall when a
	// part other than the last is below 5 MiB, ErrNoSuchUpload, and
	// ErrPreconditionFailed when cond fails against the current object.
	CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart, cond WriteCondition) (ObjectInfo, error)
	AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error
	// ListParts returns parts numbered > after, up to limit.
	ListParts(ctx context.Context, bucket, key, uploadID string, after, limit int) (parts []PartInfo, truncated bool, err error)
	// ListMultipartUploads lists uploads in progress whose key starts with
	// prefix, ordered by (key, upload id), after the given marker pair.
	ListMultipartUploads(ctx context.Context, bucket, prefix, afterKey, afterUploadID string, limit int) (uploads []Upload, truncated bool, err error)
}

// HeaderObjectID carries ObjectInfo.ID on PUT, GET, HEAD and
// CompleteMultipartUpload answers, so a client can reach the same bytes
// through the store's other door (GET /files/{id}).
const HeaderObjectID = "x-sixfold-object-id"

// Bucket is a bucket's name, creation time and settings.
type Bucket struct {
	Name      string
	CreatedAt time.Time
	// Versioning is "", VersioningEnabled or VersioningSuspended.
	Versioning string
	// Tags is the bucket's tag set; nil when it has none.
	Tags map[string]string
	// Lifecycle is the bucket's lifecycle rules; nil when it has none.
	Lifecycle []LifecycleRule
	// Owner is the identity that created the bucket (see Identity); ""
	// when none was recorded.
	Owner string
	// Policy is the bucket policy document; "" when it has none.
	Policy string
}

// ObjectMeta is what a client sets on an object and gets back on GET/HEAD.
type ObjectMeta struct {
	ContentType        string
	ContentDisposition string
	ContentEncoding    string
	CacheControl       string
	Expires            string
	// UserMetadata holds x-amz-meta-* headers: lower-case names without the
	// prefix.
	UserMetadata map[string]string
	// ChecksumAlgorithm is the upload's declared algorithm (multipart:
	// from CreateMultipartUpload), e.g. "CRC32"; empty when none.
	ChecksumAlgorithm string
	// Tags is the object's tag set (x-amz-tagging, PutObjectTagging).
	Tags map[string]string `json:",omitempty"`
}

// WriteCondition is what a write's conditional headers ask of the object
// it replaces.
type WriteCondition struct {
	IfNoneMatch bool   // If-None-Match: *: only if no object is there
	IfMatch     string // If-Match: only if the current ETag is this (unquoted; "*": any object)
}

// Check returns ErrPreconditionFailed unless the condition holds against
// the current object: exists says there is one, etag is its ETag.
func (c WriteCondition) Check(exists bool, etag string) error {
	if c.IfNoneMatch && exists {
		return ErrPreconditionFailed
	}
	if c.IfMatch != "" && (!exists || c.IfMatch != "*" && c.IfMatch != etag) {
		return ErrPreconditionFailed
	}
	return nil
}

// Digests are what the S3 layer computed over a payload as it streamed.
type Digests struct {
	MD5 []byte // 16 bytes
	// SHA256 is the payload's SHA-256 when the S3 layer computed it
	// anyway (a hex-signed payload or a declared SHA256 checksum), else nil.
	SHA256 []byte
	// Checksums maps an algorithm ("CRC32", "CRC32C", "CRC64NVME", "SHA1",
	// "SHA256") to its base64 value, for every algorithm the request
	// declared (header or trailer).
	Checksums map[string]string
}

// PutObjectInput is one PutObject.
type PutObjectInput struct {
	Bucket, Key string
	Size        int64 // exact decoded size, or -1
	Body        io.Reader
	Digests     func() Digests
	Meta        ObjectMeta
	Condition   WriteCondition
	// SHA256Known says Digests().SHA256 will be set once Body reaches
	// io.EOF, so the backend need not hash the payload a second time.
	SHA256Known bool
}

// UploadPartInput is one UploadPart.
type UploadPartInput struct {
	Bucket, Key, UploadID string
	PartNumber            int
	Size                  int64 // exact decoded size, or -1
	Body                  io.Reader
	Digests               func() Digests
	SHA256Known           bool // as in PutObjectInput
}

// UploadPartCopyInput is one UploadPartCopy.
type UploadPartCopyInput struct {
	Bucket, Key, UploadID string
	PartNumber            int
	Src                   ObjectInfo
	Offset, Length        int64 // within Src, already checked
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Bucket, Key string
	// ID is the object's id in the store; GET /files/{id} serves the same
	// bytes.
	ID string
	// VersionID is the S3 version id: NullVersion for the null version,
	// "" for an object of a bucket that never had versioning (S3 sends no
	// x-amz-version-id there; listings call it "null").
	VersionID string
	// IsLatest and DeleteMarker describe the version (ListObjectVersions,
	// and HeadObject's answer about a delete marker).
	IsLatest, DeleteMarker bool
	Size                   int64
	ETag                   string // unquoted: md5 hex, or md5-of-md5s hex + "-N"
	LastModified           time.Time
	Meta                   ObjectMeta
	// Checksums are full-object values (composite ones end in "-N").
	Checksums map[string]string
	// Parts are set for multipart objects (in order); nil for a single PUT,
	// and from ReadLookup, nil unless its span names a part.
	Parts []PartInfo
	// Located is the backend's own note of where the version's bytes
	// are, when it found them with the version (ReadLookup), for its
	// GetObject to use instead of looking them up again; nil otherwise.
	Located any
}

// ReadLookup is an optional ObjectBackend method a GET or a HEAD uses
// instead of HeadObject: the same answer, errors included, found together with where
// the version's bytes in span are (kept in ObjectInfo.Located), so that
// serving a small object costs one metadata lookup rather than two, and a
// ranged GET of a large one looks up only the parts it reads. Its answer
// needs ObjectInfo.Parts only for a span that names a part: no other GET
// or HEAD reads them. A HEAD looks up NoBytes, or the part it names.
type ReadLookup interface {
	HeadObjectForRead(ctx context.Context, bucket, key, versionID string, span ReadSpan) (ObjectInfo, error)
}

// ReadSpan is what of a version a GET will read, as far as the request
// says before the version's size and parts are known: the bytes [From, To),
// and of them only part Part (a ?partNumber GET) when it is not 0.
type ReadSpan struct {
	From, To int64
	Part     int32
}

// WholeVersion is the span of any version.
var WholeVersion = ReadSpan{From: 0, To: math.MaxInt64}

// NoBytes is the span of a lookup that reads none of the version's bytes:
// a HEAD's. It locates no part.
var NoBytes = ReadSpan{}

// PartInfo describes one stored part.
type PartInfo struct {
	PartNumber   int
	Size         int64
	ETag         string // unquoted md5 hex
	LastModified time.Time
	Checksums    map[string]string
}

// CompletePart is one <Part> of a CompleteMultipartUpload body.
type CompletePart struct {
	PartNumber int
	ETag       string // unquoted
}

// Upload is a multipart upload in progress.
type Upload struct {
	Key, UploadID string
	Initiated     time.Time
}

// Errors a Backend returns (wrapped or not); the S3 layer maps them to S3
// error codes in one place.
var (
	ErrNoSuchBucket            = errors.New("no such bucket")
	ErrBucketAlreadyOwnedByYou = errors.New("bucket already owned by you")
	ErrBucketNotEmpty          = errors.New("bucket not empty")
	ErrNoSuchKey               = errors.New("no such key")
	ErrNoSuchVersion           = errors.New("no such version")
	ErrMethodNotAllowed        = errors.New("method not allowed")
	ErrNoSuchUpload            = errors.New("no such upload")
	ErrInvalidPart             = errors.New("invalid part")
	ErrEntityTooSmall          = errors.New("entity too small")
	ErrEntityTooLarge          = errors.New("entity too large")
	ErrPreconditionFailed      = errors.New("precondition failed")
	ErrIncompleteBody          = errors.New("incomplete body")
	ErrServiceUnavailable      = errors.New("service unavailable") // retryable: 503
	ErrSlowDown                = errors.New("slow down")
)

// CopyPartETag is the ETag of a part copied from bytes [offset,
// offset+length) of an object with ETag srcETag: the MD5 of those three,
// so that the same range of the same object always gets the same ETag
// without its bytes being read. (S3 sends the MD5 of the bytes; clients
// only hand the ETag back in CompleteMultipartUpload.)
func CopyPartETag(srcETag string, offset, length int64) string {
	sum := md5.Sum(fmt.Appendf(nil, "%s:%d:%d", srcETag, offset, length))
	return hex.EncodeToString(sum[:])
}
