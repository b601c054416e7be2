package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the project directory of the real docker-compose.yml.
const repoRoot = "../../.."

// requiredCompose sets what docker-compose.yml requires (no default
// passwords), as make compose-check does.
func requiredCompose(t *testing.T) {
	t.Setenv("SIXFOLD_ROOT_PASSWORD", "compose-check-only")
	t.Setenv("SIXFOLD_DB_PASSWORD", "compose-check-only")
}

func TestRealComposeFileAgrees(t *testing.T) {
	requiredCompose(t)
	if problems := check(filepath.Join(repoRoot, "docker-compose.yml"), repoRoot); len(problems) != 0 {
		t.Fatalf("docker-compose.yml: %s", strings.Join(problems, "\n"))
	}
}

// brokenCopy writes the real compose file with each old string replaced
// by the new one after it to a temp file, and returns its path.
func brokenCopy(t *testing.T, replacements ...string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for i := 0; i+1 < len(replacements); i += 2 {
		if !strings.Contains(text, replacements[i]) {
			t.Fatalf("docker-compose.yml has no %q to break", replacements[i])
		}
		text = strings.Replace(text, replacements[i], replacements[i+1], 1)
	}
	path := filepath.Join(t.TempDir(), "docker-compose.yml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeTemp writes content to name in a fresh temp dir and returns the path.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBrokenComposeFilesAreNamed(t *testing.T) {
	requiredCompose(t)
	badGatewayConfig := writeTemp(t, "gateway.yaml", "server:\n  adress: 0.0.0.0:8080\n")
	rootImage := filepath.Dir(writeTemp(t, "ctx/Dockerfile", "FROM golang:1.26 AS build\nFROM debian:12\nUSER root\n"))
	tests := []struct {
		name         string
		replacements []string
		want         string
	}{
		{"not YAML", []string{"services:", "services: ["}, "does not parse"},
		{"a node missing", []string{"  storage-6:\n", "  storage-9:\n"}, "storage-6: service is missing"},
		{"unknown variable", []string{"NODE_NAME: storage-2", "NODE_NAME: storage-2\n      NODE_ADRESS: storage-2:9001"},
			"storage-2: environment variable NODE_ADRESS is not one the storagenode binary reads"},
		{"gateway-only variable on a node", []string{"NODE_NAME: storage-3", "NODE_NAME: storage-3\n      HEARTBEAT_TIMEOUT: 30s"},
			"storage-3: environment variable HEARTBEAT_TIMEOUT is not one the storagenode binary reads"},
		{"a value the loader refuses", []string{"NODE_NAME: storage-4", "NODE_NAME: storage-4\n      HEARTBEAT_INTERVAL: ten"},
			`storage-4: configuration does not load through storagenode/config: HEARTBEAT_INTERVAL: "ten"`},
		{"node metrics off", []string{`METRICS_PORT: "9101"`, `METRICS_PORT: "0"`},
			"storage-1: serves no metrics (METRICS_PORT / server.metrics_port is 0)"},
		{"node metrics on the gRPC port", []string{`METRICS_PORT: "9101"`, `METRICS_PORT: "9001"`},
			"storage-1: configuration does not load through storagenode/config: server.metrics_port: 9001 is already server.grpc_port"},
		{"address names another service", []string{"NODE_ADDRESS: storage-3:9001", "NODE_ADDRESS: storage-2:9001"},
			"storage-3: registers address storage-2:9001 (NODE_ADDRESS / server.address), whose host is not the service name storage-3"},
		{"address port is not the gRPC port", []string{"NODE_ADDRESS: storage-5:9001", "NODE_ADDRESS: storage-5:9005"},
			"storage-5: registers address storage-5:9005, but listens on port 9001"},
		{"nodes listen on another port than probed", []string{`GRPC_PORT: "9001"`, `GRPC_PORT: "9002"`},
			`storage-1: healthcheck probes 127.0.0.1:9001, but the service listens on port 9002`},
		{"nodes listen on loopback", []string{"GRPC_HOST: 0.0.0.0", "GRPC_HOST: 127.0.0.1"},
			"storage-1: listens on host 127.0.0.1 (GRPC_HOST / server.host)"},
		{"gateway port mapping", []string{`"127.0.0.1:8081:8080"`, `"127.0.0.1:8081:8081"`},
			"gateway: ports maps container port 8081, but the gateway listens on port 8080"},
		{"second gateway port mapping", []string{`"127.0.0.1:8082:8080"`, `"127.0.0.1:8082:9000"`},
			"gateway-2: ports maps container port 9000, but the gateway listens on port 8080"},
		{"balancer config missing", []string{"./deploy/nginx.conf:", "./deploy/nginx-missing.conf:"},
			"lb: mounts ./deploy/nginx-missing.conf at /etc/nginx/nginx.conf, but"},
		{"gateway listens on loopback", []string{"SIXFOLD_ADDR: 0.0.0.0:8080", "SIXFOLD_ADDR: 127.0.0.1:8080"},
			"gateway: listens on 127.0.0.1:8080 (SIXFOLD_ADDR / server.addr), which nothing outside the container reaches"},
		{"database host", []string{"STORAGE_TLS_CA: /certs/ca.pem\n    volumes:", "STORAGE_TLS_CA: /certs/ca.pem\n      DATABASE_HOST: db\n    volumes:"},
			`gateway: database host is "db", but the postgres service offers "postgres"`},
		{"database password", []string{"POSTGRES_PASSWORD: *db-password", "POSTGRES_PASSWORD: other-secret"},
			"gateway: database password differs from the postgres service's POSTGRES_PASSWORD"},
		{"no healthcheck", []string{"    healthcheck:\n      # Over TCP", "    x-healthcheck:\n      # Over TCP"},
			"postgres: has no healthcheck"},
		{"undeclared volume", []string{"  storage-6-data:\n", ""},
			`storage-6: mounts volume "storage-6-data", which the top-level volumes section does not declare`},
		{"shared data volume", []string{"storage-2-data:/data", "storage-1-data:/data"},
			"storage-2: has the same data volume storage-1-data as storage-1"},
		{"data dir not on a volume", []string{"      - storage-4-data:/data\n", ""},
			"storage-4: keeps chunks in /data (DATA_DIR / storage.data_dir), which no named volume is mounted at"},
		{"missing config file", []string{"./config/gateway.yaml:", "./config/gateway.yml:"},
			"gateway: mounts ./config/gateway.yml at /etc/sixfold/gateway.yaml, but"},
		{"config file not mounted", []string{"SIXFOLD_CONFIG: /etc/sixfold/gateway.yaml", "SIXFOLD_CONFIG: /etc/gateway.yaml"},
			"gateway: reads config file /etc/gateway.yaml, which no volume mounts"},
		{"node config named by SIXFOLD_CONFIG, not mounted", []string{`command: ["-config", "/etc/sixfold/storagenode.yaml"]`, "",
			`METRICS_PORT: "9101"`, "METRICS_PORT: \"9101\"\n  SIXFOLD_CONFIG: /etc/sixfold/node.yaml"},
			"storage-1: reads config file /etc/sixfold/node.yaml, which no volume mounts"},
		{"unknown key in a config file", []string{"./config/gateway.yaml:", badGatewayConfig + ":"},
			"gateway: configuration does not load through gateway/config: config " + badGatewayConfig + ": yaml: unmarshal errors:\n  line 2: field adress not found"},
		{"missing Dockerfile", []string{"dockerfile: gateway/Dockerfile", "dockerfile: gateway/Dockerfile.missing"},
			"gateway/Dockerfile.missing does not exist"},
		{"image runs as root", []string{"context: .\n      dockerfile: gateway/Dockerfile", "context: " + rootImage},
			"the final stage runs as root (USER root)"},
		{"a node in plaintext", []string{"  NODE_TLS_CA: /certs/ca.pem\n", "  NODE_ALLOW_INSECURE: \"true\"\n",
			"      NODE_TLS_CERT: /certs/node-storage-2.pem\n      NODE_TLS_KEY: /certs/node-storage-2-key.pem\n", ""},
			"storage-2: serves plaintext gRPC (NODE_TLS_* unset)"},
		{"gateway in plaintext", []string{"      STORAGE_TLS_CERT: /certs/gateway-client.pem\n      STORAGE_TLS_KEY: /certs/gateway-client-key.pem\n      STORAGE_TLS_CA: /certs/ca.pem\n", ""},
			"gateway: talks to the nodes in plaintext (STORAGE_TLS_* unset)"},
		{"certificates not mounted", []string{"      - ./config/gateway.yaml:/etc/sixfold/gateway.yaml:ro\n      - certs:/certs:ro\n", "      - ./config/gateway.yaml:/etc/sixfold/gateway.yaml:ro\n"},
			"gateway: reads /certs/gateway-client.pem, which no volume mounts"},
		{"required variable unset", []string{"${SIXFOLD_ROOT_USER:-sixfoldadmin}", "${SIXFOLD_ROOT_USER:?set it}"},
			"service gateway: ${SIXFOLD_ROOT_USER} must be set: set it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := check(brokenCopy(t, tt.replacements...), repoRoot)
			if !strings.Contains(strings.Join(problems, "\n"), tt.want) {
				t.Fatalf("problems:\n%s\nwant one containing %q", strings.Join(problems, "\n"), tt.want)
			}
		})
	}
}

func TestCheckNonRoot(t *testing.T) {
	tests := []struct {
		name, dockerfile, want string // want "" means no error
	}{
		{"nonroot base", "FROM golang AS build\nFROM gcr.io/distroless/static-debian12:nonroot\n", ""},
		{"numeric user", "FROM debian:12\nUSER 65532:65532\n", ""},
		{"user in an earlier stage only", "FROM debian AS build\nUSER 1000\nFROM debian:12\n", "has no USER line"},
		{"uid 0", "FROM gcr.io/distroless/static-debian12:nonroot\nUSER 0:0\n", "runs as root (USER 0:0)"},
		{"continued lines and comments", "# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM debian:12 \\\n  AS final\nRUN true \\\n  && true\nuser app\n", ""},
		{"no FROM", "# empty\n", "has no FROM line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkNonRoot(writeTemp(t, "Dockerfile", tt.dockerfile))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v; want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestInterpolate(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{"${A:-x}", "x", ""},
		{"${A-x y}", "x y", ""},
		{"pre-${A}-$B-post", "pre---post", ""},
		{"$$HOME", "$HOME", ""},
		{"${A:?needed}", "", "${A} must be set: needed"},
	}
	for _, tt := range tests {
		got, err := interpolate(tt.in)
		if got != tt.want || (err == nil) != (tt.wantErr == "") || (err != nil && err.Error() != tt.wantErr) {
			t.Errorf("interpolate(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestComposeRequiresPasswords(t *testing.T) {
	problems := check(filepath.Join(repoRoot, "docker-compose.yml"), repoRoot)
	all := strings.Join(problems, "\n")
	for _, v := range []string{"SIXFOLD_ROOT_PASSWORD", "SIXFOLD_DB_PASSWORD"} {
		if !strings.Contains(all, "${"+v+"} must be set") {
			t.Errorf("docker-compose.yml works without %s (problems: %s); want it required", v, all)
		}
	}
}
