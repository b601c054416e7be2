package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// The test binary doubles as fake storagenode and gateway programs, chosen by
// this variable, so that StartCluster can be tested against the binaries'
// environment contract without the real programs.
const fakeRoleEnv = "HARNESS_FAKE_ROLE"

// runFake runs the fake program named by fakeRoleEnv, if any, and reports
// whether it did.
func runFake() (bool, error) {
	switch os.Getenv(fakeRoleEnv) {
	case "node":
		return true, fakeNode()
	case "gateway":
		return true, fakeGateway()
	default:
		return false, nil
	}
}

// fakeNode accepts TCP connections on GRPC_HOST:GRPC_PORT and records its
// identity in DATA_DIR.
func fakeNode() error {
	l, err := net.Listen("tcp", net.JoinHostPort(os.Getenv("GRPC_HOST"), os.Getenv("GRPC_PORT")))
	if err != nil {
		return err
	}
	id := os.Getenv("NODE_NAME") + " " + os.Getenv("NODE_ADDRESS") + " " + os.Getenv("HEARTBEAT_INTERVAL")
	if err := os.WriteFile(filepath.Join(os.Getenv("DATA_DIR"), "identity"), []byte(id), 0o644); err != nil {
		return err
	}
	go acceptAndClose(l)
	waitForTerm()
	return nil
}

func acceptAndClose(l net.Listener) {
	for {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		conn.Close()
	}
}

func waitForTerm() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
}

// fakeGateway serves /health (200 once DATABASE_URL answers) and /env (the
// variables the harness sets) on SIXFOLD_ADDR.
func fakeGateway() error {
	if msg := os.Getenv("HARNESS_FAKE_FAIL"); msg != "" {
		return fmt.Errorf("%s", msg)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", fakeHealth)
	mux.HandleFunc("GET /env", fakeEnv)
	srv := &http.Server{Addr: os.Getenv("SIXFOLD_ADDR"), Handler: mux}
	go func() {
		waitForTerm()
		srv.Close()
	}()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}

func fakeHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	conn.Close(ctx)
	// The fake knows no nodes; it claims more than any test starts.
	fmt.Fprintln(w, `{"status":"healthy","database":"connected","storage_servers":1000,"active_uploads":0}`)
}

func fakeEnv(w http.ResponseWriter, _ *http.Request) {
	env := map[string]string{}
	for _, k := range []string{"SIXFOLD_ADDR", "DATABASE_URL", EnvRootUser, EnvRootPassword,
		"RING_REFRESH_INTERVAL", "HEARTBEAT_TIMEOUT", "SESSION_TIMEOUT", "CLEANUP_INTERVAL", "EXTRA"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	_ = json.NewEncoder(w).Encode(env)
}
