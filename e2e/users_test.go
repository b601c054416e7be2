package e2e_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"

	"sixfold/e2e/harness"
)

// startUsersCluster starts n gateways sharing one master key.
func startUsersCluster(t *testing.T, n int, env ...string) *harness.Cluster {
	t.Helper()
	return startCluster(t, harness.Options{Gateways: n,
		GatewayEnv: append([]string{"SIXFOLD_MASTER_KEY=" + randomHex(t, 32)}, env...)})
}

// cliKey is "gateway admin key create|rotate -json"'s answer.
type cliKey struct {
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
	User      string `json:"user"`
	Disabled  bool   `json:"disabled"`
}

func cliKeyOf(t *testing.T, out string) cliKey {
	t.Helper()
	var k cliKey
	if err := json.Unmarshal([]byte(out), &k); err != nil || k.AccessKey == "" || len(k.SecretKey) < 32 {
		t.Fatalf("key answer %q: %v; want an access key and a secret", out, err)
	}
	return k
}

// s3EnvAt points go-v2 at gateway i with key.
func s3EnvAt(t *testing.T, c *harness.Cluster, i int, key, secret string) *s3Env {
	t.Helper()
	e := &s3Env{cluster: c, url: c.GatewayURLAt(i), key: key, secret: secret}
	e.http = &http.Client{Transport: e.transport()}
	e.s3 = newGoV2Client(t, e)
	return e
}

// curlFiles runs curl -u key:secret with args against gateway base and
// returns the HTTP status and body.
func curlFiles(t *testing.T, curl, key, secret string, args ...string) (int, []byte) {
	t.Helper()
	out, err := exec.Command(curl, append([]string{"-sS", "-u", key + ":" + secret, "-w", "\n%{http_code}"}, args...)...).Output()
	if err != nil {
		t.Fatalf("curl %s: %v", strings.Join(args, " "), err)
	}
	i := bytes.LastIndexByte(out, '\n')
	status, err := strconv.Atoi(string(out[i+1:]))
	if err != nil {
		t.Fatalf("curl status %q: %v", out[i+1:], err)
	}
	return status, out[:i]
}

// TestIAMUsersRuntime: a user and key made with "gateway admin" work at
// once from aws-sdk-go-v2 and curl -u on /files, on every gateway; the
// database holds the secret only sealed; rotation retires the old secret;
// disabling the user, then a key, then deleting it, refuses the next
// request on every gateway (the one that made the change at once, the
// other through NOTIFY; how long that took is logged).
func TestIAMUsersRuntime(t *testing.T) {
	curl := requireTool(t, "curl", "--version")
	c := startUsersCluster(t, 2)
	ctx := context.Background()

	runAdminCLI(t, c, "user", "create", "alice", "readwrite")
	k := cliKeyOf(t, runAdminCLI(t, c, "key", "create", "alice", "-json"))
	secrets := []string{k.SecretKey}
	if k.User != "alice" || !strings.HasPrefix(k.AccessKey, "SF") {
		t.Fatalf("key create: %+v", k)
	}

	// At once, through the gateway that made it.
	e0 := s3EnvAt(t, c, 0, k.AccessKey, k.SecretKey)
	bucket := e0.bucket(t, "users-rt")
	data := randomBytes(1601, 150<<10+9)
	e0.put(t, bucket, "a.bin", bytes.NewReader(data))
	if got := e0.getBytes(t, bucket, "a.bin"); !bytes.Equal(got, data) {
		t.Fatalf("GET = %s; want %s", sum(got), sum(data))
	}
	path := filepath.Join(t.TempDir(), "f.bin")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	status, body := curlFiles(t, curl, k.AccessKey, k.SecretKey, "-F", "file=@"+path, c.GatewayURLAt(0)+"/files")
	var up struct {
		FileID string `json:"file_id"`
	}
	if status != http.StatusCreated || json.Unmarshal(body, &up) != nil || up.FileID == "" {
		t.Fatalf("curl -u upload: %d %s; want 201 with a file_id", status, body)
	}
	// And through the other gateway, once its cache has the key.
	e1 := s3EnvAt(t, c, 1, k.AccessKey, k.SecretKey)
	eventually(t, 10*time.Second, "the new key works on gateway 2", func() bool {
		_, err := e1.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("a.bin")})
		return err == nil
	})
	status, body = curlFiles(t, curl, k.AccessKey, k.SecretKey, c.GatewayURLAt(1)+"/files/"+up.FileID)
	if status != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("curl -u download on gateway 2: %d, %d bytes; want 200, %d", status, len(body), len(data))
	}
	// readwrite is storage only: the cluster's controls need admin.
	if status, body := curlFiles(t, curl, k.AccessKey, k.SecretKey, c.GatewayURLAt(0)+"/admin/cluster"); status != http.StatusForbidden {
		t.Errorf("readwrite user on /admin/cluster: %d %s; want 403", status, body)
	}

	t.Run("sealed at rest", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, c.DatabaseURL())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var sealed []byte
		if err := conn.QueryRow(ctx, "SELECT secret_sealed FROM iam_access_keys WHERE access_key = $1", k.AccessKey).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, []byte(k.SecretKey)) || strings.Contains(hex.EncodeToString(sealed), hex.EncodeToString([]byte(k.SecretKey))) {
			t.Error("the database holds the secret in clear")
		}
	})

	t.Run("rotate", func(t *testing.T) {
		r := cliKeyOf(t, runAdminCLI(t, c, "key", "rotate", k.AccessKey, "-json"))
		if r.AccessKey != k.AccessKey || r.SecretKey == k.SecretKey {
			t.Fatalf("rotate: %+v", r)
		}
		if _, err := e0.s3.ListBuckets(ctx, &s3.ListBucketsInput{}); s3Code(err) != "SignatureDoesNotMatch" {
			t.Errorf("the old secret after rotation: %v; want SignatureDoesNotMatch", err)
		}
		k = r
		secrets = append(secrets, r.SecretKey)
		e0, e1 = s3EnvAt(t, c, 0, k.AccessKey, k.SecretKey), s3EnvAt(t, c, 1, k.AccessKey, k.SecretKey)
		if _, err := e0.s3.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
			t.Errorf("the new secret: %v", err)
		}
		eventually(t, 10*time.Second, "the new secret works on gateway 2", func() bool {
			_, err := e1.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
			return err == nil
		})
	})

	// refusedEverywhere waits until every gateway refuses the key, on
	// both doors; the gateway that made the change must refuse at once.
	refusedEverywhere := func(t *testing.T, what string, changed time.Time) {
		t.Helper()
		for i := range c.NumGateways() {
			e := s3EnvAt(t, c, i, k.AccessKey, k.SecretKey)
			refused := func() bool {
				_, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("a.bin")})
				st, _ := curlFiles(t, curl, k.AccessKey, k.SecretKey, c.GatewayURLAt(i)+"/files/"+up.FileID+"/info")
				return err != nil && st == http.StatusUnauthorized
			}
			if i == 0 {
				if !refused() {
					t.Fatalf("%s: the gateway that made the change still takes the key", what)
				}
				continue
			}
			eventually(t, 10*time.Second, what+": gateway 2 refuses the key", refused)
			t.Logf("%s: gateway %d refused the key %v after the CLI returned", what, i+1, time.Since(changed).Round(time.Millisecond))
		}
	}

	t.Run("disable user", func(t *testing.T) {
		runAdminCLI(t, c, "user", "disable", "alice")
		refusedEverywhere(t, "user disabled", time.Now())
		runAdminCLI(t, c, "user", "enable", "alice")
		if _, err := e0.s3.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
			t.Errorf("after enable: %v", err)
		}
	})
	t.Run("disable key", func(t *testing.T) {
		eventually(t, 10*time.Second, "gateway 2 takes the key again", func() bool {
			_, err := e1.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
			return err == nil
		})
		runAdminCLI(t, c, "key", "disable", k.AccessKey)
		refusedEverywhere(t, "key disabled", time.Now())
	})
	t.Run("delete", func(t *testing.T) {
		runAdminCLI(t, c, "key", "enable", k.AccessKey)
		runAdminCLI(t, c, "user", "delete", "alice")
		refusedEverywhere(t, "user deleted", time.Now())
		if out := runAdminCLI(t, c, "user", "list"); strings.Contains(out, "alice") {
			t.Errorf("user list after delete:\n%s", out)
		}
	})
	// What alice wrote stays, for the root key.
	rootKey, rootSecret := c.Credentials()
	root := s3EnvAt(t, c, 0, rootKey, rootSecret)
	if got := root.getBytes(t, bucket, "a.bin"); !bytes.Equal(got, data) {
		t.Errorf("alice's object after her deletion: %s; want %s", sum(got), sum(data))
	}
	if status, body := curlFiles(t, curl, rootKey, rootSecret, c.GatewayURLAt(0)+"/files/"+up.FileID); status != http.StatusOK || !bytes.Equal(body, data) {
		t.Errorf("alice's /files upload for root after her deletion: %d, %d bytes; want 200, %d", status, len(body), len(data))
	}
	// A new user of the same name inherits nothing of hers.
	runAdminCLI(t, c, "user", "create", "alice", "readwrite")
	k2 := cliKeyOf(t, runAdminCLI(t, c, "key", "create", "alice", "-json"))
	secrets = append(secrets, k2.SecretKey)
	eventually(t, 10*time.Second, "the new alice's key works", func() bool {
		status, _ := curlFiles(t, curl, k2.AccessKey, k2.SecretKey, c.GatewayURLAt(0)+"/files")
		return status == http.StatusOK
	})
	if status, _ := curlFiles(t, curl, k2.AccessKey, k2.SecretKey, c.GatewayURLAt(0)+"/files/"+up.FileID); status == http.StatusOK {
		t.Errorf("a new user named alice reads the deleted alice's upload: %d; want it refused", status)
	}
	if status, body := curlFiles(t, curl, k2.AccessKey, k2.SecretKey, c.GatewayURLAt(0)+"/files"); bytes.Contains(body, []byte(up.FileID)) {
		t.Errorf("a new user named alice lists the deleted alice's upload (%d)", status)
	}
	for i := range c.NumGateways() {
		raw, err := os.ReadFile(c.GatewayLogPathAt(i))
		if err != nil || !bytes.Contains(raw, []byte(`"event":"access key created"`)) && i == 0 {
			t.Fatalf("gateway %d log: %v, or no audit line for the key's creation", i+1, err)
		}
		for _, s := range secrets {
			if bytes.Contains(raw, []byte(s)) {
				t.Errorf("gateway %d's log holds a user's secret key", i+1)
			}
		}
	}
}
