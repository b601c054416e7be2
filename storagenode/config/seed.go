package config

import (
	"fmt"

	"sixfold/storagenode/chunkstore"
)

// The seed design's storage server config.yaml names some settings
// differently: server.data_dir for storage.data_dir and
// storage.cleanup_orphaned_interval for sweep.interval. Each is another
// spelling of today's key. A file may use either; today's key wins when a
// file gives both with different values (with a warning), and after Load
// both fields hold the value in force. The file is decoded over the
// defaults, so which keys it spelled out comes from the YAML itself.

// foldSeedNames moves what the file gave under the seed's names into
// today's fields, before the environment and flags override them.
func (c *Config) foldSeedNames(keys map[string]bool) {
	if keys["server.data_dir"] {
		if keys["storage.data_dir"] && c.Storage.DataDir != c.Server.DataDir {
			c.warnf("server.data_dir %q is not used: storage.data_dir %q names the same setting and wins", c.Server.DataDir, c.Storage.DataDir)
		} else {
			c.Storage.DataDir = c.Server.DataDir
		}
	}
	if keys["storage.cleanup_orphaned_interval"] {
		if keys["sweep.interval"] && c.Sweep.Interval != c.Storage.CleanupOrphanedInterval {
			c.warnf("storage.cleanup_orphaned_interval %s is not used: sweep.interval %s names the same setting and wins", c.Storage.CleanupOrphanedInterval, c.Sweep.Interval)
		} else {
			c.Sweep.Interval = c.Storage.CleanupOrphanedInterval
		}
	}
	if keys["storage.max_chunk_size"] && c.Storage.MaxChunkSize != chunkstore.MaxChunkSize {
		c.warnf("storage.max_chunk_size %d is not used: the chunk store's limit is fixed at %d bytes, above the largest shard a 10 GiB object makes (about 1.7 GiB); a lower limit would refuse the gateway's shards",
			c.Storage.MaxChunkSize, chunkstore.MaxChunkSize)
		c.Storage.MaxChunkSize = chunkstore.MaxChunkSize
	}
	c.Warnings = append(c.Warnings, c.Database.FoldSeedNames()...)
}

// mirrorSeedNames sets the seed's names to the values in force once the
// environment and flags have had their say.
func (c *Config) mirrorSeedNames() {
	c.Server.DataDir = c.Storage.DataDir
	c.Storage.CleanupOrphanedInterval = c.Sweep.Interval
	c.Database.MirrorSeedNames()
}

func (c *Config) warnf(format string, args ...any) {
	c.Warnings = append(c.Warnings, fmt.Sprintf(format, args...))
}
