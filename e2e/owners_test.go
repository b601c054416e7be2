package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"sixfold/e2e/harness"
)

// newUser creates a user under policy (a built-in's name or a document)
// through the CLI and returns a /files client and an S3 env for its key.
func newUser(t *testing.T, c *harness.Cluster, name, policy string) (*client, *s3Env) {
	t.Helper()
	if strings.HasPrefix(policy, "{") {
		path := filepath.Join(t.TempDir(), name+".json")
		if err := os.WriteFile(path, []byte(policy), 0o600); err != nil {
			t.Fatal(err)
		}
		policy = "@" + path
	}
	runAdminCLI(t, c, "user", "create", name, policy)
	k := cliKeyOf(t, runAdminCLI(t, c, "key", "create", name, "-json"))
	cl := newClient(t, c)
	cl.key, cl.secret = k.AccessKey, k.SecretKey
	return cl, s3EnvAt(t, c, 0, k.AccessKey, k.SecretKey)
}

// listedIDs is the file ids GET /files shows cl.
func listedIDs(t *testing.T, cl *client) []string {
	t.Helper()
	resp := cl.get("/files?limit=1000")
	defer resp.Body.Close()
	var page struct {
		Files []struct {
			FileID string `json:"file_id"`
		} `json:"files"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&page) != nil {
		t.Fatalf("GET /files as %s: %d", cl.key, resp.StatusCode)
	}
	var ids []string
	for _, f := range page.Files {
		ids = append(ids, f.FileID)
	}
	return ids
}

func statusOf(t *testing.T, cl *client, method, path string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, cl.base+path, nil)
	resp := cl.do(req)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// TestIAMFilesOwnership: /files objects belong to the user that uploaded
// them. A readwrite user lists, reads and deletes only its own (403 on
// another's, which stays whole); a policy granting files:ReadAnyOwner
// reads and lists everyone's but deletes none; root (admin) sees all.
// Buckets too: a user whose policy cannot list every bucket sees only
// its own in ListBuckets, and another user's bucket name is taken
// (BucketAlreadyExists).
func TestIAMFilesOwnership(t *testing.T) {
	c := startCluster(t, harness.Options{})
	alice, aliceS3 := newUser(t, c, "alice", "readwrite")
	bob, bobS3 := newUser(t, c, "bob", "readwrite")
	auditor, _ := newUser(t, c, "auditor", `{"Statement": [
		{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "files:ReadAnyOwner"], "Resource": "arn:aws:s3:::files*"}]}`)
	root := newClient(t, c)

	aliceData, bobData := randomBytes(1701, 70<<10+1), randomBytes(1702, 90<<10+3)
	resp, a := alice.rawUpload("a.bin", bytes.NewReader(aliceData), int64(len(aliceData)))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("alice upload: %d", resp.StatusCode)
	}
	resp, b := bob.rawUpload("b.bin", bytes.NewReader(bobData), int64(len(bobData)))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("bob upload: %d", resp.StatusCode)
	}

	if ids := listedIDs(t, alice); !slices.Equal(ids, []string{a.FileID}) {
		t.Errorf("alice's listing %v; want only her file %s", ids, a.FileID)
	}
	if ids := listedIDs(t, bob); !slices.Equal(ids, []string{b.FileID}) {
		t.Errorf("bob's listing %v; want only his file %s", ids, b.FileID)
	}
	for _, who := range []*client{root, auditor} {
		if ids := listedIDs(t, who); !slices.Contains(ids, a.FileID) || !slices.Contains(ids, b.FileID) {
			t.Errorf("%s's listing %v; want both files", who.key, ids)
		}
	}

	for _, call := range []struct{ method, path string }{
		{http.MethodGet, "/files/" + b.FileID},
		{http.MethodHead, "/files/" + b.FileID},
		{http.MethodGet, "/files/" + b.FileID + "/info"},
		{http.MethodDelete, "/files/" + b.FileID},
	} {
		st, body := statusOf(t, alice, call.method, call.path)
		if st != http.StatusForbidden || (call.method != http.MethodHead && !bytes.Contains(body, []byte(`"AccessDenied"`))) {
			t.Errorf("alice %s %s (bob's): %d %s; want 403 AccessDenied", call.method, call.path, st, body)
		}
	}
	if st, _ := statusOf(t, auditor, http.MethodDelete, "/files/"+b.FileID); st != http.StatusForbidden {
		t.Errorf("auditor DELETE bob's file: %d; want 403 (it may read any owner's, not delete)", st)
	}
	// Bob's file survived all that, byte for byte, and the auditor reads it.
	for _, who := range []*client{bob, auditor} {
		st, got := statusOf(t, who, http.MethodGet, "/files/"+b.FileID)
		if st != http.StatusOK || !bytes.Equal(got, bobData) {
			t.Errorf("%s GET bob's file: %d, %s; want 200, %s", who.key, st, sum(got), sum(bobData))
		}
	}
	if st, _ := statusOf(t, alice, http.MethodDelete, "/files/"+a.FileID); st != http.StatusNoContent {
		t.Errorf("alice DELETE her own file: %d; want 204", st)
	}
	if st, _ := statusOf(t, root, http.MethodDelete, "/files/"+b.FileID); st != http.StatusNoContent {
		t.Errorf("root DELETE bob's file: %d; want 204", st)
	}

	t.Run("buckets", func(t *testing.T) {
		ctx := context.Background()
		_, daveS3 := newUser(t, c, "dave", `{"Statement": [
			{"Effect": "Allow", "Action": ["s3:CreateBucket", "s3:ListAllMyBuckets", "s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::*"}]}`)
		davesBucket := daveS3.bucket(t, "owned-dave")
		alicesBucket := aliceS3.bucket(t, "owned-alice")
		names := func(e *s3Env) []string {
			out, err := e.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
			if err != nil {
				t.Fatalf("ListBuckets as %s: %v", e.key, err)
			}
			var n []string
			for _, b := range out.Buckets {
				n = append(n, aws.ToString(b.Name))
			}
			return n
		}
		if got := names(daveS3); !slices.Equal(got, []string{davesBucket}) {
			t.Errorf("dave's ListBuckets %v; want only his own %s", got, davesBucket)
		}
		if got := names(aliceS3); !slices.Contains(got, davesBucket) || !slices.Contains(got, alicesBucket) {
			t.Errorf("alice's (readwrite) ListBuckets %v; want both", got)
		}
		_, err := bobS3.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(alicesBucket)})
		if s3Code(err) != "BucketAlreadyExists" {
			t.Errorf("bob CreateBucket on alice's bucket: %v; want BucketAlreadyExists", err)
		}
		if _, err := aliceS3.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(alicesBucket)}); err != nil {
			t.Errorf("alice CreateBucket again on her own bucket (us-east-1 answers 200): %v", err)
		}
	})
}
