package s3api

import (
	"context"
	"errors"
	"io"
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
	// DeleteBucket returns ErrNoSuchBucket or ErrBucketNotEmpty (objects or
	// multipart uploads in progress).
	DeleteBucket(ctx context.Context, bucket string) error
	ListBuckets(ctx context.Context) ([]Bucket, error)
}

// ObjectBackend stores and serves whole objects.
type ObjectBackend interface {
	// PutObject stores in.Body as bucket/key, replacing any object there
	// atomically. Body yields the decoded payload; it returns a non-EOF
	// error when the payload fails verification (signature, Content-MD5,
	// checksum), and then nothing may be stored. After Body has returned
	// io.EOF, in.Digests() holds the payload's MD5 and checksums.
	// in.Size is the exact payload size, or -1 when unknown.
	// With in.IfNoneMatch it returns ErrPreconditionFailed if the key exists.
	PutObject(ctx context.Context, in PutObjectInput) (ObjectInfo, error)
	// HeadObject returns ErrNoSuchBucket or ErrNoSuchKey.
	HeadObject(ctx context.Context, bucket, key string) (ObjectInfo, error)
	// GetObject opens length bytes from offset of the object whose
	// metadata HeadObject returned (info.VersionID pins the version so a
	// concurrent overwrite cannot mix two objects). The caller closes it.
	GetObject(ctx context.Context, info ObjectInfo, offset, length int64) (io.ReadCloser, error)
	// DeleteObject removes bucket/key; a missing key is not an error.
	DeleteObject(ctx context.Context, bucket, key string) error
	// CopyObject copies src to dst within the store, with dst's metadata
	// taken from meta when replaceMeta, else from the source.
	CopyObject(ctx context.Context, src ObjectInfo, dstBucket, dstKey string, meta ObjectMeta, replaceMeta bool) (ObjectInfo, error)
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
	// UploadPart stores a part (1..10000), replacing an earlier part with the
	// same number. Body semantics as PutObject. ErrNoSuchUpload when the
	// upload is unknown (or belongs to another bucket/key).
	UploadPart(ctx context.Context, in UploadPartInput) (PartInfo, error)
	// CompleteMultipartUpload assembles the listed parts, which the caller
	// has already checked for ascending order. It returns ErrInvalidPart
	// when a part is missing or its ETag differs, ErrEntityTooSmall when a
	// part other than the last is below 5 MiB, ErrNoSuchUpload, and
	// ErrPreconditionFailed with ifNoneMatch when the key exists.
	CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart, ifNoneMatch bool) (ObjectInfo, error)
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

// Bucket is a bucket's name and creation time.
type Bucket struct {
	Name      string
	CreatedAt time.Time
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
	IfNoneMatch bool // If-None-Match: *
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

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Bucket, Key string
	// ID is the object's id in the store; GET /files/{id} serves the same
	// bytes.
	ID string
	// VersionID identifies this exact version for GetObject.
	VersionID    string
	Size         int64
	ETag         string // unquoted: md5 hex, or md5-of-md5s hex + "-N"
	LastModified time.Time
	Meta         ObjectMeta
	// Checksums are full-object values (composite ones end in "-N").
	Checksums map[string]string
	// Parts are set for multipart objects (in order); nil for a single PUT.
	Parts []PartInfo
}

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
	ErrNoSuchUpload            = errors.New("no such upload")
	ErrInvalidPart             = errors.New("invalid part")
	ErrEntityTooSmall          = errors.New("entity too small")
	ErrEntityTooLarge          = errors.New("entity too large")
	ErrPreconditionFailed      = errors.New("precondition failed")
	ErrIncompleteBody          = errors.New("incomplete body")
	ErrServiceUnavailable      = errors.New("service unavailable") // retryable: 503
	ErrSlowDown                = errors.New("slow down")
)
