// Package harness starts a real sixfold cluster — a private PostgreSQL, storage
// nodes and a gateway — as operating-system processes on one machine. The
// end-to-end tests drive it, and so does the dev command behind `make run`, so
// what developers poke at by hand is exactly what the tests exercise.
//
// The binaries are configured only through their documented environment
// variables; the harness never imports gateway or storagenode code.
//
// # Environment
//
//   - SIXFOLD_TEST_DATABASE_URL: a PostgreSQL server to use instead of starting
//     a private one. Each cluster creates a fresh, uniquely named database there
//     and drops it on Close.
//   - SIXFOLD_BIN_DIR: a directory holding prebuilt storagenode and gateway
//     binaries; without it they are built from the workspace.
//   - SIXFOLD_ROOT_USER, SIXFOLD_ROOT_PASSWORD: the gateway's root credentials
//     (default sixfoldadmin / sixfoldadmin-secret).
//
// # Process lifetime
//
// Every child is started with a parent-death signal on Linux, so a test binary
// that crashes or is killed does not leave servers behind, and in its own
// process group, so a Ctrl-C at the terminal reaches only the harness, which
// then shuts the children down in order.
//
// # Faults
//
// A gateway or node that exits without the harness asking is reported on
// Cluster.Crashes as a *CrashError (name, pid, exit status, log); the harness
// leaves the rest running and the caller decides what to do: a test fails,
// sixfold-dev tells the user and keeps serving. StartNode and RestartGateway
// bring a crashed member back; Postgres.Crashes and Postgres.Start do the
// same for a private PostgreSQL. Options.Standby adds a synchronous
// streaming standby (Postgres.StartStandby); Postgres.Kill takes a server
// down as a power loss would and Postgres.Promote is pg_ctl promote, so a
// test can fail the database over under load. Tests inject faults with KillNode (SIGKILL),
// StopNode (SIGTERM), FreezeNode and ThawNode (SIGSTOP and SIGCONT: a hung
// node whose sockets still accept) and WipeNodeData (a stopped node's data
// dir emptied, as after an unmounted volume); Members says what each process
// is doing now.
package harness

// Environment variables the harness reads.
const (
	EnvTestDatabaseURL = "SIXFOLD_TEST_DATABASE_URL"
	EnvBinDir          = "SIXFOLD_BIN_DIR"
	EnvRootUser        = "SIXFOLD_ROOT_USER"
	EnvRootPassword    = "SIXFOLD_ROOT_PASSWORD"
)

// Default gateway root credentials, used unless the environment overrides them.
const (
	DefaultRootUser     = "sixfoldadmin"
	DefaultRootPassword = "sixfoldadmin-secret"
)
