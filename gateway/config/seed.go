package config

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// The seed design's config.yaml names some settings differently. Each seed
// name is another spelling of one of today's keys: Load moves a value from
// the seed's name to today's key, today's key winning when a file gives
// both with different values (with a warning), and after Load both fields
// hold the value in force. Keys the seed has that no longer mean anything
// are accepted with a warning that says why.

// foldSeedNames moves what the file gave under the seed's names into
// today's fields, before the environment and flags override them.
func (c *Config) foldSeedNames() error {
	if p := c.Server.Port; p != 0 {
		if p < 1 || p > 65535 {
			return fmt.Errorf("server.port: %d is not a port number", p)
		}
		if c.Server.Addr == "" {
			c.Server.Addr = net.JoinHostPort("", strconv.Itoa(p))
		}
	}
	if m := c.Server.MaxUploadSize; m != 0 {
		if m < 0 || m > MaxObjectSize {
			return fmt.Errorf("server.max_upload_size: must be between 0 and %d, got %d", MaxObjectSize, m)
		}
		c.Upload.MaxFileSize = alias(c, "server.max_upload_size", "upload.max_file_size", m, c.Upload.MaxFileSize)
	}
	if d := c.ConsistentHashing.RingRefreshInterval; d != 0 {
		c.ConsistentHashing.RefreshInterval = alias(c, "consistent_hashing.ring_refresh_interval",
			"consistent_hashing.refresh_interval", d, c.ConsistentHashing.RefreshInterval)
	}
	if v := c.ConsistentHashing.VirtualNodesPerServer; v != 0 && c.ConsistentHashing.VirtualNodes == 0 {
		c.ConsistentHashing.VirtualNodes = v
	}
	c.Warnings = append(c.Warnings, c.Database.FoldSeedNames()...)
	c.warnObsolete()
	return nil
}

// alias returns the value in force for a setting the file may have given
// under both seedKey (seed) and key (today's), recording a warning when the
// two disagree.
func alias[T comparable](c *Config, seedKey, key string, seed, today T) T {
	var zero T
	if today == zero || today == seed {
		return seed
	}
	c.Warnings = append(c.Warnings, fmt.Sprintf("%s %v is not used: %s %v names the same setting and wins", seedKey, seed, key, today))
	return today
}

// warnObsolete records a warning for each key the file set that the
// gateway does not use.
func (c *Config) warnObsolete() {
	for _, k := range []string{"consistent_hashing.virtual_nodes", "consistent_hashing.virtual_nodes_per_server"} {
		if c.fileKeys[k] {
			c.Warnings = append(c.Warnings, k+" is not used by the gateway: each storage node registers its own ring points (storage.virtual_nodes / VIRTUAL_NODES on the node), and the gateway reads them from PostgreSQL")
		}
	}
	if c.fileKeys["upload.chunk_size"] {
		c.Warnings = append(c.Warnings, "upload.chunk_size is not used: objects are striped in durability.block_size blocks over six data shards (plus durability.parity_shards), so each shard is a sixth of its object and no chunk size is chosen")
	}
}

// mirrorSeedNames sets the seed's names to the values in force, and warns
// when a server.port from the file lost to server.addr.
func (c *Config) mirrorSeedNames() {
	_, port, _ := net.SplitHostPort(c.Server.Addr)
	p, _ := strconv.Atoi(port)
	if c.Server.Port != 0 && c.Server.Port != p {
		c.Warnings = append(c.Warnings, fmt.Sprintf("server.port %d is not used: the listen address %s (server.addr, SIXFOLD_ADDR or -addr) names the port and wins", c.Server.Port, c.Server.Addr))
	}
	c.Server.Port = p
	c.Server.MaxUploadSize = c.Upload.MaxFileSize
	c.ConsistentHashing.RingRefreshInterval = c.ConsistentHashing.RefreshInterval
	c.ConsistentHashing.VirtualNodesPerServer = c.ConsistentHashing.VirtualNodes
	c.Database.MirrorSeedNames()
}

// Defaults of the node-call settings: the seed's values.
const (
	DefaultGRPCTimeout = 60 * time.Second
	DefaultMaxRetries  = 3
	DefaultRetryDelay  = time.Second
)

// fillStorageCallDefaults fills the node-call settings; a 0 written in the
// file for max_retries or retry_delay is kept (no retry, no pause).
func (c *Config) fillStorageCallDefaults() {
	if c.Storage.GRPCTimeout == 0 {
		c.Storage.GRPCTimeout = DefaultGRPCTimeout
	}
	if c.Storage.MaxRetries == 0 && !c.fileKeys["storage.max_retries"] {
		c.Storage.MaxRetries = DefaultMaxRetries
	}
	if c.Storage.RetryDelay == 0 && !c.fileKeys["storage.retry_delay"] {
		c.Storage.RetryDelay = DefaultRetryDelay
	}
}

func (c *Config) validateStorageCalls() error {
	if r := c.Storage.MaxRetries; r < 0 || r > 100 {
		return fmt.Errorf("storage.max_retries: must be between 0 and 100, got %d", r)
	}
	if d := c.Storage.RetryDelay; d < 0 {
		return fmt.Errorf("storage.retry_delay: must be >= 0, got %s", d)
	}
	return nil
}
