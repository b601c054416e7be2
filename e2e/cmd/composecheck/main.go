// Command composecheck validates docker-compose.yml without a Docker
// engine, so that `make test` catches a compose file that has drifted from
// the binaries it runs. It checks that:
//
//   - the file parses and has the services postgres, gateway and
//     storage-1 … storage-6, each with a healthcheck;
//   - every environment variable given to the gateway or a node is one its
//     binary reads (gateway/config.EnvVars, storagenode/config.EnvVars);
//   - every bind-mounted file exists, every named volume is declared, and
//     the config file each binary is told to read is mounted and loads
//     through that binary's own config loader with the service's
//     environment and command applied (unknown keys are errors there);
//   - addresses and ports agree: a node registers <service name>:GRPC_PORT
//     and listens on 0.0.0.0, the gateway's published container port is
//     the port of SIXFOLD_ADDR, healthchecks probe the listening port, and
//     every database setting points at the postgres service with its
//     user, database and password; no two nodes share a name, address or
//     data volume, and each keeps its data dir on a named volume;
//   - every node serves metrics (METRICS_PORT), for deploy/README.md's
//     scrape config;
//   - each built image's Dockerfile exists and its final stage runs as a
//     non-root user.
//
// Variables in the compose file resolve as if none were set (${X:-def}
// takes def). It prints every disagreement and exits 1, or exits 0.
//
// Usage:
//
//	composecheck [-f docker-compose.yml] [-project-directory dir]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	file := flag.String("f", "docker-compose.yml", "compose file")
	dir := flag.String("project-directory", "", "directory relative paths resolve against (default: the compose file's)")
	flag.Parse()
	if *dir == "" {
		*dir = filepath.Dir(*file)
	}
	problems := check(*file, *dir)
	for _, p := range problems {
		fmt.Fprintf(os.Stderr, "compose-check: %s: %s\n", *file, p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "compose-check: %s: %d problem(s)\n", *file, len(problems))
		os.Exit(1)
	}
	fmt.Printf("compose-check: %s agrees with the binaries, their config files and Dockerfiles\n", *file)
}
