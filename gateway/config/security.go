package config

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"sixfold/gateway/admission"
)

// ClusterTLS names the PEM files of mutual TLS between the gateway and
// the storage nodes: the gateway's client certificate and key, and the
// cluster CA that signed every node's certificate. All three or none.
type ClusterTLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	CAFile   string `yaml:"ca_file"`
}

// Enabled reports whether node connections use mutual TLS.
func (t ClusterTLS) Enabled() bool { return t.CertFile != "" }

// validate accepts all three files or none; prefix is the config key of t.
func (t ClusterTLS) validate(prefix string) error {
	var set, missing []string
	for _, f := range []struct{ key, value string }{{"cert_file", t.CertFile}, {"key_file", t.KeyFile}, {"ca_file", t.CAFile}} {
		if f.value == "" {
			missing = append(missing, prefix+"."+f.key)
		} else {
			set = append(set, prefix+"."+f.key)
		}
	}
	if len(set) > 0 && len(missing) > 0 {
		return fmt.Errorf("%s: set all three of cert_file, key_file and ca_file or none; %s is set but %s is not",
			prefix, strings.Join(set, ", "), strings.Join(missing, ", "))
	}
	return nil
}

// RateLimit is the per-access-key request limit, a token bucket per key
// (and per client address for requests without valid credentials).
type RateLimit struct {
	// RequestsPerSecond refills each bucket; 0 (the default) turns rate
	// limiting off. Env RATE_LIMIT_RPS.
	RequestsPerSecond float64 `yaml:"requests_per_second"`
	// Burst is how many requests a full bucket allows at once; default
	// (when 0) one second's worth, at least 1. Env RATE_LIMIT_BURST.
	Burst int `yaml:"burst"`
	// AuthFailuresPerSecond and AuthFailureBurst throttle credential
	// guessing: each client address and each access key may fail
	// authentication AuthFailureBurst times at once, then once per
	// 1/AuthFailuresPerSecond seconds; past that its requests get SlowDown
	// with Retry-After before any credential is checked. On by default
	// (1 a second, burst 20) whatever requests_per_second says; 0 turns it
	// off. Env AUTH_FAILURE_RPS, AUTH_FAILURE_BURST.
	AuthFailuresPerSecond float64 `yaml:"auth_failures_per_second"`
	AuthFailureBurst      int     `yaml:"auth_failure_burst"`
	// authFailuresSet: the environment set AuthFailuresPerSecond, so
	// its 0 means off rather than the default.
	authFailuresSet bool
}

// Defaults of the failed-authentication throttle.
const (
	DefaultAuthFailuresPerSecond = 1
	DefaultAuthFailureBurst      = 20
)

// applySecurityEnv reads the variables of node TLS, the allowlist and the
// rate limit.
func (c *Config) applySecurityEnv() error {
	for key, dst := range map[string]*string{
		"STORAGE_TLS_CERT": &c.Storage.TLS.CertFile,
		"STORAGE_TLS_KEY":  &c.Storage.TLS.KeyFile,
		"STORAGE_TLS_CA":   &c.Storage.TLS.CAFile,
	} {
		if v, ok := os.LookupEnv(key); ok {
			*dst = v
		}
	}
	if v, ok := os.LookupEnv("SIXFOLD_ALLOWED_CIDRS"); ok {
		c.Server.AllowedCIDRs = nil
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				c.Server.AllowedCIDRs = append(c.Server.AllowedCIDRs, e)
			}
		}
	}
	if v, ok := os.LookupEnv("RATE_LIMIT_RPS"); ok {
		rps, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("RATE_LIMIT_RPS: %q is not a number of requests per second (0 = off)", v)
		}
		c.RateLimit.RequestsPerSecond = rps
	}
	if v, ok := os.LookupEnv("AUTH_FAILURE_RPS"); ok {
		rps, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("AUTH_FAILURE_RPS: %q is not a number of failures per second (0 = off)", v)
		}
		c.RateLimit.AuthFailuresPerSecond, c.RateLimit.authFailuresSet = rps, true
	}
	if v, ok := os.LookupEnv("AUTH_FAILURE_BURST"); ok {
		burst, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("AUTH_FAILURE_BURST: %q is not a whole number of failures", v)
		}
		c.RateLimit.AuthFailureBurst = burst
	}
	if v, ok := os.LookupEnv("RATE_LIMIT_BURST"); ok {
		burst, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("RATE_LIMIT_BURST: %q is not a whole number of requests", v)
		}
		c.RateLimit.Burst = burst
	}
	return nil
}

// fillSecurityDefaults gives a rate limit without a burst one second's
// worth of requests.
func (c *Config) fillSecurityDefaults() {
	if len(c.Server.AllowedCIDRs) == 0 {
		c.Server.AllowedCIDRs = nil // "allowed_cidrs: []" is the default too
	}
	if r := c.RateLimit.RequestsPerSecond; r > 0 && !math.IsInf(r, 0) && c.RateLimit.Burst == 0 {
		c.RateLimit.Burst = max(1, int(math.Ceil(r)))
	}
	rl := &c.RateLimit
	if rl.AuthFailuresPerSecond == 0 && !rl.authFailuresSet && !c.fileKeys["rate_limit.auth_failures_per_second"] {
		rl.AuthFailuresPerSecond = DefaultAuthFailuresPerSecond
	}
	if rl.AuthFailureBurst == 0 {
		rl.AuthFailureBurst = DefaultAuthFailureBurst
	}
}

// validateSecurity checks node TLS, the allowlist and the rate limit.
func (c *Config) validateSecurity() error {
	if err := c.Storage.TLS.validate("storage.tls"); err != nil {
		return err
	}
	if _, err := admission.ParseAllowlist(c.Server.AllowedCIDRs); err != nil {
		return fmt.Errorf("server.allowed_cidrs: %v", err)
	}
	if r := c.RateLimit.RequestsPerSecond; !(r >= 0) || math.IsInf(r, 0) {
		return fmt.Errorf("rate_limit.requests_per_second: must be a finite number >= 0 (0 = off), got %v", r)
	}
	if c.RateLimit.Burst < 0 {
		return fmt.Errorf("rate_limit.burst: must be >= 0, got %d", c.RateLimit.Burst)
	}
	if r := c.RateLimit.AuthFailuresPerSecond; !(r >= 0) || math.IsInf(r, 0) {
		return fmt.Errorf("rate_limit.auth_failures_per_second: must be a finite number >= 0 (0 = off), got %v", r)
	}
	if c.RateLimit.AuthFailureBurst < 0 {
		return fmt.Errorf("rate_limit.auth_failure_burst: must be >= 0, got %d", c.RateLimit.AuthFailureBurst)
	}
	return nil
}

// fileSecrets names the secrets a config file just read set; c holds only
// what the file said (the environment is applied after).
func (c *Config) fileSecrets() []string {
	var keys []string
	if c.Auth.RootPassword != "" {
		keys = append(keys, "auth.root_password")
	}
	if c.Auth.MasterKey != "" {
		keys = append(keys, "auth.master_key")
	}
	for _, k := range c.Auth.Keys {
		if k.SecretKey != "" {
			keys = append(keys, "auth.keys")
			break
		}
	}
	return append(keys, c.Database.Secrets()...)
}
