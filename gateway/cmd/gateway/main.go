// Command gateway is sixfold's stateless HTTP gateway: it applies the
// metadata migrations, caches the placement ring, serves /files and
// /health, and runs the background jobs, until SIGINT or SIGTERM.
//
// "gateway admin ..." is instead an operator's client of a running
// gateway's /admin API (see admin.go): the cluster table, maintenance and
// drains.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"sixfold/db"
	"sixfold/gateway/admin"
	"sixfold/gateway/auth"
	"sixfold/gateway/cluster"
	"sixfold/gateway/config"
	"sixfold/gateway/console"
	"sixfold/gateway/filesapi"
	"sixfold/gateway/health"
	"sixfold/gateway/iam"
	"sixfold/gateway/memlimit"
	"sixfold/gateway/objects"
	"sixfold/gateway/s3backend"
	"sixfold/gateway/search"
	"sixfold/gateway/server"
	"sixfold/gateway/spool"
	"sixfold/s3api"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "admin" {
		os.Exit(runAdmin(os.Args[2:], os.Stdout, os.Stderr))
	}
	log := zerolog.New(os.Stderr).With().Timestamp().Str("service", "gateway").Logger()
	cfg, err := config.Load(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway: invalid configuration:", err)
		os.Exit(2)
	}
	level, _ := zerolog.ParseLevel(cfg.Log.Level)
	log = log.Level(level)
	for _, w := range cfg.Warnings {
		log.Warn().Msg("configuration: " + w)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error().Err(err).Msg("gateway stopped with an error")
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg *config.Config, log zerolog.Logger) error {
	sec, err := newSecurity(cfg)
	if err != nil {
		return err
	}
	sec.logSettings(log, cfg)
	if err := db.Migrate(cfg.Database.DSN()); err != nil {
		return err
	}
	pool, err := db.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := db.NewStore(pool)
	m := newMetrics(store)

	nodes := cluster.New(store, cluster.Options{
		HeartbeatTimeout:   cfg.Storage.HeartbeatTimeout,
		RefreshInterval:    cfg.ConsistentHashing.RefreshInterval,
		ConnectTimeout:     cfg.Storage.NodeTimeout,
		UnaryInterceptors:  m.unary(),
		StreamInterceptors: m.stream(),
		TLS:                sec.nodeTLS,
	}, log)
	defer nodes.Close()
	m.watchRing(nodes)
	if err := nodes.Refresh(ctx); err != nil {
		return err
	}
	svc := objects.New(db.NewBlobs(pool), nodes, objects.Options{
		MaxSize: cfg.Upload.MaxFileSize, SessionTimeout: cfg.Upload.SessionTimeout,
		ParityShards: cfg.ParityShards(), BlockSize: cfg.Durability.BlockSize, StallTimeout: cfg.Storage.StallTimeout,
		CallTimeout: cfg.Storage.GRPCTimeout, Retries: retries(cfg.Storage.MaxRetries), RetryDelay: retryDelay(cfg.Storage.RetryDelay),
		Heal:     objects.HealOptions{After: cfg.Heal.After, Interval: cfg.Heal.Interval, BytesPerSecond: cfg.Heal.BytesPerSecond},
		Observer: m.transfers, Retention: cfg.GC.Retention,
	}, log)

	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopJobs()
	go nodes.Run(jobsCtx)
	go nodes.Listen(jobsCtx)

	keys := auth.NewKeyStoreWithPolicies(keyPairs(cfg), keyPolicies(cfg))
	users, err := loadUsers(ctx, cfg, store, keys, log)
	if err != nil {
		return err
	}
	go users.Listen(jobsCtx, cfg.ConsistentHashing.RefreshInterval)
	// One staging budget for both doors' bodies of unknown length.
	staging := spool.New(cfg.Upload.SpoolDir, cfg.Upload.SpoolMaxBytes)
	s3store := s3backend.New(store, svc, s3backend.Options{MaxSize: cfg.Upload.MaxFileSize, Spool: staging})
	go svc.RunHealer(jobsCtx)
	adminStore := admin.NewPG(store, admin.PGOptions{HeartbeatTimeout: cfg.Storage.HeartbeatTimeout, HealAfter: cfg.Heal.After})
	m.watchHeal(jobsCtx, svc, adminStore, log)
	go adminStore.RunStatsRefresher(jobsCtx, cfg.Admin.StatsInterval, log)
	go svc.RunJobs(jobsCtx, cfg.Upload.CleanupInterval, objects.CleanupJob{
		Name: "abort abandoned multipart uploads",
		Run: func(ctx context.Context) (int, error) {
			return s3store.ExpireUploads(ctx, cfg.Upload.MultipartMaxAge)
		},
	}, objects.CleanupJob{
		Name: "apply bucket lifecycle rules",
		Run: func(ctx context.Context) (int, error) {
			return s3store.ApplyLifecycle(ctx, time.Now())
		},
	})
	s3opts := s3api.Options{
		Backend:         s3store,
		Credentials:     keys,
		Region:          cfg.S3.Region,
		Domain:          cfg.S3.Domain,
		ReservedBuckets: server.ReservedNames,
		Logger:          log,
		MaxObjectSize:   cfg.Upload.MaxFileSize,
		Allow:           sec.s3Allow(),
		Authorize:       keys.Authorized,
		Identity:        keys.Identity,
		BucketPolicies:  iam.BucketPolicies{},
	}
	if sec.failures != nil { // a nil pointer in the interface would not be nil
		s3opts.AuthFailures = sec.failures
	}
	m.watchAuthFailures(sec.failures)
	s3 := s3api.New(s3opts)
	files := filesapi.New(filesapi.Config{
		Objects:   svc,
		Keys:      keys,
		Authorize: keys.Authorized,
		Scope:     keys.Resources,
		Search:    search.NewService(store),
		MaxSize:   cfg.Upload.MaxFileSize,
		Spool:     staging,
	})
	e := server.New(server.Deps{
		Keys:      keys,
		Authorize: keys.Authorized,
		Files:     files,
		S3:        s3,
		Health:    &health.Checker{DB: store, Cluster: nodes, HeartbeatTimeout: cfg.Storage.HeartbeatTimeout},
		Log:       log,
		Pace:      server.BodyPace{Window: cfg.Server.BodyReadTimeout, MinBytes: cfg.Server.BodyMinBytes},
		Metrics:   m.http,
		Admin:     admin.New(adminStore, nodes).WithUsers(users).WithVerifier(storedVerifier{svc}),
		Console: console.New(console.Options{Keys: keys, Region: cfg.S3.Region,
			Sessions: console.NewPGStore(store), SessionTTL: cfg.Console.SessionTTL, Traffic: m.traffic}),

		Allowlist: sec.allowlist,
		Limiter:   sec.limiter,

		AuthFailures: sec.failures,
	})
	m.mount(e)
	memory := memlimit.New(memlimit.DefaultBase, memlimit.DefaultPerRequest)
	if memory.Enabled() {
		log.Info().Int64("base_bytes", memlimit.DefaultBase).Int64("per_request_bytes", memlimit.DefaultPerRequest).
			Msg("soft memory limit follows the requests in flight (set GOMEMLIMIT to fix it instead)")
	}
	srv := &http.Server{
		Handler: memory.Wrap(e),
		// server.read_timeout bounds the header only; bodies are paced
		// (Pace above), and write_timeout is applied per write by the
		// listener: see their docs in package config.
		ReadHeaderTimeout: cfg.Server.ReadTimeout,
		IdleTimeout:       2 * time.Minute,
		// A hard cap for the transport (HTTP/2 advertises it as the
		// header list size, and a 1024-byte S3 key can take 3 KiB of
		// path once encoded); each door then holds the header fields
		// themselves to 8 KiB with its own error.
		MaxHeaderBytes: 16 << 10,
	}
	if cfg.Debug.PprofAddr != "" {
		if err := servePprof(cfg.Debug.PprofAddr, log); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return err
	}
	ln = writeTimeoutListener{Listener: ln, timeout: cfg.Server.WriteTimeout}
	serveErr := make(chan error, 1)
	tls := cfg.Server.TLSCertFile != ""
	go func() {
		if tls {
			serveErr <- srv.ServeTLS(ln, cfg.Server.TLSCertFile, cfg.Server.TLSKeyFile)
			return
		}
		serveErr <- srv.Serve(ln)
	}()
	log.Info().Str("addr", cfg.Server.Addr).Bool("tls", tls).Int("storage_nodes", nodes.ActiveNodes()).Msg("gateway listening")

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	// Stop accepting, let in-flight transfers finish up to the deadline,
	// then stop jobs; deferred calls close node connections and the pool.
	log.Info().Dur("deadline", cfg.Server.ShutdownTimeout).Msg("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn().Err(err).Msg("in-flight requests cut off at the shutdown deadline")
	}
	stopJobs()
	return nil
}

// loadUsers reads the master key and the stored access keys. A master key
// that is set but unreadable stops the start: running without it would
// lock out every stored key.
func loadUsers(ctx context.Context, cfg *config.Config, store *db.Store, keys *auth.KeyStore, log zerolog.Logger) (*auth.Users, error) {
	if path := cfg.Auth.MasterKeyFile; cfg.Auth.MasterKey == "" && path != "" {
		if err := db.RefuseExposedSecrets(path, []string{"the master key"}); err != nil {
			return nil, fmt.Errorf("auth.master_key_file: %w", err)
		}
	}
	master, err := auth.LoadMasterKey(cfg.Auth.MasterKey, cfg.Auth.MasterKeyFile)
	if err != nil {
		return nil, fmt.Errorf("auth.master_key: %w", err)
	}
	if master == nil {
		log.Warn().Msg("no master key (SIXFOLD_MASTER_KEY or SIXFOLD_MASTER_KEY_FILE): access keys of stored users can be neither created nor used")
	} else {
		log.Info().Str("master_key_id", master.ID()).Msg("stored access keys are sealed under this master key")
	}
	users := auth.NewUsers(store, master, keys, log)
	return users, users.Reload(ctx)
}

// keyPolicies gives each configured key its named built-in policy, and the
// root pair admin: it is the break-glass key.
func keyPolicies(cfg *config.Config) map[string]*iam.Policy {
	policies := map[string]*iam.Policy{}
	for _, k := range cfg.Auth.Keys {
		if p, ok := iam.Builtin(k.Policy); ok {
			policies[k.AccessKey] = p
		} else {
			delete(policies, k.AccessKey)
		}
	}
	policies[cfg.Auth.RootUser], _ = iam.Builtin("admin")
	return policies
}

func keyPairs(cfg *config.Config) map[string]string {
	pairs := map[string]string{}
	for _, k := range cfg.Auth.Keys {
		pairs[k.AccessKey] = k.SecretKey
	}
	pairs[cfg.Auth.RootUser] = cfg.Auth.RootPassword
	return pairs
}

// retryDelay maps storage.retry_delay likewise: a configured 0 retries at
// once.
func retryDelay(configured time.Duration) time.Duration {
	if configured == 0 {
		return -1
	}
	return configured
}

// retries maps storage.max_retries onto objects.Options.Retries, where 0
// means the default: a configured 0 means no retry.
func retries(configured int) int {
	if configured == 0 {
		return -1
	}
	return configured
}
