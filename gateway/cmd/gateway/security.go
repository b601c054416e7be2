package main

import (
	"crypto/tls"
	"fmt"
	"net/http"

	"github.com/rs/zerolog"

	"sixfold/gateway/admission"
	"sixfold/gateway/cluster"
	"sixfold/gateway/config"
)

// security is what the gateway's security settings turn into: mutual
// TLS to the nodes, the network allowlist and the rate limiter. Each is
// nil when its setting is off.
type security struct {
	nodeTLS   *tls.Config
	allowlist *admission.Allowlist
	limiter   *admission.Limiter
	failures  *admission.AuthFailures
}

// newSecurity reads the node TLS files; an unreadable one stops the start
// with its config key.
func newSecurity(cfg *config.Config) (*security, error) {
	s := &security{limiter: admission.NewLimiter(cfg.RateLimit.RequestsPerSecond, cfg.RateLimit.Burst),
		failures: admission.NewAuthFailures(cfg.RateLimit.AuthFailuresPerSecond, cfg.RateLimit.AuthFailureBurst)}
	if t := cfg.Storage.TLS; t.Enabled() {
		var err error
		if s.nodeTLS, err = cluster.LoadClientTLS(t.CertFile, t.KeyFile, t.CAFile); err != nil {
			return nil, fmt.Errorf("storage.tls.%w", err)
		}
	}
	allowlist, err := admission.ParseAllowlist(cfg.Server.AllowedCIDRs)
	if err != nil { // Validate has checked it already
		return nil, fmt.Errorf("server.allowed_cidrs: %w", err)
	}
	s.allowlist = allowlist
	return s, nil
}

// s3Allow is the S3 door's Options.Allow: the same buckets as /files, so
// one access key has one rate whichever door it uses. Nil without a limit.
func (s *security) s3Allow() func(r *http.Request, accessKey string) bool {
	if s.limiter == nil {
		return nil
	}
	return func(r *http.Request, accessKey string) bool {
		ok, _ := s.limiter.AllowCaller(accessKey, r.RemoteAddr)
		return ok
	}
}

// logSettings says at start which protections are on (never a secret).
func (s *security) logSettings(log zerolog.Logger, cfg *config.Config) {
	log.Info().
		Bool("node_mtls", s.nodeTLS != nil).
		Strs("allowed_cidrs", cfg.Server.AllowedCIDRs).
		Float64("rate_limit_rps", cfg.RateLimit.RequestsPerSecond).
		Int("rate_limit_burst", cfg.RateLimit.Burst).
		Float64("auth_failures_per_second", cfg.RateLimit.AuthFailuresPerSecond).
		Int("auth_failure_burst", cfg.RateLimit.AuthFailureBurst).
		Msg("security settings")
}
