package e2e_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"sixfold/e2e/certs"
	"sixfold/e2e/harness"
	"sixfold/proto/storagepb"
)

// securePKI is a cluster PKI made the way `make certs` makes it, for a
// cluster on loopback: every harness node listens on 127.0.0.1, and
// Options.NodeEnv is the same for all of them, so they share the
// certificate issued for that address.
type securePKI struct {
	set   *certs.Set
	node  certs.Pair
	roots *x509.CertPool
}

func newSecurePKI(t *testing.T, dir string) *securePKI {
	t.Helper()
	set, err := certs.Generate(certs.Options{Dir: dir, Nodes: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	_, roots := loadRoots(t, set.CAFile)
	return &securePKI{set: set, node: set.Nodes["127.0.0.1"], roots: roots}
}

// TestSecurityMutualTLS runs a cluster with mutual TLS between gateway and
// nodes and HTTPS on the gateway: /files works end to end, a node refuses
// every gRPC caller without a certificate from the cluster CA (plaintext
// included), and a node's own certificate may ask for health and stats
// but put, read and delete no chunk (PermissionDenied).
func TestSecurityMutualTLS(t *testing.T) {
	pki := newSecurePKI(t, filepath.Join(t.TempDir(), "certs"))
	c := startCluster(t, harness.Options{
		GatewayTLS: &harness.TLSFiles{CertFile: pki.set.GatewayHTTPS.CertFile, KeyFile: pki.set.GatewayHTTPS.KeyFile},
		GatewayEnv: []string{
			"STORAGE_TLS_CERT=" + pki.set.GatewayClient.CertFile,
			"STORAGE_TLS_KEY=" + pki.set.GatewayClient.KeyFile,
			"STORAGE_TLS_CA=" + pki.set.CAFile,
		},
		NodeEnv: []string{
			"NODE_TLS_CERT=" + pki.node.CertFile,
			"NODE_TLS_KEY=" + pki.node.KeyFile,
			"NODE_TLS_CA=" + pki.set.CAFile,
		},
	})

	t.Run("files over HTTPS and mutual TLS", func(t *testing.T) {
		cl := newClient(t, c)
		cl.http = &http.Client{
			Timeout:   5 * time.Minute,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.roots}, ForceAttemptHTTP2: true},
		}
		const size = 3<<20 + 7 // six chunks, so every chunk crosses a node connection
		resp, up := cl.rawUpload("secure.bin", randomData(41, size), size)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload over HTTPS: %d %s", resp.StatusCode, readAll(resp))
		}
		if resp.TLS == nil {
			t.Fatal("the upload did not go over TLS")
		}
		if got, n := cl.download(up.FileID); got != sha256Of(41, size) || n != size {
			t.Fatalf("download: %d bytes, sha %s; want %d, %s", n, got, size, sha256Of(41, size))
		}
		nodes := map[string]bool{}
		for _, ch := range cl.info(up.FileID).Chunks {
			nodes[ch.ServerAddress] = true
		}
		if len(nodes) != c.NumNodes() {
			t.Errorf("chunks on %d nodes; want all %d, each reached over mutual TLS", len(nodes), c.NumNodes())
		}
	})

	t.Run("plain HTTP is not served", func(t *testing.T) {
		resp, err := http.Get("http://" + c.GatewayAddr() + "/health")
		if err == nil {
			defer resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Fatal("the HTTPS gateway answered plain HTTP with 200")
			}
		}
	})

	t.Run("a node refuses callers without a cluster certificate", func(t *testing.T) {
		addr := c.NodeAddr(0)
		member, err := tls.LoadX509KeyPair(pki.set.GatewayClient.CertFile, pki.set.GatewayClient.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		strangers := newSecurePKI(t, filepath.Join(t.TempDir(), "other-ca"))
		stranger, err := tls.LoadX509KeyPair(strangers.set.GatewayClient.CertFile, strangers.set.GatewayClient.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		tlsTo := func(certs ...tls.Certificate) credentials.TransportCredentials {
			return credentials.NewTLS(&tls.Config{Certificates: certs, RootCAs: pki.roots, ServerName: "127.0.0.1"})
		}
		if err := nodeHealth(t, addr, tlsTo(member)); err != nil {
			t.Fatalf("the gateway's certificate was refused: %v", err)
		}
		refused := []struct {
			name  string
			creds credentials.TransportCredentials
		}{
			{"TLS without a client certificate", tlsTo()},
			{"a client certificate from another CA", tlsTo(stranger)},
			{"plaintext", insecure.NewCredentials()},
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				err := nodeHealth(t, addr, tt.creds)
				if err == nil {
					t.Fatal("the node answered")
				}
				if status.Code(err) != codes.Unavailable {
					t.Errorf("error %v; want Unavailable (refused at the handshake)", err)
				}
			})
		}
	})

	t.Run("only the gateway's certificate touches chunks", func(t *testing.T) {
		addr := c.NodeAddr(0)
		dial := func(p certs.Pair) storagepb.StorageServiceClient {
			cert, err := tls.LoadX509KeyPair(p.CertFile, p.KeyFile)
			if err != nil {
				t.Fatal(err)
			}
			conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(
				credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pki.roots, ServerName: "127.0.0.1"})))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			return storagepb.NewStorageServiceClient(conn)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		missing := "00000000-0000-4000-8000-000000000000"
		// A node's certificate is from the same CA, and may ask for health
		// and stats (the healthprobe does), but not for data.
		node := dial(pki.node)
		if err := nodeHealth(t, addr, credentials.NewTLS(&tls.Config{Certificates: mustPair(t, pki.node), RootCAs: pki.roots, ServerName: "127.0.0.1"})); err != nil {
			t.Errorf("health with a node certificate: %v; want served", err)
		}
		if _, err := node.GetStats(ctx, &storagepb.GetStatsRequest{}); err != nil {
			t.Errorf("GetStats with a node certificate: %v; want served", err)
		}
		if _, err := node.DeleteChunk(ctx, &storagepb.DeleteChunkRequest{ChunkId: missing}); status.Code(err) != codes.PermissionDenied {
			t.Errorf("DeleteChunk with a node certificate: %v; want PermissionDenied", err)
		}
		stream, err := node.GetChunk(ctx, &storagepb.GetChunkRequest{ChunkId: missing})
		if err == nil {
			_, err = stream.Recv()
		}
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("GetChunk with a node certificate: %v; want PermissionDenied", err)
		}
		put, err := node.PutChunk(ctx)
		if err == nil {
			_, err = put.CloseAndRecv()
		}
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("PutChunk with a node certificate: %v; want PermissionDenied", err)
		}
		write := &storagepb.WriteChunkRequest{Header: &storagepb.PutChunkHeader{ChunkId: missing, ExpectedSize: 1}, Data: []byte{1}}
		if _, err := node.WriteChunk(ctx, write); status.Code(err) != codes.PermissionDenied {
			t.Errorf("WriteChunk with a node certificate: %v; want PermissionDenied", err)
		}
		writes := &storagepb.WriteChunksRequest{Writes: []*storagepb.WriteChunkRequest{write}}
		if _, err := node.WriteChunks(ctx, writes); status.Code(err) != codes.PermissionDenied {
			t.Errorf("WriteChunks with a node certificate: %v; want PermissionDenied", err)
		}
		read := &storagepb.ReadChunksRequest{Reads: []*storagepb.GetChunkRequest{{ChunkId: missing, Length: 1}}}
		if _, err := node.ReadChunks(ctx, read); status.Code(err) != codes.PermissionDenied {
			t.Errorf("ReadChunks with a node certificate: %v; want PermissionDenied", err)
		}
		// The gateway's certificate gets past the check: the chunk is
		// simply not there.
		if _, err := dial(pki.set.GatewayClient).DeleteChunk(ctx, &storagepb.DeleteChunkRequest{ChunkId: missing}); status.Code(err) == codes.PermissionDenied {
			t.Errorf("DeleteChunk with the gateway's certificate: %v; want past the identity check", err)
		}
	})
}

func mustPair(t *testing.T, p certs.Pair) []tls.Certificate {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(p.CertFile, p.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return []tls.Certificate{cert}
}

// nodeHealth asks the node at addr for grpc.health.v1 Check.
func nodeHealth(t *testing.T, addr string, creds credentials.TransportCredentials) error {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return errors.New("node is " + resp.GetStatus().String())
	}
	return err
}

// TestSecurityRateLimit runs a gateway limited to one request per two
// seconds with bursts of three, per access key: a key over its limit gets
// 429 on /files and 503 SlowDown on S3 (one bucket for both doors) while
// other keys go on, and it recovers once its bucket refills.
func TestSecurityRateLimit(t *testing.T) {
	const rps, burst = 0.5, 3
	c := startCluster(t, harness.Options{GatewayEnv: []string{
		"RATE_LIMIT_RPS=" + strconv.FormatFloat(rps, 'f', -1, 64),
		"RATE_LIMIT_BURST=" + strconv.Itoa(burst),
		"SIXFOLD_KEYS=limited:limited-secret-0123:readwrite",
	}})
	root := newClient(t, c)
	limited := newClient(t, c)
	limited.key, limited.secret = "limited", "limited-secret-0123"

	// The burst goes through; the request after it is refused.
	var refused *http.Response
	for i := range burst + 2 {
		resp := limited.get("/files")
		readAll(resp)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			if i < burst {
				t.Fatalf("request %d of a burst of %d refused", i+1, burst)
			}
			refused = resp
			break
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /files: %d", resp.StatusCode)
		}
	}
	if refused == nil {
		t.Fatalf("%d requests in a row at %v/s with bursts of %d: none refused", burst+2, rps, burst)
	}
	retryAfter, err := strconv.Atoi(refused.Header.Get("Retry-After"))
	if err != nil || retryAfter < 1 || retryAfter > 2 {
		t.Errorf("Retry-After %q; want 1 or 2 seconds at %v/s", refused.Header.Get("Retry-After"), rps)
	}

	t.Run("the JSON error", func(t *testing.T) {
		resp := limited.get("/files")
		defer resp.Body.Close()
		var body struct {
			Error struct{ Code, Message string }
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusTooManyRequests || body.Error.Code != "SlowDown" {
			t.Errorf("over the limit: %d %+v (%v); want 429 SlowDown", resp.StatusCode, body, err)
		}
	})
	t.Run("S3 shares the key's bucket", func(t *testing.T) {
		status, code := s3ListBuckets(t, c, limited.key, limited.secret)
		if status != http.StatusServiceUnavailable || code != "SlowDown" {
			t.Errorf("ListBuckets over the limit: %d %s; want 503 SlowDown", status, code)
		}
	})
	t.Run("other keys are not limited", func(t *testing.T) {
		resp := root.get("/files")
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("root key: GET /files %d; want 200", resp.StatusCode)
		}
		if status, code := s3ListBuckets(t, c, root.key, root.secret); status != http.StatusOK {
			t.Errorf("root key: ListBuckets %d %s; want 200", status, code)
		}
	})
	t.Run("recovers when the bucket refills", func(t *testing.T) {
		wait := time.Duration(float64(time.Second)/rps) + 500*time.Millisecond
		time.Sleep(wait)
		if status, code := s3ListBuckets(t, c, limited.key, limited.secret); status != http.StatusOK {
			t.Fatalf("ListBuckets after %s: %d %s; want 200", wait, status, code)
		}
		time.Sleep(wait)
		resp := limited.get("/files")
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /files after %s: %d; want 200", wait, resp.StatusCode)
		}
	})
	t.Run("callers without valid credentials are limited by address", func(t *testing.T) {
		guesser := newClient(t, c)
		guesser.secret = "not-the-secret"
		var codes []int
		for range burst + 2 {
			resp := guesser.get("/files")
			resp.Body.Close()
			codes = append(codes, resp.StatusCode)
			if resp.StatusCode == http.StatusTooManyRequests {
				break
			}
		}
		if codes[0] != http.StatusUnauthorized || codes[len(codes)-1] != http.StatusTooManyRequests {
			t.Errorf("wrong secret, repeatedly: %v; want 401s, then 429", codes)
		}
		if status, code := s3ListBuckets(t, c, root.key, "not-the-secret"); status != http.StatusServiceUnavailable || code != "SlowDown" {
			t.Errorf("badly signed S3 request from the same address: %d %s; want 503 SlowDown", status, code)
		}
	})
	t.Run("health checks are not limited", func(t *testing.T) {
		for range 2 * burst {
			resp, err := http.Get(c.GatewayURL() + "/health/live")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /health/live: %d", resp.StatusCode)
			}
		}
	})
}

// s3ListBuckets sends a SigV4-signed ListBuckets and returns the status
// and, for an error, its S3 code.
func s3ListBuckets(t *testing.T, c *harness.Cluster, key, secret string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, c.GatewayURL()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(req.Context(), creds, req, emptySHA256, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		return resp.StatusCode, ""
	}
	var doc struct{ Code string }
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("S3 error body %q: %v", raw, err)
	}
	return resp.StatusCode, doc.Code
}

// TestSecurityConfigFileWithSecrets starts a gateway on a config file that
// holds the root password: refused while every user can read it, served
// once it is chmod 600.
func TestSecurityConfigFileWithSecrets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gateway.yaml")
	key, secret := harness.DefaultRootUser, harness.DefaultRootPassword
	if err := os.WriteFile(path, []byte("auth:\n  root_user: "+key+"\n  root_password: "+secret+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := harness.StartCluster(t.Context(), harness.Options{
		Dir: dir, Nodes: 1, Binaries: binaries, ReadyTimeout: 20 * time.Second,
		GatewayEnv: []string{"SIXFOLD_CONFIG=" + path},
	})
	if err == nil {
		t.Fatal("the gateway started on a world-readable file holding the root password")
	}
	log, _ := os.ReadFile(filepath.Join(dir, "gateway.log"))
	for _, want := range []string{path, "chmod 600", "auth.root_password"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("gateway log does not name %q:\n%s", want, log)
		}
	}
	if strings.Contains(string(log), secret) {
		t.Errorf("gateway log holds the password:\n%s", log)
	}
}
