package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	gwconfig "sixfold/gateway/config"
	nodeconfig "sixfold/storagenode/config"
)

// gatewayServices are the gateways behind the load balancer: gateway and
// gateway-2 run the same image and config over the same database.
var gatewayServices = []string{"gateway", "gateway-2"}

// gateways checks every gateway service.
func (c *checker) gateways(pg pgService) {
	for _, name := range gatewayServices {
		c.gateway(name, pg)
	}
}

// gateway loads a gateway service's configuration through the gateway's
// own loader and checks its ports, listen address and database.
func (c *checker) gateway(name string, pg pgService) {
	s := c.p.Services[name]
	if s == nil {
		return
	}
	c.envAccepted(name, s, "gateway", gwconfig.EnvVars)
	c.dependsOnPostgres(name, s, pg)
	env, args, ok := c.containerInputs(name, s, s.Environment["SIXFOLD_CONFIG"])
	if !ok {
		return
	}
	var cfg *gwconfig.Config
	err := withEnv(gwconfig.EnvVars, env, func() (err error) {
		cfg, err = gwconfig.Load(args)
		return err
	})
	if err != nil {
		c.problemf(name, "configuration does not load through gateway/config: %v", err)
		return
	}
	host, port, _ := net.SplitHostPort(cfg.Server.Addr)
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		c.problemf(name, "listens on %s (SIXFOLD_ADDR / server.addr), which nothing outside the container reaches", cfg.Server.Addr)
	}
	c.gatewayPorts(name, s, port)
	c.probePort(name, s, port)
	c.database(name, cfg.Database.DSN(), pg)
	if t := cfg.Storage.TLS; t.CertFile == "" {
		c.problemf(name, "talks to the nodes in plaintext (STORAGE_TLS_* unset); compose runs the cluster with mutual TLS")
	} else {
		c.tlsFiles(name, s, t.CertFile, t.KeyFile, t.CAFile)
	}
}

// gatewayPorts checks that the published ports lead to the listen port.
func (c *checker) gatewayPorts(name string, s *service, listenPort string) {
	if len(s.Ports) == 0 {
		c.problemf(name, "publishes no port")
	}
	for _, p := range s.Ports {
		if p.Target != listenPort {
			c.problemf(name, "ports maps container port %s, but the gateway listens on port %s (SIXFOLD_ADDR / server.addr)", p.Target, listenPort)
		}
	}
}

// nodes loads every storage-N service's configuration through the node's
// own loader and checks its address, listen host, data volume and
// database, and that no two nodes share a name, address or volume.
func (c *checker) nodes(pg pgService) {
	seen := map[string]string{} // name, address or volume -> first node using it
	for _, name := range slices.Sorted(maps.Keys(c.p.Services)) {
		if !strings.HasPrefix(name, "storage-") {
			continue
		}
		s := c.p.Services[name]
		c.envAccepted(name, s, "storagenode", nodeconfig.EnvVars)
		c.dependsOnPostgres(name, s, pg)
		cfg, ok := c.loadNode(name, s)
		if !ok {
			continue
		}
		c.nodeAddress(name, cfg)
		if !cfg.TLS.Enabled() {
			c.problemf(name, "serves plaintext gRPC (NODE_TLS_* unset); compose runs the cluster with mutual TLS")
		} else {
			c.tlsFiles(name, s, cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.CAFile)
		}
		if cfg.Server.MetricsPort == 0 {
			c.problemf(name, "serves no metrics (METRICS_PORT / server.metrics_port is 0), so the scrape config in deploy/README.md finds nothing there")
		}
		c.probePort(name, s, strconv.Itoa(cfg.Server.GRPCPort))
		c.database(name, cfg.Database.DSN(), pg)
		volume := c.dataVolume(name, s, cfg.Storage.DataDir)
		for _, u := range [][2]string{{"name", cfg.Server.Name}, {"address", cfg.Server.Address}, {"data volume", volume}} {
			key := u[0] + "=" + u[1]
			if first, dup := seen[key]; dup && u[1] != "" {
				c.problemf(name, "has the same %s %s as %s", u[0], u[1], first)
			}
			seen[key] = name
		}
	}
}

// loadNode runs the storage node's loader over the service's command and
// environment.
func (c *checker) loadNode(name string, s *service) (nodeconfig.Config, bool) {
	path := flagValue(s.Command, "config")
	if path == "" {
		path = s.Environment["SIXFOLD_CONFIG"]
	}
	env, args, ok := c.containerInputs(name, s, path)
	if !ok {
		return nodeconfig.Config{}, false
	}
	var cfg nodeconfig.Config
	err := withEnv(nodeconfig.EnvVars, env, func() (err error) {
		cfg, err = nodeconfig.Load(args, io.Discard)
		return err
	})
	if err != nil {
		c.problemf(name, "configuration does not load through storagenode/config: %v", err)
		return cfg, false
	}
	return cfg, true
}

// nodeAddress checks that gateways can dial what the node registers: the
// service name and the port it listens on, on every interface.
func (c *checker) nodeAddress(name string, cfg nodeconfig.Config) {
	host, port, _ := net.SplitHostPort(cfg.Server.Address)
	if host != name {
		c.problemf(name, "registers address %s (NODE_ADDRESS / server.address), whose host is not the service name %s that gateways resolve", cfg.Server.Address, name)
	}
	if port != strconv.Itoa(cfg.Server.GRPCPort) {
		c.problemf(name, "registers address %s, but listens on port %d (GRPC_PORT / server.grpc_port)", cfg.Server.Address, cfg.Server.GRPCPort)
	}
	if ip := net.ParseIP(cfg.Server.Host); cfg.Server.Host != "" && (ip == nil || !ip.IsUnspecified()) {
		c.problemf(name, "listens on host %s (GRPC_HOST / server.host); other containers reach it only on 0.0.0.0", cfg.Server.Host)
	}
}

// dataVolume checks that the node's data dir is a named volume of its own
// and returns the volume's name.
func (c *checker) dataVolume(name string, s *service, dataDir string) string {
	for _, m := range s.Volumes {
		if m.Target == dataDir && !m.bind() && m.Source != "" {
			return m.Source
		}
	}
	c.problemf(name, "keeps chunks in %s (DATA_DIR / storage.data_dir), which no named volume is mounted at: they would not survive the container", dataDir)
	return ""
}

// database checks that dsn reaches the postgres service as the user and
// database it creates, with its password.
func (c *checker) database(name, dsn string, pg pgService) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		c.problemf(name, "database settings do not parse: %v", err)
		return
	}
	checks := []struct{ what, got, want string }{
		{"host", cfg.Host, pg.name},
		{"port", strconv.Itoa(int(cfg.Port)), "5432"},
		{"user", cfg.User, pg.user},
		{"database", cfg.Database, pg.database},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			c.problemf(name, "database %s is %q, but the %s service offers %q", ck.what, ck.got, pg.name, ck.want)
		}
	}
	if cfg.Password != pg.password {
		c.problemf(name, "database password differs from the %s service's POSTGRES_PASSWORD", pg.name)
	}
}

// containerInputs returns the service's environment and command with
// container paths under bind mounts replaced by their host paths, so that
// the loaders read the files the container would. configPath, the
// container path of the config file the binary is told to read (may be
// empty), must be mounted and exist.
func (c *checker) containerInputs(name string, s *service, configPath string) (map[string]string, []string, bool) {
	if configPath != "" {
		host, mounted := c.hostPath(s, configPath)
		if !mounted {
			c.problemf(name, "reads config file %s, which no volume mounts", configPath)
			return nil, nil, false
		}
		if _, err := os.Stat(host); err != nil {
			return nil, nil, false // volumes reports the missing source
		}
	}
	env := map[string]string{}
	for k, v := range s.Environment {
		env[k] = c.rewrite(s, v)
	}
	args := make([]string, len(s.Command))
	for i, a := range s.Command {
		if flag, val, ok := strings.Cut(a, "="); ok && strings.HasPrefix(a, "-") {
			args[i] = flag + "=" + c.rewrite(s, val)
			continue
		}
		args[i] = c.rewrite(s, a)
	}
	return env, args, true
}

// rewrite maps v to its host path when it is a container path under a
// bind mount, and leaves it alone otherwise.
func (c *checker) rewrite(s *service, v string) string {
	if host, ok := c.hostPath(s, v); ok {
		return host
	}
	return v
}

// hostPath maps a container path under one of the service's bind mounts
// to the host path.
func (c *checker) hostPath(s *service, containerPath string) (string, bool) {
	for _, m := range s.Volumes {
		if !m.bind() || !strings.HasPrefix(containerPath, "/") {
			continue
		}
		if containerPath == m.Target || strings.HasPrefix(containerPath, m.Target+"/") {
			return c.p.resolve(m.Source) + strings.TrimPrefix(containerPath, m.Target), true
		}
	}
	return "", false
}

// flagValue returns the value of -name or --name in args ("-name v" or
// "-name=v"), or "".
func flagValue(args []string, name string) string {
	for i, a := range args {
		a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

// withEnv runs fn with the variables in accepted set as env says (and
// unset where it says nothing), restoring the process environment after.
// Variables outside accepted are left alone: the loader does not read them.
func withEnv(accepted []string, env map[string]string, fn func() error) error {
	saved := map[string]string{}
	for _, k := range accepted {
		if v, ok := os.LookupEnv(k); ok {
			saved[k] = v
		}
		os.Unsetenv(k)
	}
	defer func() {
		for _, k := range accepted {
			os.Unsetenv(k)
			if v, ok := saved[k]; ok {
				os.Setenv(k, v)
			}
		}
	}()
	var errs []error
	for k, v := range env {
		if slices.Contains(accepted, k) {
			errs = append(errs, os.Setenv(k, v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("environment: %w", err)
	}
	return fn()
}

// resolveIn returns path relative to dir unless it is absolute.
func resolveIn(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
