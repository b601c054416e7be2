package config

import "sixfold/db"

// EnvVars are the environment variables Load reads, the database ones
// included. e2e/cmd/composecheck refuses a docker-compose.yml that gives
// a storage node any other, and its tests check this list against this
// package's source.
var EnvVars = append([]string{
	"SIXFOLD_CONFIG", "GRPC_HOST", "GRPC_PORT", "METRICS_PORT", "NODE_NAME", "NODE_ADDRESS",
	"DATA_DIR", "VIRTUAL_NODES", "HEARTBEAT_INTERVAL",
	"SCRUB_INTERVAL", "SCRUB_BYTES_PER_SECOND", "SWEEP_INTERVAL", "SWEEP_MIN_AGE",
	"NODE_TLS_CERT", "NODE_TLS_KEY", "NODE_TLS_CA", "NODE_ALLOW_INSECURE", "NODE_TLS_GATEWAY_NAME",
	"LOG_LEVEL", "PPROF_ADDR",
}, db.EnvVars...)
