package db

// EnvVars are the environment variables Config.ApplyEnv reads. Binaries
// that embed Config list them among their own (see e2e/cmd/composecheck,
// which refuses a docker-compose.yml that sets any variable its binary
// does not read).
var EnvVars = []string{
	"DATABASE_URL", "DATABASE_HOST", "DATABASE_PORT", "DATABASE_USER",
	"DATABASE_PASSWORD", "DATABASE_NAME", "DATABASE_SSLMODE",
}
