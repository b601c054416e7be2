package config

import "sixfold/db"

// EnvVars are the environment variables Load reads, the database ones
// included. e2e/cmd/composecheck refuses a docker-compose.yml that gives
// the gateway any other, and its tests check this list against this
// package's source.
var EnvVars = append([]string{
	"SIXFOLD_CONFIG", "SIXFOLD_ADDR", "SIXFOLD_TLS_CERT", "SIXFOLD_TLS_KEY",
	"SIXFOLD_ROOT_USER", "SIXFOLD_ROOT_PASSWORD", "SIXFOLD_KEYS",
	"SIXFOLD_MASTER_KEY", "SIXFOLD_MASTER_KEY_FILE",
	"SPOOL_DIR", "SPOOL_MAX_BYTES", "LOG_LEVEL", "PPROF_ADDR", "S3_REGION", "S3_DOMAIN",
	"RING_REFRESH_INTERVAL", "SESSION_TIMEOUT", "CLEANUP_INTERVAL", "MULTIPART_MAX_AGE",
	"HEARTBEAT_TIMEOUT", "SHUTDOWN_TIMEOUT", "BODY_READ_TIMEOUT",
	"STORAGE_TLS_CERT", "STORAGE_TLS_KEY", "STORAGE_TLS_CA",
	"SIXFOLD_ALLOWED_CIDRS", "RATE_LIMIT_RPS", "RATE_LIMIT_BURST",
	"AUTH_FAILURE_RPS", "AUTH_FAILURE_BURST",
	"STALL_TIMEOUT", "PARITY_SHARDS", "HEAL_AFTER", "HEAL_INTERVAL", "HEAL_BYTES_PER_SECOND", "STATS_INTERVAL",
	"CONSOLE_SESSION_TTL",
	"GC_RETENTION",
}, db.EnvVars...)
