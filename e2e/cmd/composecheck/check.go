package main

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
)

// requiredServices must exist; storage-1 … storage-6 are added by check.
var requiredServices = []string{"postgres", "gateway", "gateway-2", "lb"}

// storageNodes is how many storage-N services the topology has.
const storageNodes = 6

// checker collects every disagreement it finds, in a stable order.
type checker struct {
	p        *project
	problems []string
}

// problemf records one disagreement, naming the service it is about.
func (c *checker) problemf(service, format string, args ...any) {
	c.problems = append(c.problems, service+": "+fmt.Sprintf(format, args...))
}

// check validates the compose file at path against the binaries' config
// loaders and the files it references, with dir as the project directory.
// It returns the problems found, none when everything agrees.
func check(path, dir string) []string {
	p, err := loadProject(path, dir)
	if err != nil {
		return []string{err.Error()}
	}
	c := &checker{p: p}
	c.servicesExist()
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		c.healthcheck(name, s)
		c.volumes(name, s)
		c.image(name, s)
	}
	pg := c.postgres()
	c.gateways(pg)
	c.nodes(pg)
	return c.problems
}

// servicesExist checks for postgres, both gateways, the load balancer and
// storage-1 … storage-6.
func (c *checker) servicesExist() {
	want := slices.Clone(requiredServices)
	for i := 1; i <= storageNodes; i++ {
		want = append(want, fmt.Sprintf("storage-%d", i))
	}
	for _, name := range want {
		if c.p.Services[name] == nil {
			c.problemf(name, "service is missing (the topology is postgres, gateway, gateway-2, lb, storage-1 … storage-%d)", storageNodes)
		}
	}
}

// healthcheck checks that the service has a healthcheck that runs. A
// one-shot job (restart "no", such as the certs job) has nothing to
// check: what waits for it waits for it to complete.
func (c *checker) healthcheck(name string, s *service) {
	if s.Restart == "no" {
		return
	}
	h := s.Healthcheck
	if h == nil || h.Disable || len(h.Test) == 0 || h.Test[0] == "NONE" {
		c.problemf(name, "has no healthcheck (depends_on conditions and operators rely on one)")
	}
}

// mounts reports whether containerPath lies under one of s's mounts.
func (s *service) mounts(containerPath string) bool {
	for _, m := range s.Volumes {
		if containerPath == m.Target || strings.HasPrefix(containerPath, strings.TrimSuffix(m.Target, "/")+"/") {
			return true
		}
	}
	return false
}

// tlsFiles checks that a service's TLS files are inside what it mounts,
// so that they exist in the container.
func (c *checker) tlsFiles(name string, s *service, files ...string) {
	for _, f := range files {
		if f != "" && !s.mounts(f) {
			c.problemf(name, "reads %s, which no volume mounts", f)
		}
	}
}

// volumes checks that bind sources exist and named volumes are declared.
func (c *checker) volumes(name string, s *service) {
	for _, m := range s.Volumes {
		switch {
		case m.bind():
			if _, err := os.Stat(c.p.resolve(m.Source)); err != nil {
				c.problemf(name, "mounts %s at %s, but %s does not exist", m.Source, m.Target, c.p.resolve(m.Source))
			}
		case m.Source != "":
			if _, ok := c.p.Volumes[m.Source]; !ok {
				c.problemf(name, "mounts volume %q, which the top-level volumes section does not declare", m.Source)
			}
		}
	}
}

// image checks that a built service's context and Dockerfile exist and
// that the image runs as a non-root user.
func (c *checker) image(name string, s *service) {
	if s.Build == nil {
		if s.Image == "" {
			c.problemf(name, "has neither build nor image")
		}
		return
	}
	ctx := c.p.resolve(s.Build.Context)
	if st, err := os.Stat(ctx); err != nil || !st.IsDir() {
		c.problemf(name, "build context %s is not a directory", ctx)
		return
	}
	dockerfile := s.Build.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	if err := checkNonRoot(resolveIn(ctx, dockerfile)); err != nil {
		c.problemf(name, "%v", err)
	}
}

// pgService is what the postgres service is told: the database the others
// must reach.
type pgService struct {
	name, user, password, database string
}

// postgres reads the postgres service's POSTGRES_* settings, with the
// image's defaults.
func (c *checker) postgres() pgService {
	pg := pgService{name: "postgres", user: "postgres"}
	s := c.p.Services[pg.name]
	if s == nil {
		return pg
	}
	if v := s.Environment["POSTGRES_USER"]; v != "" {
		pg.user = v
	}
	pg.password = s.Environment["POSTGRES_PASSWORD"]
	pg.database = pg.user
	if v := s.Environment["POSTGRES_DB"]; v != "" {
		pg.database = v
	}
	return pg
}

// dependsOnPostgres checks that the service starts after postgres.
func (c *checker) dependsOnPostgres(name string, s *service, pg pgService) {
	if !slices.Contains(s.DependsOn, pg.name) {
		c.problemf(name, "does not depend_on %s", pg.name)
	}
}

// envAccepted checks every environment variable against what the binary
// reads.
func (c *checker) envAccepted(name string, s *service, binary string, accepted []string) {
	for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
		if !slices.Contains(accepted, k) {
			c.problemf(name, "environment variable %s is not one the %s binary reads (it reads %s)",
				k, binary, strings.Join(accepted, ", "))
		}
	}
}

// probePort checks that every address the healthcheck probes (an -addr
// host:port or a URL) uses the port the service listens on.
func (c *checker) probePort(name string, s *service, listenPort string) {
	if s.Healthcheck == nil {
		return
	}
	test := s.Healthcheck.Test
	for i, arg := range test {
		var port string
		switch {
		case strings.Contains(arg, "://"):
			if u, err := url.Parse(arg); err == nil {
				port = u.Port()
			}
		case i > 0 && (test[i-1] == "-addr" || test[i-1] == "--addr"):
			_, port, _ = net.SplitHostPort(arg)
		}
		if port != "" && port != listenPort {
			c.problemf(name, "healthcheck probes %s, but the service listens on port %s", arg, listenPort)
		}
	}
}
