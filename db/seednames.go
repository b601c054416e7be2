package db

import (
	"fmt"
	"strings"
)

// DefaultMaxConns is the pool size the seed design gives the gateway: one
// connection per concurrent request that is between two queries, with room
// for the background jobs.
const DefaultMaxConns int32 = 50

// FoldSeedNames moves what a config file gave under the seed design's names
// (database.database, database.max_connections) into Name and MaxConns.
// Today's name wins when a file gives both with different values; the
// returned warnings say so, for the binary to log at start.
func (c *Config) FoldSeedNames() []string {
	var warnings []string
	if c.Database != "" {
		if c.Name != "" && c.Name != c.Database {
			warnings = append(warnings, fmt.Sprintf("database.database %q is not used: database.name %q names the same setting and wins", c.Database, c.Name))
		} else {
			c.Name = c.Database
		}
	}
	if c.MaxConnections != 0 {
		if c.MaxConns != 0 && c.MaxConns != c.MaxConnections {
			warnings = append(warnings, fmt.Sprintf("database.max_connections %d is not used: database.max_conns %d names the same setting and wins", c.MaxConnections, c.MaxConns))
		} else {
			c.MaxConns = c.MaxConnections
		}
	}
	return warnings
}

// MirrorSeedNames sets the seed's names to the values in force, once the
// environment and flags have had their say, so either name reads true.
func (c *Config) MirrorSeedNames() {
	c.Database = c.Name
	c.MaxConnections = c.MaxConns
}

// URLSetsPoolSize reports whether URL names its own pool_max_conns, which a
// default must not override.
func (c *Config) URLSetsPoolSize() bool {
	return strings.Contains(c.URL, "pool_max_conns")
}
