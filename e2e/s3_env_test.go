package e2e_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"sixfold/e2e/harness"
)

// s3Case is one named scenario run against both transports.
type s3Case struct {
	name string
	run  func(t *testing.T, e *s3Env)
}

// s3Cases is the whole S3 suite, in the order it runs.
var s3Cases = []s3Case{
	{"GoV2/Buckets", goV2Buckets},
	{"GoV2/Objects", goV2Objects},
	{"GoV2/ListAndDeleteObjects", goV2ListAndDeleteObjects},
	{"GoV2/CopyObject", goV2Copy},
	{"GoV2/Presigned", goV2Presigned},
	{"GoV2/TransferManager", goV2TransferManager},
	{"Keys", s3Keys},
	{"MinioGo", minioSuite},
	{"AWSCLI", awsCLISuite},
	{"Raw", rawSuite},
	{"FilesDoor", filesDoor},
	{"Framing", checkFraming},
}

// TestS3 drives the S3 door of a real cluster with aws-sdk-go-v2, minio-go,
// the aws CLI and hand-built requests, once over plain HTTP and once over
// HTTPS, where every client frames its uploads differently.
func TestS3(t *testing.T) {
	fx := newS3Fixtures(t)
	for _, secure := range []bool{false, true} {
		name := "http"
		if secure {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			e := newS3Env(t, secure, fx)
			for _, c := range s3Cases {
				t.Run(c.name, func(t *testing.T) { c.run(t, e) })
			}
		})
	}
}

// s3Env is one cluster and the clients pointed at it.
type s3Env struct {
	cluster     *harness.Cluster
	secure      bool
	url         string // gateway base URL
	key, secret string
	roots       *x509.CertPool // nil over plain HTTP
	caPEM       []byte         // the test CA, PEM; nil over plain HTTP
	caFile      string         // caPEM on disk, for the CLI and curl
	http        *http.Client   // trusts the test CA (and speaks h2 over TLS)
	s3          *s3.Client     // aws-sdk-go-v2 with its defaults
	fx          *s3Fixtures
	wire        wireLog // how the SDKs framed their uploads
}

// newS3Env uses the shared plain-HTTP cluster, or starts one HTTPS cluster
// with a freshly made self-signed certificate for 127.0.0.1.
func newS3Env(t *testing.T, secure bool, fx *s3Fixtures) *s3Env {
	t.Helper()
	e := &s3Env{secure: secure, fx: fx}
	if secure {
		dir := t.TempDir()
		files := writeSelfSignedCert(t, dir)
		e.caFile = files.CertFile
		e.caPEM, e.roots = loadRoots(t, files.CertFile)
		e.cluster = startCluster(t, harness.Options{
			GatewayTLS: &files,
			// The harness (as of this writing) does not hand GatewayTLS to
			// the gateway's environment; these make it serve HTTPS anyway.
			GatewayEnv: []string{"SIXFOLD_TLS_CERT=" + files.CertFile, "SIXFOLD_TLS_KEY=" + files.KeyFile},
		})
	} else {
		e.cluster = sharedCluster(t)
		// The shared cluster outlives this test, so its own cleanup never
		// shows this test's failure the gateway's side of it.
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("shared gateway's log tail:\n%s", tail(e.cluster.GatewayLogPath(), 200))
			}
		})
	}
	e.url = e.cluster.GatewayURL()
	e.key, e.secret = e.cluster.Credentials()
	e.http = &http.Client{Transport: e.transport()}
	e.s3 = newGoV2Client(t, e)
	return e
}

// transport is a fresh transport that trusts the test CA; over TLS it
// negotiates HTTP/2 as the AWS SDK's own transport does.
func (e *s3Env) transport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if e.roots != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: e.roots}
		tr.ForceAttemptHTTP2 = true
	}
	return tr
}

// ctx bounds one subtest's client calls.
func (e *s3Env) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var bucketSeq atomic.Int64

// bucketName is a fresh bucket name: base plus a number unique in this
// process, so reruns against the shared cluster never collide.
func bucketName(base string) string {
	return fmt.Sprintf("%s-%d", base, bucketSeq.Add(1))
}

// writeSelfSignedCert writes a self-signed CA certificate valid for
// 127.0.0.1 and localhost, and its key, as PEM files in dir.
func writeSelfSignedCert(t *testing.T, dir string) harness.TLSFiles {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "sixfold e2e"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	files := harness.TLSFiles{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem")}
	writePEM(t, files.CertFile, "CERTIFICATE", der)
	writePEM(t, files.KeyFile, "PRIVATE KEY", keyDER)
	return files
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// loadRoots reads a PEM file into a pool holding only it.
func loadRoots(t *testing.T, path string) ([]byte, *x509.CertPool) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(raw) {
		t.Fatalf("no certificate in %s", path)
	}
	return raw, pool
}

// fixture is a file of random bytes on disk.
type fixture struct {
	path string
	size int64
	sha  string // hex SHA-256
}

// s3Fixtures are the files several clients upload; both transports share
// them so the big ones are written once.
type s3Fixtures struct {
	dir                       string
	small, exact8, over8, big fixture
}

func newS3Fixtures(t *testing.T) *s3Fixtures {
	t.Helper()
	fx := &s3Fixtures{dir: t.TempDir()}
	fx.small = writeFixture(t, fx.dir, "small.bin", 301, 1<<10)
	fx.exact8 = writeFixture(t, fx.dir, "exact8.bin", 302, 8<<20)
	fx.over8 = writeFixture(t, fx.dir, "over8.bin", 303, 8<<20+1)
	fx.big = writeFixture(t, fx.dir, "big.bin", 304, 100<<20)
	return fx
}

// writeFixture writes size bytes of randomData(seed) to dir/name.
func writeFixture(t *testing.T, dir, name string, seed uint64, size int64) fixture {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), randomData(seed, size)); err != nil {
		t.Fatal(err)
	}
	return fixture{path: path, size: size, sha: hex.EncodeToString(h.Sum(nil))}
}

// fileSHA returns the hex SHA-256 and length of a file.
func fileSHA(t *testing.T, path string) (string, int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readerSHA(t, f)
}

// readerSHA drains r and returns its hex SHA-256 and length.
func readerSHA(t *testing.T, r io.Reader) (string, int64) {
	t.Helper()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		t.Fatalf("reading after %d bytes: %v", n, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}
