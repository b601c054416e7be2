package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"sixfold/db"
)

// Load builds the Config from args (the command line without the program
// name): defaults, the YAML file named by -config if any, the environment,
// then the other flags. It validates the result. -h answers flag.ErrHelp.
func Load(args []string, output io.Writer) (Config, error) {
	cfg := Default()
	fs, path, apply := newFlagSet(output)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *path != "" {
		if err := readFile(*path, &cfg); err != nil {
			return Config{}, err
		}
	}
	if err := applyEnv(&cfg); err != nil {
		return Config{}, err
	}
	apply(&cfg)
	cfg.fillDerived()
	cfg.mirrorSeedNames()
	return cfg, cfg.Validate()
}

// readFile decodes a YAML file over cfg. Unknown keys are errors, so that a
// misspelt setting does not silently keep its default.
func readFile(path string, cfg *Config) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config file %s: %v", path, db.RedactYAML(err))
	}
	cfg.foldSeedNames(db.YAMLKeys(data))
	return db.RefuseExposedSecrets(path, cfg.Database.Secrets())
}

// applyEnv overrides cfg from the environment variables that are set.
func applyEnv(cfg *Config) error {
	envString(&cfg.Server.Host, "GRPC_HOST")
	envString(&cfg.Server.Name, "NODE_NAME")
	envString(&cfg.Server.Address, "NODE_ADDRESS")
	envString(&cfg.Storage.DataDir, "DATA_DIR")
	envString(&cfg.TLS.CertFile, "NODE_TLS_CERT")
	envString(&cfg.TLS.KeyFile, "NODE_TLS_KEY")
	envString(&cfg.TLS.CAFile, "NODE_TLS_CA")
	envString(&cfg.TLS.GatewayName, "NODE_TLS_GATEWAY_NAME")
	envString(&cfg.Debug.PprofAddr, "PPROF_ADDR")
	envString(&cfg.Log.Level, "LOG_LEVEL")
	if v, ok := os.LookupEnv("NODE_ALLOW_INSECURE"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("NODE_ALLOW_INSECURE: %q is not true or false", v)
		}
		cfg.TLS.AllowInsecure = b
	}
	ints := []struct {
		dst *int
		key string
	}{
		{&cfg.Server.GRPCPort, "GRPC_PORT"},
		{&cfg.Server.MetricsPort, "METRICS_PORT"},
		{&cfg.Storage.VirtualNodes, "VIRTUAL_NODES"},
	}
	for _, e := range ints {
		if err := envInt(e.dst, e.key); err != nil {
			return err
		}
	}
	if err := envInt64(&cfg.Scrub.BytesPerSecond, "SCRUB_BYTES_PER_SECOND"); err != nil {
		return err
	}
	if err := applyEnvDurations(cfg); err != nil {
		return err
	}
	return cfg.Database.ApplyEnv()
}

// applyEnvDurations overrides the durations, given as Go durations (10s, 2h).
func applyEnvDurations(cfg *Config) error {
	durations := []struct {
		dst *time.Duration
		key string
	}{
		{&cfg.Heartbeat.Interval, "HEARTBEAT_INTERVAL"},
		{&cfg.Scrub.Interval, "SCRUB_INTERVAL"},
		{&cfg.Sweep.Interval, "SWEEP_INTERVAL"},
		{&cfg.Sweep.MinAge, "SWEEP_MIN_AGE"},
	}
	for _, e := range durations {
		if err := envDuration(e.dst, e.key); err != nil {
			return err
		}
	}
	return nil
}

func envString(dst *string, key string) {
	if v, ok := os.LookupEnv(key); ok {
		*dst = v
	}
}

func envInt(dst *int, key string) error {
	n := int64(*dst)
	if err := envInt64(&n, key); err != nil {
		return err
	}
	*dst = int(n)
	return nil
}

func envInt64(dst *int64, key string) error {
	v, ok := os.LookupEnv(key)
	if !ok {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%s: %q is not a number", key, v)
	}
	*dst = n
	return nil
}

func envDuration(dst *time.Duration, key string) error {
	v, ok := os.LookupEnv(key)
	if !ok {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%s: %q is not a duration such as 10s", key, v)
	}
	*dst = d
	return nil
}
