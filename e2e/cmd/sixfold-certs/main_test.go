package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	var out strings.Builder
	if err := run([]string{"-dir", dir, "-nodes", "storage-1, 127.0.0.1:9002", "-gateway-hosts", "gw.test"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ca.pem", "ca-key.pem", "gateway-client.pem", "gateway-https-key.pem", "node-storage-1.pem", "node-127.0.0.1-key.pem"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, want := range []string{"STORAGE_TLS_CA=", "NODE_TLS_CERT=" + filepath.Join(dir, "node-storage-1.pem"), "SIXFOLD_TLS_CERT="} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
