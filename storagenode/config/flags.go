package config

import (
	"flag"
	"io"
	"os"
	"time"
)

// flagValues holds what the command line said; only flags actually given
// override the file and the environment.
type flagValues struct {
	host, name, address, dataDir, databaseURL string
	port, metricsPort, virtualNodes           int
	heartbeat                                 time.Duration
}

// newFlagSet declares the flags. It returns the set, the -config path, and a
// function that applies the flags that were given to a Config.
func newFlagSet(output io.Writer) (*flag.FlagSet, *string, func(*Config)) {
	fs := flag.NewFlagSet("storagenode", flag.ContinueOnError)
	fs.SetOutput(output)
	var v flagValues
	path := fs.String("config", os.Getenv("SIXFOLD_CONFIG"), "YAML config file (optional; env SIXFOLD_CONFIG)")
	fs.StringVar(&v.host, "host", "", "listen host (server.host)")
	fs.IntVar(&v.port, "grpc-port", 0, "listen port (server.grpc_port)")
	fs.IntVar(&v.metricsPort, "metrics-port", 0, "metrics HTTP port, 0 = off (server.metrics_port)")
	fs.StringVar(&v.name, "name", "", "node name (server.name)")
	fs.StringVar(&v.address, "address", "", "advertised host:port (server.address)")
	fs.StringVar(&v.dataDir, "data-dir", "", "chunk directory (storage.data_dir)")
	fs.IntVar(&v.virtualNodes, "virtual-nodes", 0, "ring points (storage.virtual_nodes)")
	fs.DurationVar(&v.heartbeat, "heartbeat-interval", 0, "heartbeat period (heartbeat.interval)")
	fs.StringVar(&v.databaseURL, "database-url", "", "PostgreSQL URL (database.url)")
	return fs, path, func(c *Config) { fs.Visit(func(f *flag.Flag) { v.apply(f.Name, c) }) }
}

func (v *flagValues) apply(name string, c *Config) {
	switch name {
	case "host":
		c.Server.Host = v.host
	case "grpc-port":
		c.Server.GRPCPort = v.port
	case "metrics-port":
		c.Server.MetricsPort = v.metricsPort
	case "name":
		c.Server.Name = v.name
	case "address":
		c.Server.Address = v.address
	case "data-dir":
		c.Storage.DataDir = v.dataDir
	case "virtual-nodes":
		c.Storage.VirtualNodes = v.virtualNodes
	case "heartbeat-interval":
		c.Heartbeat.Interval = v.heartbeat
	case "database-url":
		c.Database.URL = v.databaseURL
	}
}
