package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"sixfold/gateway/auth"

	"sixfold/gateway/filesapi"
	"sixfold/gateway/server"
)

// TestRequestLogRedactsPresignedURLs: the request line names the request
// but carries none of a presigned URL's credentials.
func TestRequestLogRedactsPresignedURLs(t *testing.T) {
	const (
		sig   = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
		cred  = "AKIDLOGTEST%2F20250314%2Fus-east-1%2Fs3%2Faws4_request"
		token = "session-token-value"
	)
	var out bytes.Buffer
	s3 := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	e := server.New(server.Deps{Files: filesapi.New(filesapi.Config{}), Keys: auth.NewKeyStore(map[string]string{"ak": "sk"}), Log: zerolog.New(&out), S3: s3})
	target := "/bkt/some/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + cred +
		"&X-Amz-Date=20250314T120000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host" +
		"&X-Amz-Security-Token=" + token + "&x-id=GetObject&X-Amz-Signature=" + sig
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))

	logged := out.String()
	for _, secret := range []string{sig, cred, "AKIDLOGTEST", token} {
		if strings.Contains(logged, secret) {
			t.Errorf("log holds %q:\n%s", secret, logged)
		}
	}
	var line struct {
		Message, Method, URI string
		Status               int
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(logged)), &line); err != nil {
		t.Fatalf("want one JSON request line, got %q: %v", logged, err)
	}
	want := "/bkt/some/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED" +
		"&X-Amz-Date=20250314T120000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host" +
		"&X-Amz-Security-Token=REDACTED&x-id=GetObject&X-Amz-Signature=REDACTED"
	if line.Message != "request" || line.Method != http.MethodGet || line.Status != http.StatusOK || line.URI != want {
		t.Errorf("request line %+v; want GET 200 with uri %q", line, want)
	}
}
