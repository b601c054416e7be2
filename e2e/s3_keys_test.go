package e2e_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// awkwardKeys are keys that break naive URL handling or path joining.
var awkwardKeys = []string{
	"with space.txt",
	"plus+sign",
	"percent%literal%41",
	"unicode/日本語/ファイル.txt",
	"a/b/../c",
	"./dot",
	"double//slash",
	"dir/sub dir/a+b=c&d~e!'()*;:@$,üé€%41.txt",
	strings.Repeat("ü", 512), // 1,024 bytes of UTF-8
}

// s3Keys round-trips awkward keys through go-v2 and checks nothing of them
// reached the nodes' file systems.
func s3Keys(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "keys")
	for i, key := range awkwardKeys {
		t.Run(keyLabel(key), func(t *testing.T) { roundTripKey(t, e, bucket, key, uint64(900+i)) })
	}
	t.Run("NotNormalised", func(t *testing.T) {
		e.put(t, bucket, "x/y/../z", strings.NewReader("dots"))
		e.wantNoObject(t, bucket, "x/z")
		if keys, _ := listAll(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("x/")}); !slices.Equal(keys, []string{"x/y/../z"}) {
			t.Errorf("list x/ = %q; want [x/y/../z]", keys)
		}
	})
	t.Run("TooLong", func(t *testing.T) {
		key := "a" + strings.Repeat("ü", 512) // 1,025 bytes
		_, err := e.s3.PutObject(e.ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("x")})
		t.Logf("PutObject with a 1,025-byte key: status %d, code %q", s3Status(err), s3Code(err))
		if s3Code(err) != "KeyTooLongError" || s3Status(err) != http.StatusBadRequest {
			t.Errorf("PutObject with a 1,025-byte key: %v; want 400 KeyTooLongError", err)
		}
	})
	t.Run("NothingEscapes", func(t *testing.T) { checkNodeDirs(t, e) })
}

// keyLabel names a subtest after a key, shortened.
func keyLabel(key string) string {
	if len(key) > 60 {
		return fmt.Sprintf("%d-byte key", len(key))
	}
	return key
}

// roundTripKey puts, lists, gets and deletes one key.
func roundTripKey(t *testing.T, e *s3Env, bucket, key string, seed uint64) {
	data := randomBytes(seed, 2048)
	e.put(t, bucket, key, bytes.NewReader(data))
	keys, _ := listAll(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	if !slices.Contains(keys, key) {
		t.Errorf("ListObjectsV2 prefix=key = %q; want it to contain %q", keys, key)
	}
	if got := e.getBytes(t, bucket, key); !bytes.Equal(got, data) {
		t.Errorf("GetObject = %d bytes sha256 %s; want %d bytes %s", len(got), sum(got), len(data), sum(data))
	}
	if _, err := e.s3.DeleteObject(e.ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	e.wantNoObject(t, bucket, key)
}

// distinctive matches a key piece no file of the cluster is named by
// chance: anything beyond plain lowercase letters, digits and dots.
var distinctive = regexp.MustCompile(`[^a-z0-9.]`)

// uuidName is how a node names a chunk file.
var (
	uuidName    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	shardName   = regexp.MustCompile(`^[0-9a-f]{2}$`)
	segmentName = regexp.MustCompile(`^[0-9a-f]{16}\.log$`)
)

// checkNodeDirs walks every node's data directory: files may only be
// UUID-named chunks in their shard (chunks/<first two hex>/<uuid>), the
// node's identity file, temp files or the small-chunk log's segments
// (log/<sixteen hex>.log); and no file or directory anywhere in
// the cluster's directory is named after a piece of a key.
func checkNodeDirs(t *testing.T, e *s3Env) {
	for i := range e.cluster.NumNodes() {
		root := e.cluster.NodeDataDir(i)
		walk(t, root, func(rel string, d fs.DirEntry) {
			if d.IsDir() {
				if !allowedNodeDir(rel) {
					t.Errorf("node %d: unexpected directory %s", i+1, rel)
				}
				return
			}
			if !allowedNodeFile(rel) {
				t.Errorf("node %d: unexpected file %s", i+1, rel)
			}
		})
	}
	pieces := map[string]bool{}
	for _, k := range awkwardKeys {
		for p := range strings.SplitSeq(k, "/") {
			if distinctive.MatchString(p) {
				pieces[p] = true
			}
		}
	}
	walk(t, e.cluster.Dir(), func(rel string, d fs.DirEntry) {
		if pieces[d.Name()] {
			t.Errorf("%s in the cluster directory is named after a key", rel)
		}
	})
}

func allowedNodeDir(rel string) bool {
	parts := strings.Split(rel, string(filepath.Separator))
	switch {
	case rel == "chunks" || rel == "tmp" || rel == "log":
		return true
	case len(parts) == 2 && parts[0] == "chunks":
		return shardName.MatchString(parts[1])
	}
	return false
}

func allowedNodeFile(rel string) bool {
	parts := strings.Split(rel, string(filepath.Separator))
	switch {
	case len(parts) == 1:
		return strings.HasPrefix(rel, "node-id")
	case parts[0] == "tmp":
		return true
	case len(parts) == 2 && parts[0] == "log":
		return segmentName.MatchString(parts[1])
	case len(parts) == 3 && parts[0] == "chunks":
		return uuidName.MatchString(parts[2]) && strings.HasPrefix(parts[2], parts[1])
	}
	return false
}

// walk calls fn for everything under root (root excluded), with the path
// relative to root.
func walk(t *testing.T, root string, fn func(rel string, d fs.DirEntry)) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) || os.IsPermission(err) {
				return nil // a temp file renamed away, or PostgreSQL's own data
			}
			return err
		}
		if path != root {
			rel, _ := filepath.Rel(root, path)
			fn(rel, d)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", root, err)
	}
}
